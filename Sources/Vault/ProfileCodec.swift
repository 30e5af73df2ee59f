/// The plaintext inside a sealed record: a compact binary encoding that decodes without
/// allocation-heavy parsing, because analytics decode a million of them per query.
///
/// Layout: `format(1) ‖ count ‖ (name ‖ tag ‖ value)*`, with unsigned LEB128 lengths and counts
/// and zig-zag LEB128 integers. Tags: 1 string, 2 integer, 3 decimal, 4 date, 5 string list,
/// 6 decimal map (keys sorted), 7 purchases.
enum ProfileCodec {
    static let format: UInt8 = 1

    static func encode(_ fields: [String: FieldValue]) -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes.append(format)
        writer.unsigned(UInt64(fields.count))
        for name in fields.keys.sorted() {
            writer.string(name)
            switch fields[name]! {
            case .string(let value):
                writer.bytes.append(1)
                writer.string(value)
            case .integer(let value):
                writer.bytes.append(2)
                writer.signed(value)
            case .decimal(let value):
                writer.bytes.append(3)
                writer.signed(value)
            case .date(let value):
                writer.bytes.append(4)
                writer.signed(Int64(value))
            case .stringList(let values):
                writer.bytes.append(5)
                writer.unsigned(UInt64(values.count))
                for value in values { writer.string(value) }
            case .decimalMap(let map):
                writer.bytes.append(6)
                writer.unsigned(UInt64(map.count))
                for key in map.keys.sorted() {
                    writer.string(key)
                    writer.signed(map[key]!)
                }
            case .purchases(let purchases):
                writer.bytes.append(7)
                writer.unsigned(UInt64(purchases.count))
                for purchase in purchases {
                    writer.signed(Int64(purchase.day))
                    writer.signed(purchase.amountCents)
                    writer.signed(purchase.marginCents)
                    writer.string(purchase.category)
                }
            }
        }
        return writer.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> [String: FieldValue] {
        try bytes.withUnsafeBytes { buffer in
            var fields: [String: FieldValue] = [:]
            try forEachField(in: buffer) { name, tag, reader in
                fields[String(decoding: name, as: UTF8.self)] = try reader.value(tag: tag)
            }
            return fields
        }
    }

    /// Visits each field of an encoded record in order; `body` must consume the value (for
    /// instance with `ByteReader.value(tag:)` or `skip(tag:)`). No field name is allocated.
    static func forEachField(
        in buffer: UnsafeRawBufferPointer,
        _ body: (_ name: UnsafeRawBufferPointer, _ tag: UInt8, inout ByteReader) throws -> Void
    ) throws {
        var reader = ByteReader(buffer)
        guard try reader.byte() == format else { throw VaultError.integrity("a record has an unknown encoding version") }
        let count = try reader.count()
        for _ in 0..<count {
            let name = try reader.stringBytes()
            let tag = try reader.byte()
            try body(name, tag, &reader)
        }
        guard reader.isAtEnd else { throw VaultError.integrity("a record has trailing bytes") }
    }
}

struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func unsigned(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func signed(_ value: Int64) {
        unsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func string(_ value: String) {
        let utf8 = value.utf8
        unsigned(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }
}

struct ByteReader {
    private let buffer: UnsafeRawBufferPointer
    private var offset = 0

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    var isAtEnd: Bool { offset == buffer.count }

    mutating func byte() throws -> UInt8 {
        guard offset < buffer.count else { throw Self.truncated }
        defer { offset += 1 }
        return buffer[offset]
    }

    mutating func unsigned() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try byte()
            guard shift < 64 else { throw Self.truncated }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func signed() throws -> Int64 {
        let raw = try unsigned()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func int32() throws -> Int32 {
        guard let value = Int32(exactly: try signed()) else { throw Self.truncated }
        return value
    }

    /// A count or length, bounded by what the buffer could possibly hold.
    mutating func count() throws -> Int {
        let value = try unsigned()
        guard value <= UInt64(buffer.count - offset) else { throw Self.truncated }
        return Int(value)
    }

    mutating func string() throws -> String {
        String(decoding: try stringBytes(), as: UTF8.self)
    }

    /// A length-prefixed string's bytes, without copying them.
    mutating func stringBytes() throws -> UnsafeRawBufferPointer {
        let length = try count()
        let slice = UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + length])
        offset += length
        return slice
    }

    /// The value with type tag `tag`.
    mutating func value(tag: UInt8) throws -> FieldValue {
        switch tag {
        case 1: return .string(try string())
        case 2: return .integer(try signed())
        case 3: return .decimal(try signed())
        case 4: return .date(try int32())
        case 5:
            let n = try count()
            var list: [String] = []
            list.reserveCapacity(n)
            for _ in 0..<n { list.append(try string()) }
            return .stringList(list)
        case 6:
            let n = try count()
            var map: [String: Int64] = [:]
            for _ in 0..<n { map[try string()] = try signed() }
            return .decimalMap(map)
        case 7:
            let n = try count()
            var purchases: [Purchase] = []
            purchases.reserveCapacity(n)
            for _ in 0..<n {
                purchases.append(Purchase(day: try int32(), amountCents: try signed(), marginCents: try signed(), category: try string()))
            }
            return .purchases(purchases)
        default:
            throw VaultError.integrity("a record holds an unknown value type")
        }
    }

    /// Skips a value with type tag `tag`.
    mutating func skip(tag: UInt8) throws {
        switch tag {
        case 1: _ = try stringBytes()
        case 2, 3, 4: _ = try unsigned()
        case 5: for _ in 0..<(try count()) { _ = try stringBytes() }
        case 6:
            for _ in 0..<(try count()) {
                _ = try stringBytes()
                _ = try unsigned()
            }
        case 7:
            for _ in 0..<(try count()) {
                _ = try unsigned()
                _ = try unsigned()
                _ = try unsigned()
                _ = try stringBytes()
            }
        default: throw VaultError.integrity("a record holds an unknown value type")
        }
    }

    private static var truncated: VaultError { .integrity("a record is truncated or malformed") }
}
