import Foundation

extension FieldValue: Encodable, CustomStringConvertible {
    /// JSON as in the import format: decimals as numbers with two decimals' precision, dates as `YYYY-MM-DD`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .integer(let i): try container.encode(i)
        // A double's shortest form prints 4990 cents as 49.9 exactly; Decimal division is slow.
        case .decimal(let cents): try container.encode(Double(cents) / 100)
        case .date(let day): try container.encode(FieldCodec.dateString(day))
        case .stringList(let list): try container.encode(list)
        case .decimalMap(let map): try container.encode(map.mapValues { Double($0) / 100 })
        case .purchases(let purchases):
            try container.encode(
                purchases.map {
                    PurchaseJSON(
                        date: FieldCodec.dateString($0.day),
                        amount: Double($0.amountCents) / 100,
                        margin: Double($0.marginCents) / 100,
                        category: $0.category
                    )
                }
            )
        }
    }

    /// The value for people (purchase lists are summarised).
    public var description: String {
        var json = JSONWriter(capacity: 32)
        switch self {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .date(let day): return FieldCodec.dateString(day)
        case .stringList(let list): return list.joined(separator: ", ")
        case .purchases(let purchases):
            let total = purchases.reduce(0) { $0 + $1.amountCents }
            json.decimal(total)
            return "\(purchases.count) purchases, total \(json.text)"
        case .decimal(let cents):
            json.decimal(cents)
            return json.text
        case .decimalMap(let map):
            return map.keys.sorted().map { key -> String in
                var value = JSONWriter(capacity: 32)
                value.decimal(map[key]!)
                return "\(key) \(value.text)"
            }.joined(separator: ", ")
        }
    }

    private struct PurchaseJSON: Encodable {
        let date: String
        let amount: Double
        let margin: Double
        let category: String
    }
}
