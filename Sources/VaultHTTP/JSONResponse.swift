import Foundation
import HTTPTypes
import Hummingbird

/// Builds the API's JSON responses: compact, key-sorted (so bodies are stable), dates in RFC 3339.
enum JSONResponse {
    /// The API's one configured encoder (also every request context's `responseEncoder`),
    /// made once rather than per response; encoding does not change it, so it is shared.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// A response whose body is `value` as JSON; a value JSON cannot hold (a NaN) throws, and
    /// `ProblemMiddleware` answers it as a bare 500.
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok, contentType: String = "application/json") throws -> Response {
        bytes(try encoder.encode(value), status: status, contentType: contentType)
    }

    /// A response with these exact bytes.
    static func bytes(_ data: some Collection<UInt8>, status: HTTPResponse.Status = .ok, contentType: String) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
