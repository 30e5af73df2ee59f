import Foundation
import HTTPTypes
import Hummingbird
import Vault
import VaultFormat

/// Reads a request body as JSON, strictly: only `application/json`, at most `limit` bytes, and
/// every decoding problem answered as 400 with the RFC 6901 pointer of where it is.
enum JSONBody {
    /// The largest body any route accepts; the largest real one (a contest reason) is far smaller.
    static let limit = 64 * 1024

    /// Decodes the body as `T` (whose `init(from:)` rejects unknown keys through `StrictKeys`).
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        guard isJSON(request.headers[.contentType]) else { throw Problem.unsupportedMediaType }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw Problem.bodyTooLarge }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw Problem.bodyTooLarge
        }
        let data = Data(buffer.readableBytesView)
        do throws(VaultError) {
            // A member named twice would otherwise be decoded silently as its last value.
            try JSONValue.validate(data)
        } catch {
            throw Problem(status: .badRequest, code: .invalidBody, detail: error.message + "; send each member once", pointer: "")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw problem(for: error)
        }
    }

    /// `application/json`, optionally with `charset=utf-8` (RFC 8259 §8.1 makes JSON UTF-8).
    static func isJSON(_ header: String?) -> Bool {
        guard let header else { return false }
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard parts.first == "application/json" else { return false }
        return parts.dropFirst().allSatisfy { $0 == "charset=utf-8" || $0 == "charset=\"utf-8\"" }
    }

    /// The 400 for a decoding failure, worded without quoting the offending value.
    static func problem(for error: DecodingError) -> Problem {
        switch error {
        case .keyNotFound(let key, let context):
            let pointer = Self.pointer(context.codingPath + [key])
            return .invalidBody("the body lacks the required member \(pointer)", pointer: pointer)
        case .typeMismatch(let type, let context):
            let pointer = Self.pointer(context.codingPath)
            return .invalidBody("\(display(pointer)) must be \(describe(type))", pointer: pointer)
        case .valueNotFound(let type, let context):
            let pointer = Self.pointer(context.codingPath)
            return .invalidBody("\(display(pointer)) must be \(describe(type)), not null", pointer: pointer)
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return .invalidBody("the body is not valid JSON", pointer: "")
        case .dataCorrupted(let context):
            let pointer = Self.pointer(context.codingPath)
            return .invalidBody("\(display(pointer)) has a value this route does not accept", pointer: pointer)
        @unknown default:
            return .invalidBody("the body does not have the shape this route needs", pointer: "")
        }
    }

    /// RFC 6901: `/set/email`, `/measures/0`; "" is the whole document.
    static func pointer(_ path: [any CodingKey]) -> String {
        path.map { key in
            let token = key.intValue.map(String.init) ?? key.stringValue
            return "/" + token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
        }.joined()
    }

    private static func display(_ pointer: String) -> String {
        pointer.isEmpty ? "the body" : pointer
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Double.Type, is Int.Type: return "a number"
        case is [String].Type: return "an array of strings"
        case is [String: String].Type: return "an object whose members are strings"
        default:
            let name = String(describing: type)
            return name.hasPrefix("Array") ? "an array" : name.hasPrefix("Dictionary") ? "an object" : "of another JSON type"
        }
    }
}

/// Refuses members a body type does not define: a misspelt `"confirm"` must not pass as absent.
enum StrictKeys {
    /// Throws a 400 naming the first member of the object being decoded that is not in `Keys`.
    static func check<Keys: CodingKey & CaseIterable>(_ decoder: any Decoder, _: Keys.Type) throws {
        let allowed = Set(Keys.allCases.map(\.stringValue))
        let container = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
            let pointer = JSONBody.pointer(decoder.codingPath + [AnyKey(stringValue: unknown)])
            throw Problem.invalidBody(
                "unknown member \(pointer): this body takes \(allowed.sorted().joined(separator: ", ")) only",
                pointer: pointer
            )
        }
    }

    /// Any member name.
    struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension KeyedDecodingContainer {
    /// The member if the body has it, else nil; unlike `decodeIfPresent`, a member that is there
    /// but null is refused (the document never makes an optional member nullable).
    func decodeOptional<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        contains(key) ? try decode(type, forKey: key) : nil
    }
}
