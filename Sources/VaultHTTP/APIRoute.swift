import Foundation
import HTTPTypes
import Hummingbird
import Vault
import VaultPolicy

/// One route of the API. The router is built from the table of these (`VaultAPI.routes`) and
/// nothing else, and the OpenAPI coverage test checks the same table, so the two cannot drift.
struct APIRoute: Sendable {
    /// Whether the route needs a bearer token.
    enum Access: Sendable {
        /// Anyone (`/healthz`, `/openapi.yaml`).
        case open
        /// A token the vault authenticates; the principal comes from it alone.
        case bearer
        /// A token for an audited read: the vault may answer it from its token cache, because the
        /// read's own transaction confirms the token before deciding (`call.readPrincipal`).
        case bearerForRead
    }

    /// The method.
    let method: HTTPRequest.Method
    /// The path template, in OpenAPI's spelling (`/v1/customers/{id}`), which Hummingbird also reads.
    let path: String
    /// Open or bearer.
    let access: Access
    /// The query parameters the route accepts; any other is a 400.
    let query: [String]
    /// Whether the route takes a JSON body.
    let takesBody: Bool
    /// Answers a request that matched: a `ResponseEncodable` value, which the context's one encoder
    /// encodes, or a `Response` written without one.
    let handle: @Sendable (APICall) async throws -> any ResponseGenerator

    /// A route without a body.
    init(
        _ method: HTTPRequest.Method,
        _ path: String,
        access: Access = .bearer,
        query: [String] = [],
        handle: @escaping @Sendable (APICall) async throws -> any ResponseGenerator
    ) {
        self.method = method
        self.path = path
        self.access = access
        self.query = query
        self.takesBody = false
        self.handle = handle
    }

    /// A route whose JSON body is decoded strictly as `Body` before the handler runs.
    init<Body: Decodable & SendableMetatype>(
        _ method: HTTPRequest.Method,
        _ path: String,
        access: Access = .bearer,
        query: [String] = [],
        body: Body.Type,
        handle: @escaping @Sendable (APICall, Body) async throws -> any ResponseGenerator
    ) {
        self.method = method
        self.path = path
        self.access = access
        self.query = query
        self.takesBody = true
        self.handle = { call in try await handle(call, try await JSONBody.decode(Body.self, from: call.request)) }
    }

    /// The Hummingbird responder: query checked, then the handler.
    var responder: CallbackResponder<VaultRequestContext> {
        CallbackResponder { [query, handle] request, context in
            try await handle(APICall(request: request, context: context, query: try QueryParameters(request.uri, allowed: query)))
                .response(from: request, context: context)
        }
    }
}

/// What a handler gets: the request, its context, and its checked query parameters.
struct APICall: Sendable {
    let request: Request
    let context: VaultRequestContext
    let query: QueryParameters

    /// The authenticated principal (bearer routes only).
    var principal: Principal {
        get throws { try context.requirePrincipal() }
    }

    /// The principal of an audited-read route (`.bearerForRead`), to be confirmed by the read.
    var readPrincipal: ProvisionalPrincipal {
        get throws {
            guard let provisional = context.readPrincipal else { throw Problem.missingToken }
            return provisional
        }
    }

    /// A path parameter of the matched template.
    func parameter(_ name: String) throws -> String {
        guard let value = context.parameters.get(name), !value.isEmpty else { throw Problem.noRoute }
        return value.removingPercentEncoding ?? value
    }

    /// A path parameter the document types as a policy name (`/v1/me/consents/{purpose}`).
    func nameParameter(_ name: String) throws -> String {
        let value = try parameter(name)
        guard Policy.isName(value) else {
            throw Problem.invalidQuery("the path's \(name) must be a name in lower_snake_case, such as marketing")
        }
        return value
    }
}
