import Foundation
import Testing
import VaultAnalytics
import VaultCrypto

/// With ε at its largest (10⁹) every noise scale is at most 0.01, so a draw is non-zero with
/// probability about 2e^(−100): the released values must equal exact aggregates, computed here
/// independently of the engine (Foundation calendar, floating point, no fixed point).
@Suite struct AccuracyTests {
    static let customers = Fixtures.customers(count: 3_000, seed: 7)

    /// One group's exact aggregates.
    struct Exact {
        var count = 0
        var spendSum: Int64 = 0
        var spendCount = 0
        var ageSum: Int64 = 0
        var ageCount = 0
        var annualMarginSum = 0.0
        var activeYearBefore = 0
        var retained = 0
        var walletSum = 0.0
        var walletCount = 0
    }

    static func exact(
        _ records: [AnalyticsRecord],
        groupBy dimension: Int?,
        filter: (Int, String)? = nil
    ) -> [String: Exact] {
        let asOf = Fixtures.asOf
        let oneYearAgo = Calendars.yearsBefore(1, asOf)
        let twoYearsAgo = Calendars.yearsBefore(2, asOf)
        let windowStart = Calendars.yearsBefore(3, asOf)
        var groups: [String: Exact] = [:]
        for record in records {
            if let (index, value) = filter, record.dimensions[index] != value { continue }
            let key: String
            if let dimension {
                guard let value = record.dimensions[dimension] else { continue }
                key = value
            } else {
                key = ""
            }
            var exact = groups[key, default: Exact()]
            exact.count += 1
            if let spend = record.fields[0] {
                exact.spendSum += min(max(spend, Fixtures.spendBounds.lowerBound), Fixtures.spendBounds.upperBound)
                exact.spendCount += 1
            }
            if let age = record.fields[1] {
                exact.ageSum += min(max(age, Fixtures.ageBounds.lowerBound), Fixtures.ageBounds.upperBound)
                exact.ageCount += 1
            }
            let past = record.purchases.filter { $0.day < asOf }
            let margin = past.filter { $0.day >= windowStart }.reduce(0) { $0 + $1.margin }
            let annual = Double(margin) / 3
            exact.annualMarginSum += min(
                max(annual, Double(Fixtures.annualMargin.lowerBound)),
                Double(Fixtures.annualMargin.upperBound)
            )
            let before = past.contains { $0.day >= twoYearsAgo && $0.day < oneYearAgo }
            let last = past.contains { $0.day >= oneYearAgo }
            exact.activeYearBefore += before ? 1 : 0
            exact.retained += before && last ? 1 : 0
            if let stated = record.statedCategorySpend, stated > 0 {
                let spend = past.filter { $0.day >= oneYearAgo && [1, 2].contains($0.category) }.reduce(0) { $0 + $1.amount }
                exact.walletSum += min(1, Double(max(0, spend)) / Double(stated))
                exact.walletCount += 1
            }
            groups[key] = exact
        }
        return groups
    }

    static func release(
        _ measures: [Measure],
        groupBy: [String] = [],
        filters: [String: String] = [:],
        records: [AnalyticsRecord] = customers,
        configuration: AnalyticsConfiguration? = nil
    ) throws -> AggregateResult {
        let plan = try AggregatePlan(
            query: AggregateQuery(measures: measures, groupBy: groupBy, filters: filters, epsilon: .largest),
            configuration: configuration ?? Fixtures.configuration()
        )
        var accumulator = AnalyticsAccumulator(plan: plan)
        for record in records { accumulator.add(record) }
        return accumulator.release(using: SystemRandom())
    }

    static func expectClose(_ value: AggregateResult.Value?, _ expected: Double, tolerance: Double = 1e-9) {
        guard let value else {
            Issue.record("missing value")
            return
        }
        let scale = max(1, abs(expected))
        #expect(abs(value.value - expected) <= tolerance * scale, "\(value.measure)")
        #expect(abs(value.interval.lowerBound - expected) <= tolerance * scale, "\(value.measure) interval")
        #expect(abs(value.interval.upperBound - expected) <= tolerance * scale, "\(value.measure) interval")
    }

    @Test func everyMeasureEqualsTheExactAggregate() throws {
        let result = try Self.release(
            [.count, .sum("spend"), .mean("spend"), .mean("age"), .clv, .customerEquity, .retention, .shareOfWallet],
            groupBy: ["region"]
        )
        let expected = Self.exact(Self.customers, groupBy: 0)
        let multiplier = 1.1 / (1.1 - 0.7)
        #expect(result.groups.map { $0.key["region"]! } == Fixtures.regions.filter { expected[$0] != nil })
        #expect(result.suppressedGroups == Fixtures.regions.count - expected.count)
        for group in result.groups {
            let exact = try #require(expected[group.key["region"]!])
            func value(_ measure: Measure) -> AggregateResult.Value? {
                group.values.first { $0.measure == measure.description }
            }
            Self.expectClose(value(.count), Double(exact.count))
            Self.expectClose(value(.sum("spend")), Double(exact.spendSum))
            Self.expectClose(value(.mean("spend")), Double(exact.spendSum) / Double(exact.spendCount))
            Self.expectClose(value(.mean("age")), Double(exact.ageSum) / Double(exact.ageCount))
            Self.expectClose(value(.clv), exact.annualMarginSum * multiplier / Double(exact.count))
            Self.expectClose(value(.customerEquity), exact.annualMarginSum * multiplier)
            Self.expectClose(value(.retention), Double(exact.retained) / Double(exact.activeYearBefore))
            // Share of wallet is kept in millionths, rounded down per customer.
            Self.expectClose(value(.shareOfWallet), exact.walletSum / Double(exact.walletCount), tolerance: 1e-6)
            #expect(
                group.values.map(\.measure) == [
                    "clv", "count", "customer_equity", "mean(age)", "mean(spend)", "retention", "share_of_wallet", "sum(spend)",
                ]
            )
        }
    }

    @Test func filtersAndUngroupedQueriesMatchToo() throws {
        let filtered = try Self.release([.count, .sum("spend")], groupBy: ["region"], filters: ["segment": "gold"])
        let expected = Self.exact(Self.customers, groupBy: 0, filter: (1, "gold"))
        #expect(filtered.groups.count == expected.count)
        for group in filtered.groups {
            let exact = try #require(expected[group.key["region"]!])
            Self.expectClose(group.values[0], Double(exact.count))
            Self.expectClose(group.values[1], Double(exact.spendSum))
        }
        let whole = try Self.release([.count])
        #expect(whole.groups.count == 1 && whole.groups[0].key.isEmpty && whole.suppressedGroups == 0)
        Self.expectClose(whole.groups[0].values[0], Double(Self.customers.count))
    }

    @Test func rfmSegmentsCountEachCustomerOnce() throws {
        let result = try Self.release([.rfm], groupBy: ["segment"])
        let asOf = Fixtures.asOf
        let oneYearAgo = Calendars.yearsBefore(1, asOf)
        var expected: [String: Int] = [:]
        for record in Self.customers {
            let past = record.purchases.filter { $0.day < asOf }
            let lastYear = past.filter { $0.day >= oneYearAgo }
            let r = past.map { Int(asOf - $0.day) }.min().map { days in [30, 180].filter { days <= $0 }.count } ?? 0
            let f = [2, 6].filter { lastYear.count >= $0 }.count
            let m = [10_000, 100_000].filter { lastYear.reduce(0) { $0 + $1.amount } >= $0 }.count
            expected["\(record.dimensions[1]!)/R\(r + 1)F\(f + 1)M\(m + 1)", default: 0] += 1
        }
        let released = Dictionary(
            uniqueKeysWithValues: result.groups.map {
                ("\($0.key["segment"]!)/\($0.key["rfm"]!)", $0.values[0].value)
            }
        )
        #expect(released == expected.mapValues(Double.init))
        #expect(result.suppressedGroups == 3 * 27 - expected.count)
    }

    @Test func clampingIsExactInFixedPoint() throws {
        let configuration = try AnalyticsConfiguration(
            dimensions: [],
            fields: [.init(name: "x", bounds: -500...1_000)],
            minimumGroupSize: 1,
            lifetimeValue: LifetimeValueModel(discountRate: 0, retentionRate: 0, annualMargin: -100...700, windowYears: 1),
            rfm: RFMThresholds(recencyDays: [], frequency: [], monetary: []),
            asOf: 1_000
        )
        let values: [Int64?] = [-1_000_000_000_000_000_000, -501, -500, 0, 999, 1_000, 1_001, .max, .min, nil]
        let records = values.enumerated().map { index, value in
            // Margins that would overflow a naive sum saturate, then clamp: +700, −100, +700.
            let margin: Int64 = index % 3 == 0 ? .max : (index % 3 == 1 ? .min : 350)
            return AnalyticsRecord(
                dimensions: [],
                fields: [value],
                purchases: [.init(day: 999, amount: 1, margin: margin), .init(day: 998, amount: 1, margin: margin)]
            )
        }
        let result = try Self.release(
            [.sum("x"), .mean("x"), .customerEquity, .count],
            records: records,
            configuration: configuration
        )
        let released = result.groups[0].values
        let clampedSum: Int64 = -500 - 500 - 500 + 0 + 999 + 1_000 + 1_000 + 1_000 - 500
        Self.expectClose(released.first { $0.measure == "sum(x)" }, Double(clampedSum))
        Self.expectClose(released.first { $0.measure == "mean(x)" }, Double(clampedSum) / 9)
        Self.expectClose(released.first { $0.measure == "customer_equity" }, Double(4 * 700 - 3 * 100 + 3 * 700))
        Self.expectClose(released.first { $0.measure == "count" }, 10)
    }

    @Test func mergedHalvesEqualOnePass() throws {
        let plan = try AggregatePlan(
            query: AggregateQuery(
                measures: [.count, .mean("spend"), .clv, .customerEquity, .retention, .shareOfWallet],
                groupBy: ["region", "segment"],
                epsilon: Epsilon(micros: 800_000)
            ),
            configuration: Fixtures.configuration()
        )
        var whole = AnalyticsAccumulator(plan: plan)
        var first = AnalyticsAccumulator(plan: plan)
        var second = AnalyticsAccumulator(plan: plan)
        for (index, record) in Self.customers.enumerated() {
            whole.add(record)
            if index % 3 == 0 { first.add(record) } else { second.add(record) }
        }
        second.merge(first)
        #expect(second.unplacedRecords == whole.unplacedRecords)
        #expect(whole.unplacedRecords == Self.customers.filter { $0.dimensions[0] == nil }.count)
        #expect(second.release(using: SeededRandom(seed: 9)) == whole.release(using: SeededRandom(seed: 9)))
        #expect(whole.release(using: SeededRandom(seed: 9)) != whole.release(using: SeededRandom(seed: 10)))
    }
}
