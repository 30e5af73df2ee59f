/// The privacy rules for aggregate queries and the assumptions behind customer lifetime value.
public struct AggregationRules: Sendable, Hashable {
    /// Groups whose noisy count is below `k` are suppressed.
    public let k: Int
    /// The ε a query spends when it names none.
    public let epsilonPerQuery: Double
    /// The most ε one query may spend.
    public let maxEpsilonPerQuery: Double
    /// How much ε each analyst may spend per period, and ever.
    public let perAnalystBudget: Budget
    /// How much ε all analysts together may spend per period (their own), and ever.
    public let globalBudget: Budget
    /// The assumptions customer lifetime value is computed with.
    public let clv: CLVParameters

    /// An ε allowance that renews every `period`, under a lifetime cap that never renews: without
    /// the cap, an analyst could repeat a query every period and average its noise away.
    public struct Budget: Sendable, Hashable {
        /// The total ε that may be spent in one period.
        public let epsilon: Double
        /// The length of one period.
        public let period: ISO8601Duration
        /// The total ε that may ever be spent; at least `epsilon`.
        public let lifetime: Double

        /// The lifetime cap a budget gets when its policy names none: four periods' worth.
        static func defaultLifetime(epsilon: Double) -> Double { epsilon * 4 }
    }

    /// Customer lifetime value assumptions: CLV = m × (1+d)/(1+d−r), m averaged over the margin window.
    public struct CLVParameters: Sendable, Hashable {
        /// The annual discount rate d, e.g. 0.10.
        public let discountRate: Double
        /// The assumed annual retention rate r, e.g. 0.75.
        public let retentionRate: Double
        /// How many calendar years of purchases the annual margin m is averaged over.
        public let marginWindowYears: Int
        /// Public bounds each customer's annual margin m is clamped to.
        public let annualMarginBounds: Bounds
    }

    static let defaults = AggregationRules(
        k: defaultK,
        epsilonPerQuery: defaultEpsilonPerQuery,
        maxEpsilonPerQuery: defaultEpsilonPerQuery,
        perAnalystBudget: defaultPerAnalystBudget,
        globalBudget: defaultGlobalBudget,
        clv: defaultCLV
    )
    static let defaultK = 10
    static let defaultEpsilonPerQuery = 0.5
    static let defaultPerAnalystBudget = Budget(epsilon: 5, period: ISO8601Duration(days: 30)!, lifetime: 20)
    static let defaultGlobalBudget = Budget(epsilon: 20, period: ISO8601Duration(days: 30)!, lifetime: 80)
    static let defaultCLV = CLVParameters(
        discountRate: 0.10,
        retentionRate: 0.75,
        marginWindowYears: 5,
        annualMarginBounds: Bounds(min: 0, max: 2000)
    )
}
