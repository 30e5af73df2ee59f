extension JSONValue {
    // The encoding follows RFC 8785 (JCS) for the values canonical documents hold: no insignificant
    // whitespace, object keys sorted by their UTF-8 bytes (the same order as JCS's UTF-16 order for
    // keys made of ASCII or other characters below U+D800), strings escaped minimally (`\"`, `\\`,
    // `\b`, `\t`, `\n`, `\f`, `\r`, other controls as lower-case `\u00xx`, everything else as UTF-8).
    // A number is written as its literal text: canonical documents hold integers in plain decimal
    // only (`integer(_:)`, and `init(parsing:integersOnly:)` reading them back), because JCS spells
    // other numbers through IEEE 754 shortest round-trip formatting and audit data has no use for them.

    /// Parses a canonical document's text: integers only, at most 32 levels deep. Compare its
    /// `canonicalBytes` with the input to insist on the canonical spelling too.
    /// - Throws: `JSONSyntaxError`.
    package init(parsingCanonical bytes: some Collection<UInt8>) throws {
        try self.init(parsing: bytes, maximumDepth: 32, integersOnly: true)
    }

    /// The canonical UTF-8 encoding.
    package var canonicalBytes: [UInt8] { canonicalBytes(controls: .rfc8785) }

    /// How backspace and form feed are escaped: RFC 8785's `\b` and `\f`, or `\u0008` and `\u000c`,
    /// which policy hashes have always used and so must keep (a stored policy is checked against its
    /// recorded hash when a vault opens).
    package enum ControlEscapes: Sendable {
        /// `\b`, `\f`: audit leaves, exports, receipts.
        case rfc8785
        /// `\u0008`, `\u000c`: policy hashes.
        case unicode
    }

    /// The canonical UTF-8 encoding, with backspace and form feed escaped as `controls` says.
    package func canonicalBytes(controls: ControlEscapes) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out, controls: controls)
        return out
    }

    func write(into out: inout [UInt8], controls: ControlEscapes) {
        switch self {
        case .string(let value):
            Self.writeString(value, into: &out, controls: controls)
        case .number(let text):
            out.append(contentsOf: text.utf8)
        case .bool(let value):
            out.append(contentsOf: (value ? "true" : "false").utf8)
        case .null:
            out.append(contentsOf: "null".utf8)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out, controls: controls)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (position, key) in keys.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &out, controls: controls)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(into: &out, controls: controls)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `value` as a JSON string, escaped as RFC 8785 does; the vault's other JSON writers use it too,
    /// so there is one escaping routine.
    package static func writeString(_ value: String, into out: inout [UInt8], controls: ControlEscapes = .rfc8785) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            // Runs that need no escaping (nearly every string) are copied whole.
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
                case 0x08 where controls == .rfc8785: out.append(UInt8(ascii: "b"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0C where controls == .rfc8785: out.append(UInt8(ascii: "f"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                default:
                    out.append(contentsOf: "u00".utf8)
                    out.append(hexDigits[Int(byte >> 4)])
                    out.append(hexDigits[Int(byte & 0x0F)])
                }
                start = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
