/// A minimal JSON text writer for the formats the vault emits line by line (JSON Lines import
/// files): fast, deterministic (keys in the order written) and correctly escaped.
struct JSONWriter {
    private(set) var text = ""
    /// One flag per open container: whether the next member needs a leading comma.
    private var needsComma: [Bool] = []

    mutating func beginObject() { open("{") }
    mutating func endObject() { close("}") }
    mutating func beginArray() { open("[") }
    mutating func endArray() { close("]") }

    /// Starts an object member.
    mutating func key(_ name: String) {
        separate()
        writeString(name)
        text += ":"
        // The member's value follows directly, without a comma of its own.
        needsComma[needsComma.count - 1] = false
        pendingValueAfterKey = true
    }

    mutating func string(_ text: String) { emit { $0.writeString(text) } }
    mutating func integer(_ number: Int64) { emit { $0.text += String(number) } }

    /// Hundredths as a decimal number with exactly two decimals (`12.30`, `-0.05`).
    mutating func decimal(_ hundredths: Int64) {
        emit { json in
            let magnitude = hundredths.magnitude
            let cents = magnitude % 100
            json.text += "\(hundredths < 0 ? "-" : "")\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
        }
    }

    private var pendingValueAfterKey = false

    private mutating func emit(_ body: (inout JSONWriter) -> Void) {
        if pendingValueAfterKey {
            pendingValueAfterKey = false
        } else {
            separate()
        }
        body(&self)
        if !needsComma.isEmpty { needsComma[needsComma.count - 1] = true }
    }

    private mutating func open(_ bracket: String) {
        if pendingValueAfterKey {
            pendingValueAfterKey = false
        } else {
            separate()
        }
        text += bracket
        needsComma.append(false)
    }

    private mutating func close(_ bracket: String) {
        needsComma.removeLast()
        text += bracket
        if !needsComma.isEmpty { needsComma[needsComma.count - 1] = true }
    }

    private mutating func separate() {
        if let last = needsComma.last, last { text += "," }
    }

    private mutating func writeString(_ value: String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case let c where c.value < 0x20:
                text += "\\u00" + String(c.value >> 4, radix: 16) + String(c.value & 0xf, radix: 16)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
