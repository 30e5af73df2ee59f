/// What one customer's purchases say, summed in one pass over them: the inputs of CLV, retention,
/// share of wallet and RFM. Purchases on or after the as-of date are ignored.
struct CustomerActivity {
    /// The fixed windows, computed once per query from the as-of date.
    struct Windows: Sendable {
        let asOf: Int32
        let oneYearAgo: Int32
        let twoYearsAgo: Int32
        let marginStart: Int32
        /// Bit c is set when category c counts towards share of wallet; nil means every category counts.
        let walletCategories: [UInt64]?
        /// Whether the query needs share of wallet (a wide division per customer otherwise wasted).
        let tracksWallet: Bool

        init(_ configuration: AnalyticsConfiguration, tracksWallet: Bool) {
            self.tracksWallet = tracksWallet
            asOf = configuration.asOf
            oneYearAgo = DayNumber.years(1, before: asOf)
            twoYearsAgo = DayNumber.years(2, before: asOf)
            marginStart = DayNumber.years(configuration.lifetimeValue.windowYears, before: asOf)
            walletCategories = configuration.walletCategories.map { categories in
                var bits = [UInt64](repeating: 0, count: Int(categories.max() ?? 0) / 64 + 1)
                for category in categories { bits[Int(category) / 64] |= 1 << (UInt64(category) % 64) }
                return bits
            }
        }

        func countsTowardsWallet(_ category: UInt16) -> Bool {
            guard let walletCategories else { return true }
            let word = Int(category) / 64
            return word < walletCategories.count && walletCategories[word] & (1 << (UInt64(category) % 64)) != 0
        }
    }

    private(set) var windowMargin: Int64 = 0
    private(set) var boughtYearBefore = false
    private(set) var boughtLastYear = false
    private(set) var purchasesLastYear: Int64 = 0
    private(set) var spendLastYear: Int64 = 0
    private(set) var lastPurchase: Int32?
    /// min(1, spend with the firm in the last year ÷ stated category spend), in millionths, or nil
    /// without a positive stated spend (or when the query does not need it).
    private(set) var shareOfWallet: Int64?

    /// Sums `record`'s purchases. A static function rather than an initialiser, because initialisers
    /// take their arguments owned, which would copy (retain and release) the record's arrays per customer.
    ///
    /// The loop keeps its sums in locals and selects instead of branching: purchase dates are in no
    /// particular order, so date branches would be mispredicted on most purchases.
    static func of(_ record: AnalyticsRecord, _ windows: Windows) -> CustomerActivity {
        let purchases = record.purchases
        var margin: Int64 = 0
        var yearBefore = false
        var lastYear = false
        var count: Int64 = 0
        var spend: Int64 = 0
        var walletSpend: Int64 = 0
        var last = Int32.min
        for index in purchases.indices {
            let purchase = purchases[index]
            let past = purchase.day < windows.asOf
            let inLastYear = past && purchase.day >= windows.oneYearAgo
            margin = margin.saturatingAdd(past && purchase.day >= windows.marginStart ? purchase.margin : 0)
            yearBefore = yearBefore || (purchase.day >= windows.twoYearsAgo && purchase.day < windows.oneYearAgo)
            lastYear = lastYear || inLastYear
            count += inLastYear ? 1 : 0
            spend = spend.saturatingAdd(inLastYear ? purchase.amount : 0)
            let towardsWallet = inLastYear && windows.countsTowardsWallet(purchase.category)
            walletSpend = walletSpend.saturatingAdd(towardsWallet ? purchase.amount : 0)
            last = past ? max(last, purchase.day) : last
        }
        var activity = CustomerActivity()
        activity.windowMargin = margin
        activity.boughtYearBefore = yearBefore
        activity.boughtLastYear = lastYear
        activity.purchasesLastYear = count
        activity.spendLastYear = spend
        activity.lastPurchase = last == .min ? nil : last
        if windows.tracksWallet { activity.shareOfWallet = share(of: walletSpend, in: record.statedCategorySpend) }
        return activity
    }

    /// Days from the last purchase to the as-of date; nil for a customer who never bought.
    func daysSinceLastPurchase(_ windows: Windows) -> Int64? {
        lastPurchase.map { Int64(windows.asOf) - Int64($0) }
    }

    /// Refunds cannot push the share below 0, nor spend beyond the statement push it above 1.
    private static func share(of spend: Int64, in statedCategorySpend: Int64?) -> Int64? {
        guard let stated = statedCategorySpend, stated > 0 else { return nil }
        let spend = max(0, spend)
        guard spend < stated else { return Statistic.walletScale }
        // spend < stated, so the quotient is below 10⁶ and the wide division cannot overflow.
        return stated.dividingFullWidth(spend.multipliedFullWidth(by: Statistic.walletScale)).quotient
    }
}
