/// Public thresholds that place each customer in one RFM (recency, frequency, monetary) segment.
///
/// Scores count thresholds met, so more thresholds give finer segments:
/// - R = 1 + #{thresholds ≥ days since the last purchase before the as-of date} (recent is high;
///   a customer who never bought scores 1);
/// - F = 1 + #{thresholds ≤ number of purchases in the last year, [asOf − 1 year, asOf)};
/// - M = 1 + #{thresholds ≤ amount spent in the last year, in cents}.
///
/// The segment ("R3F1M2") acts as a derived group key. Every segment is in the public domain
/// whatever the data, and each customer falls in exactly one, so segment counts compose in parallel.
package struct RFMThresholds: Sendable, Hashable {
    /// Recency thresholds in days, strictly ascending.
    package let recencyDays: [Int32]
    /// Frequency thresholds in purchases per year, strictly ascending.
    package let frequency: [Int64]
    /// Monetary thresholds in cents per year, strictly ascending.
    package let monetary: [Int64]

    /// Validates the thresholds: strictly ascending, non-negative, at most eight per score.
    package init(recencyDays: [Int32], frequency: [Int64], monetary: [Int64]) throws(AnalyticsError) {
        func check<T: BinaryInteger>(_ values: [T], _ name: String) throws(AnalyticsError) {
            guard values.count <= 8, values.allSatisfy({ $0 >= 0 }), zip(values, values.dropFirst()).allSatisfy({ $0 < $1 })
            else {
                throw .invalidConfiguration(
                    "the RFM \(name) thresholds must be at most eight non-negative numbers in strictly ascending order"
                )
            }
        }
        try check(recencyDays, "recency")
        try check(frequency, "frequency")
        try check(monetary, "monetary")
        self.recencyDays = recencyDays
        self.frequency = frequency
        self.monetary = monetary
    }

    /// How many segments there are: the public domain of the derived key.
    var segmentCount: Int { (recencyDays.count + 1) * (frequency.count + 1) * (monetary.count + 1) }

    /// The segment of a customer, as an index into the domain.
    func segment(daysSinceLastPurchase: Int64?, purchasesLastYear: Int64, spendLastYear: Int64) -> Int {
        let r = daysSinceLastPurchase.map { days in recencyDays.count(where: { days <= Int64($0) }) } ?? 0
        let f = frequency.count(where: { purchasesLastYear >= $0 })
        let m = monetary.count(where: { spendLastYear >= $0 })
        return (r * (frequency.count + 1) + f) * (monetary.count + 1) + m
    }

    /// The label of a segment index, such as "R3F1M2".
    func label(_ segment: Int) -> String {
        let m = segment % (monetary.count + 1)
        let rest = segment / (monetary.count + 1)
        let f = rest % (frequency.count + 1)
        let r = rest / (frequency.count + 1)
        return "R\(r + 1)F\(f + 1)M\(m + 1)"
    }
}
