import Foundation

/// The renderings a secret could leak in: hex either case, base64 (standard and URL-safe),
/// Swift's decimal array form, and its UTF-8 text; and any 8-byte run of them.
struct Secret {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ text: String) { self.bytes = Array(text.utf8) }

    var renderings: [String] {
        var out: [String] = []
        let windows = bytes.count <= 8 ? [bytes[...]] : (0...(bytes.count - 8)).map { bytes[$0..<($0 + 8)] }
        for window in windows {
            let hex = Array(window).hex
            out += [hex, hex.uppercased(), String(Array(window).description.dropFirst().dropLast())]
        }
        let base64 = Data(bytes).base64EncodedString()
        out += [
            base64, base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: ""),
        ]
        if let text = String(validating: bytes, as: UTF8.self), text.count >= 8 { out.append(text) }
        return out.filter { !$0.isEmpty }
    }

    func appears(in text: String) -> Bool {
        renderings.contains { text.contains($0) }
    }
}
