public import Foundation

/// One field of the customer information file, as the policy declares it.
public struct FieldDefinition: Sendable, Hashable {
    /// The field's name, in lower_snake_case; the store and every decision use it.
    public let name: String
    /// Which part of the customer information file the field belongs to.
    public let section: Section
    /// The shape of the field's values, which the store validates and encodes.
    public let type: ValueType
    /// A dotted data category in the style of the fideslang taxonomy, such as `user.contact.email`.
    public let category: String
    /// How much harm a disclosure would do; shown to reviewers and in reports.
    public let sensitivity: Sensitivity
    /// Whether the vault keeps a blind index (keyed HMAC) of the value so that customers can be found by it.
    public let lookup: Bool
    /// How long after collection the value may be kept and processed.
    public let retention: ISO8601Duration
    /// How aggregate queries may use the field.
    public let analytics: AnalyticsUse
    /// For `string` and `string_list` fields, the only values allowed; nil allows any text.
    public let allowedValues: [String]?
    /// For `integer` and `decimal` fields, the inclusive range of valid values; nil allows any.
    public let range: Bounds?
    /// What the field holds, for people reading the policy.
    public let description: String?

    /// The customer-information-file parts of the marketing literature: who, how they respond, what they bought.
    public enum Section: String, Sendable, Hashable, CaseIterable, Codable {
        /// Who the customer is: name, contact, birth year, region.
        case characteristics
        /// How the customer responds to the firm: preferences, channel, satisfaction.
        case responses
        /// What the customer bought.
        case purchases
    }

    /// The shape of a field's values.
    public enum ValueType: String, Sendable, Hashable, CaseIterable, Codable {
        /// Free text.
        case string
        /// An e-mail address.
        case email
        /// A telephone number.
        case phone
        /// A whole number.
        case integer
        /// A decimal amount; money is stored as whole cents.
        case decimal
        /// A calendar date.
        case date
        /// A list of texts, such as product interests.
        case stringList = "string_list"
        /// Amounts keyed by category, such as stated spend per product category.
        case decimalMap = "decimal_map"
        /// A list of purchase records: date, amount, margin, category.
        case purchases
    }

    /// Sensitivity levels, from least to most harmful on disclosure.
    public enum Sensitivity: String, Sendable, Hashable, CaseIterable, Codable {
        /// Coarse facts that identify no one alone, such as a region.
        case low
        /// Ordinary personal data, such as a name or birth year.
        case medium
        /// Data whose disclosure enables contact, fraud or profiling: e-mail, phone, purchases, finances.
        case high
    }

    /// Whether a value collected at `collectedAt` is past its retention period at `now`.
    public func isExpired(collectedAt: Date, now: Date) -> Bool {
        retention.adding(to: collectedAt) <= now
    }

    /// `isExpired(collectedAt:now:)` for one `now` and many collection times, at the cost of a
    /// comparison each: a scan over every customer cannot afford calendar arithmetic per value.
    public func retentionCutoff(now: Date) -> RetentionCutoff {
        RetentionCutoff(field: self, now: now)
    }
}

/// Which collection times a field's retention has expired at one moment.
///
/// Adding the retention period is monotone in the collection time, so the expired times are exactly
/// those up to some threshold; a bisection brackets it to under a millisecond once, and only a time
/// inside that bracket pays for the calendar.
public struct RetentionCutoff: Sendable {
    private let field: FieldDefinition
    private let now: Date
    /// Collected at or before this: expired.
    private let expiredThrough: Date
    /// Collected at or after this: not expired.
    private let liveFrom: Date

    init(field: FieldDefinition, now: Date) {
        self.field = field
        self.now = now
        var expired = Date.distantPast
        var live = now
        guard field.isExpired(collectedAt: expired, now: now), !field.isExpired(collectedAt: live, now: now) else {
            // A zero retention expires everything collected up to now; nothing else can happen.
            expiredThrough = now
            liveFrom = now.addingTimeInterval(0.001)
            return
        }
        while live.timeIntervalSince(expired) > 0.0005 {
            let middle = expired.addingTimeInterval(live.timeIntervalSince(expired) / 2)
            if field.isExpired(collectedAt: middle, now: now) { expired = middle } else { live = middle }
        }
        expiredThrough = expired
        liveFrom = live
    }

    /// Whether a value collected at `collectedAt` is past its retention.
    public func isExpired(collectedAt: Date) -> Bool {
        if collectedAt <= expiredThrough { return true }
        if collectedAt >= liveFrom { return false }
        return field.isExpired(collectedAt: collectedAt, now: now)
    }
}

/// An inclusive, public range `[min, max]`; never derived from customer data.
public struct Bounds: Sendable, Hashable, Codable {
    /// The smallest allowed value.
    public let min: Double
    /// The largest allowed value.
    public let max: Double

    /// A range from `min` to `max`; the validator guarantees both are finite and `min <= max`.
    public init(min: Double, max: Double) {
        self.min = min
        self.max = max
    }
}

/// How aggregate queries may use a field.
public enum AnalyticsUse: Sendable, Hashable {
    /// Never used in aggregates (`use: none` in the policy file).
    case never
    /// A group-by key (and filter); integers may be grouped into buckets of `bucket` units, e.g. decades.
    case groupBy(bucket: Int?)
    /// A measure; each customer's value is clamped to these public bounds before it is summed.
    case measure(Bounds)
    /// A measure over purchase records; each customer's total amount and total margin are clamped.
    case purchaseMeasure(amount: Bounds, margin: Bounds)
}
