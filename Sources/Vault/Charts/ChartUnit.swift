/// How a measure's values are shown on a chart axis: engine units per shown unit, and its name.
public struct ChartUnit: Sendable, Hashable {
    /// Engine units per shown unit (100 for cents shown as currency units).
    public let divisor: Double
    /// The unit's name on the axis.
    public let name: String

    /// Customers.
    public static let customers = ChartUnit(divisor: 1, name: "customers")
    /// Cents shown as currency units.
    public static let money = ChartUnit(divisor: 100, name: "currency units")
    /// Cents² shown as currency units².
    public static let moneySquared = ChartUnit(divisor: 10_000, name: "currency units²")
    /// A fraction shown as a percentage.
    public static let share = ChartUnit(divisor: 0.01, name: "%")
    /// A number without a unit.
    public static let plain = ChartUnit(divisor: 1, name: "")

    /// The unit a measure's values come in (money in cents, counts in customers, shares as fractions).
    public static func of(_ measure: String) -> ChartUnit {
        switch measure {
        case "count", "rfm": .customers
        case "clv", "customer_equity", "margin_mean", "margin_sd": .money
        case "margin_variance": .moneySquared
        case "retention", "share_of_wallet": .share
        // The default policy's decimal fields hold money.
        case _ where measure.contains("category_spend") || measure.contains("purchases"): .money
        default: .plain
        }
    }
}
