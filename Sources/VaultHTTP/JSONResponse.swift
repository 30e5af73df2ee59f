import Foundation
import HTTPTypes
import Hummingbird

/// The API's one configured encoder, which every request context offers as its `responseEncoder`:
/// handlers return `ResponseEncodable` values and Hummingbird encodes them here. Compact and
/// key-sorted (so bodies are stable), dates in RFC 3339, served as `application/json`.
struct APIResponseEncoder: ResponseEncoder {
    /// Made once rather than per response; encoding does not change it, so it is shared.
    static let json: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// `value` as the body of a 200; a value JSON cannot hold (a NaN) throws, and
    /// `ProblemMiddleware` answers it as a bare 500.
    func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.bytes(try Self.json.encode(value), contentType: "application/json")
    }
}

/// Responses whose bytes are written without an encoder: the customer views (`CustomerView.json`),
/// charts, problems.
enum JSONResponse {
    /// A response with these exact bytes.
    static func bytes(_ data: some Collection<UInt8>, status: HTTPResponse.Status = .ok, contentType: String) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
