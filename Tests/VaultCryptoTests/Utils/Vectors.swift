import Foundation
import Testing

/// A Wycheproof file's top level (the fields the tests rely on), after swift-crypto's loader.
struct WycheproofTest<Group: Decodable>: Decodable {
    let source: String
    let algorithm: String
    let numberOfTests: Int
    let testGroups: [Group]
}

/// A file of published vectors from one document: where they come from, and the cases.
struct VectorFile<Case: Decodable>: Decodable {
    let source: String
    let tests: [Case]
}

/// Loads the JSON vector files copied into the test bundle from `Vectors/`.
enum Vectors {
    static func load<T: Decodable>(_ name: String, as type: T.Type = T.self, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Vectors"),
            "vector file Vectors/\(name).json is missing from the test bundle",
            sourceLocation: sourceLocation
        )
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }

    /// Runs `body` on every case of a published-vector file; fails unless at least one ran.
    static func forEach<Case: Decodable>(
        in name: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (Case) throws -> Void
    ) throws {
        let file: VectorFile<Case> = try load(name, sourceLocation: sourceLocation)
        #expect(!file.source.isEmpty, "Vectors/\(name).json must name its source", sourceLocation: sourceLocation)
        #expect(!file.tests.isEmpty, "Vectors/\(name).json has no cases", sourceLocation: sourceLocation)
        for test in file.tests { try body(test) }
    }

    /// Runs `body` on every group of a Wycheproof file; `body` returns how many cases it ran, and
    /// the total must equal the file's `numberOfTests`, so that no case is skipped silently.
    static func wycheproof<Group: Decodable>(
        _ name: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (Group) throws -> Int
    ) throws {
        let file: WycheproofTest<Group> = try load(name, sourceLocation: sourceLocation)
        #expect(!file.source.isEmpty, "Vectors/\(name).json must name its source", sourceLocation: sourceLocation)
        var ran = 0
        for group in file.testGroups { ran += try body(group) }
        #expect(ran == file.numberOfTests, "ran \(ran) of \(file.numberOfTests) \(file.algorithm) cases", sourceLocation: sourceLocation)
    }
}

/// A JSON field holding bytes as lower-case hex.
struct Hex: Decodable, Equatable, CustomStringConvertible {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let bytes = [UInt8](hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not hex: \(text)"))
        }
        self.bytes = bytes
    }

    var description: String { bytes.hex }
}

extension [UInt8] {
    /// Parses hex (either case); nil for an odd length or a non-hex character.
    init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self = bytes
    }

    /// Lower-case hex.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A copy with bit `bit` (0 = most significant bit of byte 0) flipped.
    func flippingBit(_ bit: Int) -> [UInt8] {
        var copy = self
        copy[bit / 8] ^= 0x80 >> UInt8(bit % 8)
        return copy
    }
}
