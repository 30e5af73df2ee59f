import Foundation
import HTTPTypes
import Hummingbird
import Vault

/// An error response of the API: an RFC 9457 problem with a stable `code`.
///
/// Every `detail` comes either from a `VaultError` (whose messages never hold customer values) or
/// from this target's own wording, so no body carries a value, a query string, SQL or a stack trace.
struct Problem: HTTPResponseError, Sendable {
    /// The HTTP status.
    let status: HTTPResponse.Status
    /// A stable, machine-readable code (e.g. `.customerErased`, `.bodyTooLarge`).
    let code: VaultError.Code
    /// What was wrong and what to do.
    let detail: String
    /// Headers the status calls for (`WWW-Authenticate`, `Allow`).
    var headers: HTTPFields = [:]
    /// For a body that failed to decode: where, as an RFC 6901 JSON Pointer.
    var pointer: String?
    /// For a policy refusal of a read: every denied field with its reason.
    var denied: [Outputs.Denial]?

    /// Where the `type` URIs of the API's problems live; one per code.
    static let typeBase = "https://customervault.local/problems/"

    /// Renders itself wherever it is thrown (Hummingbird asks every `HTTPResponseError`).
    func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The response: `application/problem+json` with `type`, `title`, `status`, `detail`, `code`.
    func response() -> Response {
        let body = Body(
            type: Self.typeBase + code.rawValue,
            title: status.reasonPhrase,
            status: status.code,
            detail: detail,
            code: code.rawValue,
            pointer: pointer,
            denied: denied
        )
        // A problem holds strings and integers only, which always encode.
        var response =
            (try? APIResponseEncoder.json.encode(body)).map { JSONResponse.bytes($0, status: status, contentType: "application/problem+json") }
            ?? Response(status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    private struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String
        let code: String
        let pointer: String?
        let denied: [Outputs.Denial]?
    }
}

extension Problem {
    /// The problem for a facade failure: the kind picks the status, the code and message pass through.
    init(_ error: VaultError) {
        let status: HTTPResponse.Status =
            switch error.kind {
            // The HTTP layer has already checked the request against its schema (400 otherwise): what the
            // vault refuses as invalid is a request it understood but cannot carry out.
            case .invalidRequest: .unprocessableContent
            case .unauthenticated: .unauthorized
            case .denied: .forbidden
            case .notFound: .notFound
            case .gone: .gone
            case .conflict: .conflict
            case .budgetExhausted, .rateLimited: .tooManyRequests
            case .integrity: .internalServerError
            case .unavailable: .serviceUnavailable
            }
        // An integrity failure's message may name a customer other than the one the caller sent:
        // the operator learns which from `cvault audit verify` and the log, the client only that it failed.
        let detail =
            error.kind == .integrity
            ? "stored data failed an integrity check; the operator must run `cvault audit verify`" : error.message
        self.init(status: status, code: error.code, detail: detail)
        if error.kind == .unauthenticated { headers = Self.bearerChallenge(invalidToken: true) }
        // The database may be back in a moment (a restart, a failover, a lock released).
        if error.kind == .unavailable { headers[.retryAfter] = "1" }
    }

    /// RFC 6750 §3: a 401 names the scheme, and says whether a token was sent but refused.
    static func bearerChallenge(invalidToken: Bool) -> HTTPFields {
        [.wwwAuthenticate: invalidToken ? #"Bearer realm="cvault", error="invalid_token""# : #"Bearer realm="cvault""#]
    }

    /// No usable `Authorization: Bearer` header.
    static let missingToken = Problem(
        status: .unauthorized,
        code: .unauthenticated,
        detail: "send Authorization: Bearer <token> with a token from `cvault token issue`",
        headers: bearerChallenge(invalidToken: false)
    )

    /// The body is larger than the API accepts.
    static let bodyTooLarge = Problem(
        status: .contentTooLarge,
        code: .bodyTooLarge,
        detail: "the request body is larger than \(JSONBody.limit / 1024) KiB; send a smaller body"
    )

    /// The body is not JSON.
    static let unsupportedMediaType = Problem(
        status: .unsupportedMediaType,
        code: .unsupportedMediaType,
        detail: "the request body must be JSON: send Content-Type: application/json (UTF-8)"
    )

    /// A known path asked with a method it does not answer.
    static func methodNotAllowed(allowed: [HTTPRequest.Method]) -> Problem {
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        return Problem(
            status: .methodNotAllowed,
            code: .methodNotAllowed,
            detail: "this path answers \(list) only",
            headers: [.allow: list]
        )
    }

    /// No route has this path.
    static let noRoute = Problem(status: .notFound, code: .noRoute, detail: "no such path: see /openapi.yaml for the API's routes")

    /// Anything unexpected: the body says nothing about it; the request log line has the status.
    static let internalError = Problem(
        status: .internalServerError,
        code: .internalError,
        detail: "the server failed to answer; the request id in X-Request-ID helps the operator find it"
    )

    /// A body or query that does not have the shape the route needs.
    static func invalidBody(_ detail: String, pointer: String) -> Problem {
        Problem(status: .badRequest, code: .invalidBody, detail: detail, pointer: pointer)
    }

    /// A query parameter problem.
    static func invalidQuery(_ detail: String) -> Problem {
        Problem(status: .badRequest, code: .invalidQuery, detail: detail)
    }
}
