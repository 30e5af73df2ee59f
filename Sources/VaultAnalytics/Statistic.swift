/// An integer total kept per group and released with its own noise; measures are built from these.
///
/// Each customer changes each total by at most its sensitivity, and only in the customer's group.
enum Statistic: Hashable, Comparable {
    /// Customers in the group (always released: suppression reads it).
    case count
    /// Σ of a field's clamped values (field index).
    case fieldSum(Int)
    /// Customers who have a value for the field (field index): the denominator of its mean.
    case fieldCount(Int)
    /// Σ of customers' clamped margins over the CLV window.
    case marginSum
    /// Customers who bought in the year before last, [asOf − 2 years, asOf − 1 year).
    case activeYearBefore
    /// Of those, customers who also bought in the last year, [asOf − 1 year, asOf).
    case retained
    /// Σ of customers' share of wallet, in millionths.
    case walletSum
    /// Customers with a stated category spend: the denominator of the mean share of wallet.
    case walletCount
    /// Σ of customers' squared distances from the middle of the annual margin bounds (annual
    /// margin: the clamped window margin ÷ its years, in whole cents): with the margin sum and the
    /// count, the variance of annual margin. Centring makes one customer's share at most
    /// ((b − a)/2)² instead of max(a², b²): a quarter of it for bounds [0, b].
    case marginSquareSum

    /// Share of wallet is carried in millionths so that the engine stays in integers.
    static let walletScale: Int64 = 1_000_000

    /// The public bounds each customer's contribution is clamped to; a customer without a value
    /// contributes nothing (not the clamped zero).
    func contributionBounds(_ configuration: AnalyticsConfiguration) -> ClosedRange<Int64> {
        switch self {
        case .count, .fieldCount, .activeYearBefore, .retained, .walletCount: 0...1
        case .fieldSum(let field): configuration.fields[field].bounds
        case .marginSum: configuration.lifetimeValue.windowMargin
        case .walletSum: 0...Self.walletScale
        case .marginSquareSum: Self.centredSquares(of: configuration.lifetimeValue.annualMargin)
        }
    }

    /// The squares of the distances from the centre, which lie in [a − c, b − c] ∋ 0; the plan
    /// checked they fit.
    static func centredSquares(of bounds: ClosedRange<Int64>) -> ClosedRange<Int64> {
        let centre = centre(of: bounds)
        return 0...max((bounds.lowerBound - centre) * (bounds.lowerBound - centre), (bounds.upperBound - centre) * (bounds.upperBound - centre))
    }

    /// The public point squared margins are measured from: the middle of the bounds, in whole cents.
    static func centre(of bounds: ClosedRange<Int64>) -> Int64 {
        bounds.lowerBound + (bounds.upperBound - bounds.lowerBound) / 2
    }

    /// The most one customer can change this total (its L1 sensitivity): adding or removing them
    /// moves it by their contribution, at most max(|min|, |max|) of the bounds.
    func sensitivity(_ configuration: AnalyticsConfiguration) -> UInt64 {
        let bounds = contributionBounds(configuration)
        return max(bounds.lowerBound.magnitude, bounds.upperBound.magnitude)
    }

    /// A name for messages.
    func label(_ configuration: AnalyticsConfiguration) -> String {
        switch self {
        case .count: "the count"
        case .fieldSum(let field): "the sum of '\(configuration.fields[field].name)'"
        case .fieldCount(let field): "the number of customers with '\(configuration.fields[field].name)'"
        case .marginSum: "the CLV margin sum"
        case .activeYearBefore, .retained: "the retention counts"
        case .walletSum, .walletCount: "the share of wallet"
        case .marginSquareSum: "the sum of squared annual margins"
        }
    }
}
