package import Foundation
package import VaultFormat

/// Reading import lines and field values: JSON's one strict reader, its failures as vault errors,
/// and the checks the policy's field types need.
extension JSONValue {
    /// Parses one JSON text; the error names the problem and its offset, never the input.
    static func parse(_ bytes: some DataProtocol) throws(VaultError) -> JSONValue {
        do {
            return try JSONValue(parsing: bytes)
        } catch let error as JSONSyntaxError {
            throw .invalid(.malformedJson, "not valid JSON at byte \(error.offset): \(error.reason)")
        } catch {
            throw .invalid(.malformedJson, "not valid JSON")
        }
    }

    /// Checks that `bytes` are one strict JSON text — no member name twice in an object, which a
    /// lenient decoder would resolve silently to its last value — and says where it is not.
    package static func validate(_ bytes: some DataProtocol) throws(VaultError) {
        _ = try parse(bytes)
    }

    /// A name for the value's JSON type, for messages that must not quote values.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The number in hundredths, exactly, if it has at most two decimals and no exponent.
    var hundredths: Int64? {
        guard case .number(let text) = self else { return nil }
        var result: Int64 = 0
        var negative = false
        var decimals = -1  // -1 until the decimal point
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-"): negative = true
            case UInt8(ascii: "."): decimals = 0
            case 0x30...0x39:
                if decimals >= 0 {
                    decimals += 1
                    guard decimals <= 2 else { return nil }
                }
                let (times10, overflow1) = result.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(Int64(byte - 0x30))
                guard !overflow1, !overflow2 else { return nil }
                result = sum
            default:
                return nil  // an exponent
            }
        }
        let scale: Int64 = decimals <= 0 ? 100 : (decimals == 1 ? 10 : 1)
        let (scaled, overflow) = result.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        return negative ? -scaled : scaled
    }
}
