import VaultAnalytics
import VaultAudit
import VaultFormat

/// A minimal JSON writer for what the vault emits on its hot paths (JSON Lines import files, the
/// customer bodies of the API): fast, deterministic (keys in the order written) and correctly
/// escaped (by `JSONValue`'s one escaping routine). It writes UTF-8 bytes.
package struct JSONWriter {
    /// The JSON written so far.
    package private(set) var bytes: [UInt8] = []
    /// One flag per open container: whether the next member needs a leading comma.
    private var needsComma: [Bool] = []
    private var pendingValueAfterKey = false

    /// An empty text, with room for `capacity` bytes.
    package init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    /// The JSON written so far, as text.
    package var text: String { String(decoding: bytes, as: UTF8.self) }

    package mutating func beginObject() { open(UInt8(ascii: "{")) }
    package mutating func endObject() { close(UInt8(ascii: "}")) }
    package mutating func beginArray() { open(UInt8(ascii: "[")) }
    package mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Starts an object member.
    package mutating func key(_ name: String) {
        separate()
        writeString(name)
        bytes.append(UInt8(ascii: ":"))
        // The member's value follows directly, without a comma of its own.
        needsComma[needsComma.count - 1] = false
        pendingValueAfterKey = true
    }

    package mutating func string(_ text: String) { emit { $0.writeString(text) } }
    package mutating func integer(_ number: Int64) { emit { $0.writeDigits(number.magnitude, negative: number < 0) } }
    package mutating func null() { emit { $0.bytes.append(contentsOf: "null".utf8) } }

    /// Hundredths as a decimal number with exactly two decimals (`12.30`, `-0.05`).
    package mutating func decimal(_ hundredths: Int64) {
        emit { json in
            let magnitude = hundredths.magnitude
            json.writeDigits(magnitude / 100, negative: hundredths < 0)
            let cents = UInt8(magnitude % 100)
            json.bytes.append(contentsOf: [UInt8(ascii: "."), UInt8(ascii: "0") + cents / 10, UInt8(ascii: "0") + cents % 10])
        }
    }

    /// A day counted from 1970-01-01 as `YYYY-MM-DD`, written without building a string.
    package mutating func date(_ day: Int32) {
        let (year, month, dayOfMonth) = DayNumber.civil(day)
        guard (1000...9999).contains(year) else { return string(FieldCodec.dateString(day)) }
        emit { json in
            json.bytes.append(UInt8(ascii: "\""))
            json.writeDigits(UInt64(year), negative: false)
            json.writeTwoDigits(month)
            json.writeTwoDigits(dayOfMonth)
            json.bytes.append(UInt8(ascii: "\""))
        }
    }

    private mutating func emit(_ body: (inout JSONWriter) -> Void) {
        if pendingValueAfterKey {
            pendingValueAfterKey = false
        } else {
            separate()
        }
        body(&self)
        if !needsComma.isEmpty { needsComma[needsComma.count - 1] = true }
    }

    private mutating func open(_ bracket: UInt8) {
        if pendingValueAfterKey {
            pendingValueAfterKey = false
        } else {
            separate()
        }
        bytes.append(bracket)
        needsComma.append(false)
    }

    private mutating func close(_ bracket: UInt8) {
        needsComma.removeLast()
        bytes.append(bracket)
        if !needsComma.isEmpty { needsComma[needsComma.count - 1] = true }
    }

    private mutating func separate() {
        if let last = needsComma.last, last { bytes.append(UInt8(ascii: ",")) }
    }

    /// `-` and a number below 100 in two digits.
    private mutating func writeTwoDigits(_ part: Int) {
        bytes.append(UInt8(ascii: "-"))
        bytes.append(UInt8(ascii: "0") + UInt8(part / 10))
        bytes.append(UInt8(ascii: "0") + UInt8(part % 10))
    }

    private mutating func writeDigits(_ magnitude: UInt64, negative: Bool) {
        if negative { bytes.append(UInt8(ascii: "-")) }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = magnitude
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }

    private mutating func writeString(_ value: String) {
        JSONValue.writeString(value, into: &bytes)
    }
}
