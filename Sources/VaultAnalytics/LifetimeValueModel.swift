/// The customer-lifetime-value model, with public parameters from the policy.
///
/// CLV of a customer = m × (1 + d) / (1 + d − r), the infinite-horizon retention model of Gupta &
/// Lehmann ("Customers as Assets", 2003), where
/// - m is the customer's average annual margin over the last `windowYears` calendar years before the
///   as-of date (margin of purchases in [asOf − windowYears, asOf) ÷ windowYears), clamped to the
///   public `annualMargin` bounds;
/// - d is the annual discount rate and r the annual retention rate, both public.
///
/// Assumptions: the margin m stays constant; the customer is retained each year with the same
/// probability r, independently; margins arrive at the start of each year, the first one now (hence
/// the factor 1 + d, against m·r/(1 + d − r) for end-of-year margins); the horizon is infinite. The
/// window is the same for every customer: a customer who joined within it averages over the whole
/// window (fewer active years, lower m), which is conservative, and avoids annualising a single
/// recent order into an extreme margin.
package struct LifetimeValueModel: Sendable, Hashable {
    /// The annual discount rate d (0.1 for 10 %).
    package let discountRate: Double
    /// The annual retention rate r, in [0, 1).
    package let retentionRate: Double
    /// Public bounds on a customer's average annual margin, in cents.
    package let annualMargin: ClosedRange<Int64>
    /// How many calendar years of purchases before the as-of date the margin averages over.
    package let windowYears: Int

    /// Validates the parameters: d ≥ 0, 0 ≤ r < 1, 1 ≤ window ≤ 100 years, bounds within the supported range.
    package init(
        discountRate: Double,
        retentionRate: Double,
        annualMargin: ClosedRange<Int64>,
        windowYears: Int
    ) throws(AnalyticsError) {
        guard discountRate.isFinite, discountRate >= 0 else {
            throw .invalidConfiguration("the CLV discount rate must be a finite number ≥ 0")
        }
        guard retentionRate.isFinite, retentionRate >= 0, retentionRate < 1 else {
            throw .invalidConfiguration("the CLV retention rate must lie in [0, 1)")
        }
        guard (1...100).contains(windowYears) else {
            throw .invalidConfiguration("the CLV window must be 1 to 100 years")
        }
        let magnitude = max(annualMargin.lowerBound.magnitude, annualMargin.upperBound.magnitude)
        guard magnitude >= 1, magnitude <= AnalyticsConfiguration.largestBound / UInt64(windowYears) else {
            throw .invalidConfiguration(
                "the CLV annual margin bounds must not both be zero and, times the window in years, "
                    + "stay within ±\(AnalyticsConfiguration.largestBound)"
            )
        }
        self.discountRate = discountRate
        self.retentionRate = retentionRate
        self.annualMargin = annualMargin
        self.windowYears = windowYears
    }

    /// (1 + d) / (1 + d − r): what one unit of annual margin is worth over the customer's lifetime.
    package var multiplier: Double { (1 + discountRate) / (1 + discountRate - retentionRate) }

    /// The window's total margin is clamped to the annual bounds times the window, which equals
    /// clamping the annual average, without a division per customer.
    var windowMargin: ClosedRange<Int64> {
        let years = Int64(windowYears)
        return (annualMargin.lowerBound * years)...(annualMargin.upperBound * years)
    }
}
