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

        init(_ configuration: AnalyticsConfiguration) {
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
    private(set) var walletSpendLastYear: Int64 = 0
    private(set) var lastPurchase: Int32?
    /// min(1, spend with the firm in the last year ÷ stated category spend), in millionths, or nil
    /// without a positive stated spend.
    private(set) var shareOfWallet: Int64?

    init(_ record: AnalyticsRecord, _ windows: Windows) {
        for purchase in record.purchases where purchase.day < windows.asOf {
            if purchase.day >= windows.marginStart { windowMargin = windowMargin.saturatingAdd(purchase.margin) }
            if purchase.day >= windows.oneYearAgo {
                boughtLastYear = true
                purchasesLastYear += 1
                spendLastYear = spendLastYear.saturatingAdd(purchase.amount)
                if windows.countsTowardsWallet(purchase.category) {
                    walletSpendLastYear = walletSpendLastYear.saturatingAdd(purchase.amount)
                }
            } else if purchase.day >= windows.twoYearsAgo {
                boughtYearBefore = true
            }
            lastPurchase = max(lastPurchase ?? purchase.day, purchase.day)
        }
        shareOfWallet = Self.share(of: walletSpendLastYear, in: record.statedCategorySpend)
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
