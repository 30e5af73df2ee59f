import Foundation
import HTTPTypes
import Hummingbird

/// Builds the API's JSON responses: compact, key-sorted (so bodies are stable), dates in RFC 3339.
enum JSONResponse {
    /// A response whose body is `value` as JSON.
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        // The DTOs hold strings, numbers, dates and arrays only: encoding them cannot fail.
        let data = (try? encoder.encode(value)) ?? Data(#"{"code":"internal_error"}"#.utf8)
        return bytes(data, status: status, contentType: contentType)
    }

    /// A response with these exact bytes.
    static func bytes(_ data: some Collection<UInt8>, status: HTTPResponse.Status = .ok, contentType: String) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
