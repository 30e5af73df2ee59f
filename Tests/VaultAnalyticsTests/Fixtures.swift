import Foundation
import VaultAnalytics

/// The configuration and synthetic customers the engine tests share.
enum Fixtures {
    static let regions = ["north", "south", "east", "west"]
    static let segments = ["standard", "gold", "vip"]
    static let spendBounds: ClosedRange<Int64> = 0...50_000
    static let ageBounds: ClosedRange<Int64> = 18...100
    static let annualMargin: ClosedRange<Int64> = -2_000...30_000
    /// 29 February: year arithmetic must step back to 28 February.
    static let asOf = DayNumber.of(year: 2024, month: 2, day: 29)

    static func configuration(
        minimumGroupSize: Int = 1,
        suppressionDelta: Double = 1e-9,
        asOf: Int32 = asOf,
        annualMargin: ClosedRange<Int64> = annualMargin,
        windowYears: Int = 3,
        walletCategories: Set<UInt16>? = [1, 2]
    ) throws -> AnalyticsConfiguration {
        try AnalyticsConfiguration(
            dimensions: [
                .init(name: "region", domain: regions),
                .init(name: "segment", domain: segments),
            ],
            fields: [.init(name: "spend", bounds: spendBounds), .init(name: "age", bounds: ageBounds)],
            minimumGroupSize: minimumGroupSize,
            suppressionDelta: suppressionDelta,
            lifetimeValue: LifetimeValueModel(
                discountRate: 0.1,
                retentionRate: 0.7,
                annualMargin: annualMargin,
                windowYears: windowYears
            ),
            rfm: RFMThresholds(recencyDays: [30, 180], frequency: [2, 6], monetary: [10_000, 100_000]),
            walletCategories: walletCategories,
            asOf: asOf
        )
    }

    /// Customers with purchases spread over four years before the as-of date (and a few after it),
    /// values beyond the public bounds, missing values, and purchases on the window boundaries.
    static func customers(count: Int, seed: UInt64) -> [AnalyticsRecord] {
        var generator = DataGenerator(seed: seed)
        let oneYearAgo = Int64(Calendars.yearsBefore(1, asOf))
        let boundaries = [
            asOf - 1, asOf, Int32(oneYearAgo) - 1, Int32(oneYearAgo), Calendars.yearsBefore(2, asOf),
            Calendars.yearsBefore(2, asOf) - 1, Calendars.yearsBefore(3, asOf), Calendars.yearsBefore(3, asOf) - 1,
        ]
        return (0..<count).map { _ in
            var purchases: [AnalyticsRecord.Purchase] = []
            for _ in 0..<generator.int(in: 0...12) {
                let day: Int32 =
                    generator.chance(0.1)
                    ? generator.element(of: boundaries)
                    : Int32(generator.int(in: Int64(asOf) - 4 * 366...Int64(asOf) + 30))
                purchases.append(
                    .init(
                        day: day,
                        amount: generator.int(in: -500...80_000),
                        margin: generator.int(in: -3_000...25_000),
                        category: UInt16(generator.int(in: 0...3))
                    )
                )
            }
            return AnalyticsRecord(
                dimensions: [
                    generator.chance(0.02) ? nil : generator.element(of: regions), generator.element(of: segments),
                ],
                fields: [
                    generator.chance(0.1) ? nil : generator.int(in: -1_000...70_000),
                    generator.chance(0.3) ? nil : generator.int(in: 10...110),
                ],
                purchases: purchases,
                statedCategorySpend: generator.chance(0.2) ? nil : generator.int(in: -100...300_000)
            )
        }
    }
}

/// Calendar arithmetic by Foundation, independent of the engine's own.
enum Calendars {
    static let gregorian: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func date(_ day: Int32) -> Date { Date(timeIntervalSince1970: Double(day) * 86_400) }

    static func day(_ date: Date) -> Int32 { Int32((date.timeIntervalSince1970 / 86_400).rounded(.down)) }

    static func yearsBefore(_ years: Int, _ day: Int32) -> Int32 {
        self.day(gregorian.date(byAdding: .year, value: -years, to: date(day))!)
    }
}
