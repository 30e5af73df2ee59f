import Foundation
import VaultAnalytics
import VaultFormat
import VaultPolicy

/// Converts between JSON and `FieldValue` following the policy's field types, and normalises
/// lookup values for blind indexes. Messages name the field and the expected shape, never the value.
enum FieldCodec {
    /// Characters no stored string may hold: C0 and C1 controls (terminal escapes, NUL, line breaks)
    /// and the bidirectional formatting characters that make text display other than it reads.
    static func isForbidden(_ scalar: Unicode.Scalar, allowingLineBreaks: Bool = false) -> Bool {
        if allowingLineBreaks, scalar == "\n" || scalar == "\t" { return false }
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// Whether `text` holds a forbidden character (see `isForbidden`).
    static func hasForbiddenCharacters(_ text: String, allowingLineBreaks: Bool = false) -> Bool {
        text.unicodeScalars.contains { isForbidden($0, allowingLineBreaks: allowingLineBreaks) }
    }

    static let forbiddenMessage = "contains a control or bidirectional-formatting character, which no stored text may hold"

    /// The most items of a list or entries of a map one field holds: a record is decrypted, decoded
    /// and sealed whole inside the single writer, so one huge record stalls every other write.
    static let maximumItems = 256
    /// The most purchases one customer's history holds (about 400 KB sealed).
    static let maximumPurchases = 5_000

    /// The value of `field` from JSON, or a message saying what is wrong.
    static func value(_ json: JSONValue, for field: FieldDefinition) -> Result<FieldValue, FieldProblem> {
        let name = field.name
        if let problem = forbiddenCharacters(in: json, field: name) { return .failure(problem) }
        switch (field.type, json) {
        case (.string, .string(let s)):
            guard s.utf8.count <= 4096 else { return .failure(.init(name, "is longer than 4096 bytes")) }
            if let allowed = field.allowedValues, !allowed.contains(s) {
                return .failure(.init(name, "is not one of the allowed values (\(allowed.joined(separator: ", ")))"))
            }
            return .success(.string(s))
        case (.email, .string(let s)):
            let parts = s.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), s.utf8.count <= 254, !s.contains(where: \.isWhitespace) else {
                return .failure(.init(name, "must be an e-mail address like name@example.com"))
            }
            return .success(.string(s))
        case (.phone, .string(let s)):
            let digits = s.filter(\.isNumber)
            guard (6...17).contains(digits.count), s.allSatisfy({ $0.isNumber || " +-().".contains($0) }) else {
                return .failure(.init(name, "must be a phone number of 6–17 digits (spaces, +, -, parentheses allowed)"))
            }
            return .success(.string(s))
        case (.integer, .number):
            guard let i = json.integer else { return .failure(.init(name, "must be a whole number")) }
            if let range = field.range, Double(i) < range.min || Double(i) > range.max {
                return .failure(.init(name, "must be between \(format(range.min)) and \(format(range.max))"))
            }
            return .success(.integer(i))
        case (.decimal, _):
            guard let cents = cents(json) else { return .failure(.init(name, "must be a number with at most 2 decimals")) }
            if let range = field.range, Double(cents) / 100 < range.min || Double(cents) / 100 > range.max {
                return .failure(.init(name, "must be between \(format(range.min)) and \(format(range.max))"))
            }
            return .success(.decimal(cents))
        case (.date, .string(let s)):
            guard let day = day(s) else { return .failure(.init(name, "must be a date like 2026-01-31")) }
            return .success(.date(day))
        case (.stringList, .array(let items)):
            guard items.count <= maximumItems else { return .failure(.init(name, "holds more than \(maximumItems) items")) }
            var list: [String] = []
            for item in items {
                guard case .string(let s) = item, s.utf8.count <= 256 else {
                    return .failure(.init(name, "must be an array of strings (each at most 256 bytes)"))
                }
                if let allowed = field.allowedValues, !allowed.contains(s) {
                    return .failure(.init(name, "holds a value outside the allowed values (\(allowed.joined(separator: ", ")))"))
                }
                list.append(s)
            }
            return .success(.stringList(list))
        case (.decimalMap, .object(let map)):
            guard map.count <= maximumItems else { return .failure(.init(name, "holds more than \(maximumItems) entries")) }
            var result: [String: Int64] = [:]
            for (key, item) in map {
                guard !key.isEmpty, key.utf8.count <= 64 else { return .failure(.init(name, "has a name that is empty or longer than 64 bytes")) }
                guard let cents = cents(item), cents >= 0 else {
                    return .failure(.init(name, "must map names to non-negative numbers with at most 2 decimals"))
                }
                result[key] = cents
            }
            return .success(.decimalMap(result))
        case (.purchases, .array(let items)):
            guard items.count <= maximumPurchases else {
                return .failure(
                    .init(name, "holds more than \(maximumPurchases) purchases: keep the history a profile needs, or summarise older years")
                )
            }
            var purchases: [Purchase] = []
            purchases.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                guard case .object(let record) = item else { return .failure(.init("\(name)[\(index)]", "must be an object")) }
                if let unknown = record.keys.first(where: { !["date", "amount", "margin", "category"].contains($0) }) {
                    return .failure(.init("\(name)[\(index)]", "has unknown key \(unknown) (allowed: date, amount, margin, category)"))
                }
                guard case .string(let dateText)? = record["date"], let day = day(dateText) else {
                    return .failure(.init("\(name)[\(index)].date", "must be a date like 2026-01-31"))
                }
                guard let amount = record["amount"].flatMap(cents), amount >= 0 else {
                    return .failure(.init("\(name)[\(index)].amount", "must be a non-negative number with at most 2 decimals"))
                }
                guard let margin = record["margin"].flatMap(cents), margin <= amount else {
                    return .failure(.init("\(name)[\(index)].margin", "must be a number with at most 2 decimals, not above the amount"))
                }
                guard case .string(let category)? = record["category"], !category.isEmpty, category.utf8.count <= 64 else {
                    return .failure(.init("\(name)[\(index)].category", "must be a non-empty string of at most 64 bytes"))
                }
                purchases.append(Purchase(day: day, amountCents: amount, marginCents: margin, category: category))
            }
            return .success(.purchases(purchases))
        default:
            return .failure(.init(name, "must be \(expected(field.type)), not \(json.typeName)"))
        }
    }

    /// The first place in `json` where a string (or an object's key) holds a forbidden character.
    private static func forbiddenCharacters(in json: JSONValue, field: String) -> FieldProblem? {
        switch json {
        case .string(let text):
            return hasForbiddenCharacters(text) ? FieldProblem(field, forbiddenMessage) : nil
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let problem = forbiddenCharacters(in: item, field: "\(field)[\(index)]") { return problem }
            }
            return nil
        case .object(let members):
            for key in members.keys.sorted() {
                if hasForbiddenCharacters(key) { return FieldProblem(field, "has a key that " + forbiddenMessage) }
                if let problem = forbiddenCharacters(in: members[key]!, field: "\(field).\(key)") { return problem }
            }
            return nil
        default:
            return nil
        }
    }

    /// Writes `value` as JSON.
    static func write(_ value: FieldValue, into json: inout JSONWriter) {
        switch value {
        case .string(let s): json.string(s)
        case .integer(let i): json.integer(i)
        case .decimal(let cents): json.decimal(cents)
        case .date(let day): json.date(day)
        case .stringList(let list):
            json.beginArray()
            for item in list { json.string(item) }
            json.endArray()
        case .decimalMap(let map):
            json.beginObject()
            for key in map.keys.sorted() {
                json.key(key)
                json.decimal(map[key]!)
            }
            json.endObject()
        case .purchases(let purchases):
            json.beginArray()
            for purchase in purchases {
                json.beginObject()
                json.key("date")
                json.date(purchase.day)
                json.key("amount")
                json.decimal(purchase.amountCents)
                json.key("margin")
                json.decimal(purchase.marginCents)
                json.key("category")
                json.string(purchase.category)
                json.endObject()
            }
            json.endArray()
        }
    }

    /// The form a lookup value is indexed under, so `Ada@Example.com ` finds `ada@example.com`.
    static func normalizedLookup(_ value: FieldValue, type: FieldDefinition.ValueType) -> String? {
        guard case .string(let s) = value else { return nil }
        switch type {
        case .email: return s.trimmingCharacters(in: .whitespaces).lowercased()
        case .phone: return String(s.filter(\.isNumber))
        default: return s.trimmingCharacters(in: .whitespaces)
        }
    }

    static func cents(_ json: JSONValue) -> Int64? {
        json.hundredths
    }

    static func day(_ text: String) -> Int32? {
        let parts = text.split(separator: "-")
        guard text.utf8.count == 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1900...2200).contains(y), (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        let day = DayNumber.of(year: y, month: m, day: d)
        // 2026-02-30 would silently become 2026-03-02: only dates that round-trip exist.
        guard DayNumber.civil(day) == (y, m, d) else { return nil }
        return day
    }

    static func dateString(_ day: Int32) -> String {
        let (y, m, d) = DayNumber.civil(day)
        return "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }

    private static func expected(_ type: FieldDefinition.ValueType) -> String {
        switch type {
        case .string: "a string"
        case .email: "an e-mail address string"
        case .phone: "a phone number string"
        case .integer: "a whole number"
        case .decimal: "a number"
        case .date: "a date string like 2026-01-31"
        case .stringList: "an array of strings"
        case .decimalMap: "an object of numbers"
        case .purchases: "an array of purchase objects"
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int64(value)) : String(value)
    }
}

/// Why a value does not fit its field: the path and what is expected, never the value itself.
struct FieldProblem: Error, Sendable {
    let path: String
    let message: String

    init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    var description: String { "\(path) \(message)" }
}
