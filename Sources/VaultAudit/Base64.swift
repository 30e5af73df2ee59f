import Foundation

/// Standard base64 (RFC 4648 §4) with padding; decoding accepts only the canonical spelling, so
/// one value has one text form in notes.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func decode(_ text: String) -> [UInt8]? {
        guard let data = Data(base64Encoded: text), data.base64EncodedString() == text else { return nil }
        return [UInt8](data)
    }
}
