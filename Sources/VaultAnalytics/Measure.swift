/// A statistic an analyst may ask for, per group; spelled as in the CLI (`mean(basket_value)`).
package enum Measure: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// How many customers.
    case count
    /// The sum of a measure field, each customer clamped to the field's bounds.
    case sum(String)
    /// The mean of a measure field over customers who have it, clamped values, result clamped to the bounds.
    case mean(String)
    /// Mean customer lifetime value (`LifetimeValueModel`), in cents.
    case clv
    /// Customer equity: the sum of CLV over the group, in cents.
    case customerEquity
    /// Of the customers who bought in the year before last, the share who bought again in the last year.
    case retention
    /// Mean share of wallet: per customer min(1, spend with the firm last year ÷ stated category spend).
    case shareOfWallet
    /// Customer counts per RFM segment (the segment becomes part of the group key).
    case rfm
    /// Mean of the customers' annual margin (the CLV window's margin ÷ its years, clamped), in cents.
    case marginMean
    /// Variance across the group's customers of their annual margin, in cents².
    case marginVariance
    /// Standard deviation across the group's customers of their annual margin, in cents.
    case marginStandardDeviation

    /// Parses the canonical spelling: `count`, `sum(F)`, `mean(F)`, `clv`, `customer_equity`,
    /// `retention`, `share_of_wallet`, `rfm`, `margin_mean`, `margin_variance`, `margin_sd`.
    package init(parsing text: String) throws(AnalyticsError) {
        switch text {
        case "count": self = .count
        case "clv": self = .clv
        case "customer_equity": self = .customerEquity
        case "retention": self = .retention
        case "share_of_wallet": self = .shareOfWallet
        case "rfm": self = .rfm
        case "margin_mean": self = .marginMean
        case "margin_variance": self = .marginVariance
        case "margin_sd": self = .marginStandardDeviation
        default:
            for (prefix, make) in [("sum(", Measure.sum), ("mean(", Measure.mean)]
            where text.hasPrefix(prefix) && text.hasSuffix(")") {
                let field = String(text.dropFirst(prefix.count).dropLast())
                guard !field.isEmpty, !field.contains(where: { "(),".contains($0) }) else { break }
                self = make(field)
                return
            }
            throw .invalidQuery(
                "unknown measure '\(text)'; use count, sum(FIELD), mean(FIELD), clv, customer_equity, "
                    + "retention, share_of_wallet, rfm, margin_mean, margin_variance or margin_sd"
            )
        }
    }

    /// The canonical spelling.
    package var description: String {
        switch self {
        case .count: "count"
        case .sum(let field): "sum(\(field))"
        case .mean(let field): "mean(\(field))"
        case .clv: "clv"
        case .customerEquity: "customer_equity"
        case .retention: "retention"
        case .shareOfWallet: "share_of_wallet"
        case .rfm: "rfm"
        case .marginMean: "margin_mean"
        case .marginVariance: "margin_variance"
        case .marginStandardDeviation: "margin_sd"
        }
    }

    /// Orders by canonical spelling, the order of canonical queries and of results.
    package static func < (lhs: Measure, rhs: Measure) -> Bool { lhs.description < rhs.description }
}

extension Measure: Codable {
    /// Decodes the canonical spelling.
    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    /// Encodes the canonical spelling.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
