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
                values.forEach { writer.string($0) }
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
            var reader = ByteReader(buffer)
            guard try reader.byte() == format else { throw VaultError.integrity("a record has an unknown encoding version") }
            let count = try reader.count()
            var fields: [String: FieldValue] = [:]
            fields.reserveCapacity(count)
            for _ in 0..<count {
                let name = try reader.string()
                let value: FieldValue
                switch try reader.byte() {
                case 1: value = .string(try reader.string())
                case 2: value = .integer(try reader.signed())
                case 3: value = .decimal(try reader.signed())
                case 4: value = .date(try reader.int32())
                case 5:
                    let n = try reader.count()
                    var list: [String] = []
                    list.reserveCapacity(n)
                    for _ in 0..<n { list.append(try reader.string()) }
                    value = .stringList(list)
                case 6:
                    let n = try reader.count()
                    var map: [String: Int64] = [:]
                    for _ in 0..<n { map[try reader.string()] = try reader.signed() }
                    value = .decimalMap(map)
                case 7:
                    let n = try reader.count()
                    var purchases: [Purchase] = []
                    purchases.reserveCapacity(n)
                    for _ in 0..<n {
                        purchases.append(Purchase(day: try reader.int32(), amountCents: try reader.signed(),
                                                  marginCents: try reader.signed(), category: try reader.string()))
                    }
                    value = .purchases(purchases)
                default:
                    throw VaultError.integrity("a record holds an unknown value type")
                }
                fields[name] = value
            }
            guard reader.isAtEnd else { throw VaultError.integrity("a record has trailing bytes") }
            return fields
        }
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
        let length = try count()
        let slice = UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + length])
        offset += length
        return String(decoding: slice, as: UTF8.self)
    }

    private static var truncated: VaultError { .integrity("a record is truncated or malformed") }
}
