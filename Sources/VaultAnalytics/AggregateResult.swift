/// What an analyst gets back: noisy numbers for the groups whose noisy count cleared the threshold,
/// each with its noise scale and a 95 % interval, and how many cells of the domain are not shown.
public struct AggregateResult: Sendable, Hashable, Codable {
    /// One released number.
    public struct Value: Sendable, Hashable, Codable {
        /// The measure's canonical spelling, e.g. "mean(basket_value)".
        public let measure: String
        /// The noisy value, in the measure's unit (customers, the field's fixed-point unit, cents, or a share in [0, 1]).
        public let value: Double
        /// The scale b of the discrete Laplace noise, in the same unit (for a ratio, the numerator's
        /// noise scale divided by the noisy denominator).
        public let noiseScale: Double
        /// An interval that holds the exact value (of the clamped data) with probability at least 95 %.
        public let interval: ClosedRange<Double>

        /// A released number.
        public init(measure: String, value: Double, noiseScale: Double, interval: ClosedRange<Double>) {
            self.measure = measure
            self.value = value
            self.noiseScale = noiseScale
            self.interval = interval
        }
    }

    /// One released group.
    public struct Group: Sendable, Hashable, Codable {
        /// Group-by field → bucket (and "rfm" → segment); empty without group-by.
        public let key: [String: String]
        /// One value per measure, in the query's canonical order.
        public let values: [Value]

        /// A released group.
        public init(key: [String: String], values: [Value]) {
            self.key = key
            self.values = values
        }
    }

    /// The query's canonical form.
    public let query: String
    /// The ε this answer was computed with (a cached repeat costs nothing more).
    public let epsilon: Epsilon
    /// The released groups, in the policy's bucket order.
    public let groups: [Group]
    /// How many cells of the public group-by domain are not shown, whether suppressed or empty:
    /// the two are deliberately indistinguishable.
    public let suppressedGroups: Int
    /// The noisy count a group needed to be shown.
    public let suppressionThreshold: Int64
    /// The day (`DayNumber`) the answer was computed as of: a repeat answered from the cache keeps it.
    public let asOf: Int32

    /// A result.
    public init(query: String, epsilon: Epsilon, groups: [Group], suppressedGroups: Int, suppressionThreshold: Int64, asOf: Int32) {
        self.query = query
        self.epsilon = epsilon
        self.groups = groups
        self.suppressedGroups = suppressedGroups
        self.suppressionThreshold = suppressionThreshold
        self.asOf = asOf
    }
}
