/// Why a text is not strict JSON, and where; it never quotes the text.
package struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, such as "a member name appears twice in one object".
    package let reason: String
    /// The byte offset where reading stopped.
    package let offset: Int

    /// The reason and its offset.
    package var description: String { "\(reason) at byte \(offset)" }
}

extension JSONValue {
    /// Parses one RFC 8259 JSON text, strictly: valid UTF-8 only, no member name twice in an object
    /// (which a lenient decoder would resolve silently to its last value), no lone surrogates, at
    /// most `maximumDepth` levels deep. It accepts non-canonical spellings (whitespace, key order,
    /// escapes): compare `canonicalBytes` with the input to insist on the canonical form.
    ///
    /// - Parameters:
    ///   - bytes: the UTF-8 text.
    ///   - maximumDepth: how deeply arrays and objects may nest.
    ///   - integersOnly: refuse fractions, exponents and integers outside Int64, as canonical documents do.
    /// - Throws: `JSONSyntaxError`, naming the problem and its offset, never the input.
    package init(parsing bytes: some Collection<UInt8>, maximumDepth: Int = 64, integersOnly: Bool = false) throws {
        let array = Array(bytes)
        self = try array.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer, maxDepth: maximumDepth, integersOnly: integersOnly)
            let value = try reader.value(depth: 0)
            reader.skipWhitespace()
            guard reader.isAtEnd else { throw reader.error("unexpected data after the JSON value") }
            return value
        }
    }
}

/// A strict RFC 8259 reader over bytes.
private struct JSONReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0
    private let maxDepth: Int
    private let integersOnly: Bool

    init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, integersOnly: Bool) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.integersOnly = integersOnly
    }

    var isAtEnd: Bool { offset == bytes.count }

    func error(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(reason: message, offset: offset)
    }

    mutating func skipWhitespace() {
        while offset < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[offset]) { offset += 1 }
    }

    private mutating func expect(_ literal: String) throws {
        for byte in literal.utf8 {
            guard offset < bytes.count, bytes[offset] == byte else { throw error("expected \(literal)") }
            offset += 1
        }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard depth < maxDepth else { throw error("nested more than \(maxDepth) levels deep") }
        skipWhitespace()
        guard offset < bytes.count else { throw error("unexpected end") }
        switch bytes[offset] {
        case UInt8(ascii: "{"):
            offset += 1
            var object: [String: JSONValue] = [:]
            skipWhitespace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
                offset += 1
                return .object(object)
            }
            while true {
                skipWhitespace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                let key = try string()
                skipWhitespace()
                try expect(":")
                let member = try value(depth: depth + 1)
                guard object.updateValue(member, forKey: key) == nil else { throw error("a member name appears twice in one object") }
                skipWhitespace()
                guard offset < bytes.count else { throw error("unexpected end in an object") }
                if bytes[offset] == UInt8(ascii: ",") {
                    offset += 1
                    continue
                }
                if bytes[offset] == UInt8(ascii: "}") {
                    offset += 1
                    return .object(object)
                }
                throw error("expected , or } in an object")
            }
        case UInt8(ascii: "["):
            offset += 1
            var array: [JSONValue] = []
            skipWhitespace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
                offset += 1
                return .array(array)
            }
            while true {
                array.append(try value(depth: depth + 1))
                skipWhitespace()
                guard offset < bytes.count else { throw error("unexpected end in an array") }
                if bytes[offset] == UInt8(ascii: ",") {
                    offset += 1
                    continue
                }
                if bytes[offset] == UInt8(ascii: "]") {
                    offset += 1
                    return .array(array)
                }
                throw error("expected , or ] in an array")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        default:
            return .number(try number())
        }
    }

    private mutating func number() throws -> String {
        let start = offset
        func digits() -> Int {
            let begin = offset
            while offset < bytes.count, (0x30...0x39).contains(bytes[offset]) { offset += 1 }
            return offset - begin
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        let integerStart = offset
        guard digits() > 0 else { throw error("expected a value") }
        guard bytes[integerStart] != UInt8(ascii: "0") || offset - integerStart == 1 else { throw error("a number has a leading zero") }
        if integersOnly, offset < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[offset]) {
            throw error("only integers are allowed")
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard digits() > 0 else { throw error("a number needs digits after the decimal point") }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard digits() > 0 else { throw error("a number needs digits in its exponent") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        guard integersOnly else { return text }
        // In plain decimal, so that `-0` reads as `0` and a canonical comparison catches it.
        guard let integer = Int64(text) else {
            offset = start
            throw error("an integer out of range")
        }
        return String(integer)
    }

    private mutating func string() throws -> String {
        offset += 1  // opening quote
        var runStart = offset
        var result = ""
        func flushRun(upTo end: Int) throws {
            guard end > runStart else { return }
            guard let run = String(validating: UnsafeBufferPointer(rebasing: bytes[runStart..<end]), as: UTF8.self) else {
                throw error("a string is not valid UTF-8")
            }
            result += run
        }
        while true {
            guard offset < bytes.count else { throw error("unterminated string") }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                try flushRun(upTo: offset)
                offset += 1
                return result
            }
            guard byte >= 0x20 else { throw error("a control character inside a string must be escaped") }
            guard byte == UInt8(ascii: "\\") else {
                offset += 1
                continue
            }
            try flushRun(upTo: offset)
            offset += 1
            guard offset < bytes.count else { throw error("unterminated escape") }
            let escape = bytes[offset]
            offset += 1
            switch escape {
            case UInt8(ascii: "\""): result += "\""
            case UInt8(ascii: "\\"): result += "\\"
            case UInt8(ascii: "/"): result += "/"
            case UInt8(ascii: "b"): result += "\u{08}"
            case UInt8(ascii: "f"): result += "\u{0C}"
            case UInt8(ascii: "n"): result += "\n"
            case UInt8(ascii: "r"): result += "\r"
            case UInt8(ascii: "t"): result += "\t"
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code) {
                    try expect("\\u")
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("an unpaired surrogate in a \\u escape") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw error("an unpaired surrogate in a \\u escape") }
                result.unicodeScalars.append(scalar)
            default:
                throw error("an unknown escape")
            }
            runStart = offset
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard offset + 4 <= bytes.count else { throw error("a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw error("a \\u escape needs four hex digits")
            }
            value = value << 4 | digit
            offset += 1
        }
        return value
    }
}
