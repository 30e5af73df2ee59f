/// A privacy-loss amount ε in exact fixed point: a whole number of millionths (micro-ε).
///
/// Budgets add and subtract these integers, so a thousand charges of 0.001 spend exactly 1, never
/// 0.9999999. The noise for a query uses the same rational ε = `micros` / 10⁶ that is charged.
public struct Epsilon: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Millionths per unit of ε.
    public static let microsPerUnit: Int64 = 1_000_000
    /// The largest ε accepted from a caller (10⁹): far above any useful privacy level, far below overflow.
    public static let largest = Epsilon(micros: 1_000_000_000 * microsPerUnit)
    /// No privacy loss; the starting point of every budget.
    public static let zero = Epsilon(micros: 0)

    /// ε in millionths.
    public let micros: Int64

    /// Wraps a non-negative number of millionths.
    public init(micros: Int64) {
        precondition(micros >= 0, "epsilon cannot be negative")
        self.micros = micros
    }

    /// Converts a requested ε, refusing anything that is not a positive, finite number with at most six decimals.
    public init(validating value: Double) throws(AnalyticsError) {
        guard !value.isNaN else { throw .invalidEpsilon("it is not a number; give a positive number such as 0.5") }
        guard value.isFinite else { throw .invalidEpsilon("it must be finite; give a positive number such as 0.5") }
        guard value > 0 else { throw .invalidEpsilon("it must be positive; zero or negative epsilon cannot be spent") }
        guard value <= Double(Self.largest.micros / Self.microsPerUnit) else {
            throw .invalidEpsilon("it is above the largest supported value \(Self.largest)")
        }
        let scaled = value * Double(Self.microsPerUnit)
        let rounded = scaled.rounded()
        // Binary doubles cannot hold 0.1 exactly; a thousandth of a micro-ε is far above that error
        // and far below a seventh decimal, so this tells "0.1" from "0.1000001".
        guard abs(scaled - rounded) <= 1e-3, rounded >= 1 else {
            throw .invalidEpsilon("it has more than six decimals; round it to at most six")
        }
        self.init(micros: Int64(rounded))
    }

    /// ε as a floating-point number, for display and reports only.
    public var doubleValue: Double { Double(micros) / Double(Self.microsPerUnit) }

    /// The exact decimal: "0.5", "2", "0.000001".
    public var description: String {
        let whole = micros / Self.microsPerUnit
        let fraction = micros % Self.microsPerUnit
        guard fraction != 0 else { return "\(whole)" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 6 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    /// Orders by amount.
    public static func < (lhs: Epsilon, rhs: Epsilon) -> Bool { lhs.micros < rhs.micros }

    /// The sum, or nil when it would not fit (a budget that large is refused rather than wrapped).
    public func adding(_ other: Epsilon) -> Epsilon? {
        let (sum, overflow) = micros.addingReportingOverflow(other.micros)
        return overflow ? nil : Epsilon(micros: sum)
    }

    /// The difference, floored at zero: what is left of `self` after `other`.
    public func remaining(after other: Epsilon) -> Epsilon {
        Epsilon(micros: Swift.max(0, micros - other.micros))
    }
}

extension Epsilon: Codable {
    /// Decodes a JSON number, holding it to the same six-decimal rule (zero allowed, for spent amounts).
    public init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer().decode(Double.self)
        do {
            self = value == 0 ? .zero : try Epsilon(validating: value)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    /// Encodes as a JSON number such as 0.5.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(doubleValue)
    }
}
