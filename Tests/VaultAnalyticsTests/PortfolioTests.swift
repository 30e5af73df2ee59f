import Foundation
import Testing
import VaultAnalytics
import VaultCrypto

/// The customer portfolio: margin mean and variance per group, and the efficient set across groups.
@Suite struct PortfolioTests {
    /// Annual margin bounds small enough that at the largest ε every noise scale is below 0.001:
    /// the released numbers are the exact ones (see `AccuracyTests`).
    static let bounds: ClosedRange<Int64> = -20...300
    static let asOf = Fixtures.asOf

    /// A customer in `region` whose purchases in the two-year window bring `windowMargin`, plus
    /// purchases outside the window that must not count.
    static func customer(_ region: String, windowMargin: Int64?) -> AnalyticsRecord {
        var purchases = [
            AnalyticsRecord.Purchase(day: asOf + 3, amount: 1_000, margin: 9_999),  // after the as-of date
            AnalyticsRecord.Purchase(day: Calendars.yearsBefore(2, asOf) - 1, amount: 1_000, margin: 9_999),  // before the window
        ]
        if let windowMargin {
            purchases += [
                .init(day: asOf - 10, amount: 1_000, margin: windowMargin / 2),
                .init(day: Calendars.yearsBefore(2, asOf), amount: 1_000, margin: windowMargin - windowMargin / 2),
            ]
        }
        return AnalyticsRecord(dimensions: [region, "gold"], fields: [nil, nil], purchases: purchases)
    }

    static func release(_ records: [AnalyticsRecord], epsilon: Epsilon = .largest) throws -> AggregateResult {
        let configuration = try Fixtures.configuration(annualMargin: bounds, windowYears: 2)
        let plan = try AggregatePlan(
            query: AggregateQuery(measures: [.count, .marginMean, .marginVariance, .marginStandardDeviation], groupBy: ["region"], epsilon: epsilon),
            configuration: configuration
        )
        var accumulator = AnalyticsAccumulator(plan: plan)
        for record in records { accumulator.add(record) }
        return accumulator.release(using: SystemRandom())
    }

    @Test("with noise off, margin mean, variance and deviation equal a hand computation, clamping included")
    func exactAnswers() throws {
        // Annual margins (window margin ÷ 2 years, clamped to [−20, 300]): north 100, 200, 300
        // (600 clamped from 800 ÷ 2 = 400), −20 (clamped from −50), 0 (no purchases in the window).
        // Mean 580 / 5 = 116; Σx² = 10,000 + 40,000 + 90,000 + 400 + 0 = 140,400; variance
        // 140,400 / 5 − 116² = 28,080 − 13,456 = 14,624 (the engine measures from the bounds'
        // middle, 140, and must agree). South: 50, 50, 50: mean 50, variance 0.
        let records =
            [200, 400, 800, -100, nil].map { Self.customer("north", windowMargin: $0) }
            + [100, 100, 100].map { Self.customer("south", windowMargin: $0) }
        let result = try Self.release(records)
        let north = try #require(result.groups.first { $0.key["region"] == "north" })
        let south = try #require(result.groups.first { $0.key["region"] == "south" })
        func value(_ group: AggregateResult.Group, _ measure: Measure) -> AggregateResult.Value? {
            group.values.first { $0.measure == measure.description }
        }
        AccuracyTests.expectClose(value(north, .count), 5)
        AccuracyTests.expectClose(value(north, .marginMean), 116)
        AccuracyTests.expectClose(value(north, .marginVariance), 14_624)
        AccuracyTests.expectClose(value(north, .marginStandardDeviation), 14_624.0.squareRoot())
        AccuracyTests.expectClose(value(south, .marginMean), 50)
        AccuracyTests.expectClose(value(south, .marginVariance), 0)
        AccuracyTests.expectClose(value(south, .marginStandardDeviation), 0)
    }

    @Test("the sum of squares' noise is calibrated to its sensitivity, ((b − a)/2)², with ε split over the three totals")
    func noiseFollowsTheSensitivity() throws {
        let records = (0..<400).map { Self.customer("north", windowMargin: Int64($0 % 7) * 50) }
        let result = try Self.release(records, epsilon: Epsilon(micros: 1_000_000))
        let group = try #require(result.groups.first)
        let count = try #require(group.values.first { $0.measure == "count" }).value
        let variance = try #require(group.values.first { $0.measure == "margin_variance" })
        // Squares are measured from the middle of [−20, 300], 140, so Δ = 160² = 25,600 per
        // customer; three totals share ε = 1, so b = 25,600 × 3 / 1; the variance reports b divided
        // by the noisy count.
        #expect(abs(variance.noiseScale - 76_800 / max(1, count)) < 1e-6)
        // However noisy, the variance stays within what values in [−20, 300] can have: (b − a)² / 4.
        #expect((0...25_600).contains(variance.value))
        #expect(variance.interval.lowerBound <= variance.value && variance.value <= variance.interval.upperBound)
    }

    @Test("margin bounds whose squares would overflow the engine's totals are refused before any charge")
    func tooWideBoundsAreRefused() throws {
        // 2²¹ + 2 cents apart: the square of half of it just exceeds 2⁴⁰, what one customer may add to a total.
        let configuration = try Fixtures.configuration(annualMargin: 0...(1 << 21) + 2, windowYears: 1)
        #expect(throws: AnalyticsError.self) {
            try AggregatePlan(
                query: AggregateQuery(measures: [.marginVariance], groupBy: ["region"], epsilon: .largest),
                configuration: configuration
            )
        }
        _ = try AggregatePlan(
            query: AggregateQuery(measures: [.marginMean], groupBy: ["region"], epsilon: .largest),
            configuration: configuration
        )
        _ = try AggregatePlan(
            query: AggregateQuery(measures: [.marginVariance], groupBy: ["region"], epsilon: .largest),
            configuration: try Fixtures.configuration(annualMargin: 0...(1 << 21), windowYears: 1)
        )
    }

    /// A result holding only the two measures the efficient set reads.
    static func result(_ points: [(String, mean: Double, variance: Double)]) -> AggregateResult {
        AggregateResult(
            query: "portfolio",
            epsilon: .largest,
            groups: points.map { name, mean, variance in
                .init(
                    key: ["segment": name],
                    values: [
                        .init(measure: "margin_mean", value: mean, noiseScale: 0, interval: mean...mean),
                        .init(measure: "margin_variance", value: variance, noiseScale: 0, interval: variance...variance),
                    ]
                )
            },
            suppressedGroups: 0,
            suppressionThreshold: 1,
            asOf: asOf
        )
    }

    @Test("the efficient set of a small example worked by hand")
    func frontierByHand() throws {
        // In the (variance, mean) plane: A (1, 1), B (2, 3), C (4, 4) form the upper-left edge.
        // D (3, 2) lies below the segment B–C (at variance 3 a half-and-half mix of B and C gives 3.5);
        // G (1.5, 1.2) lies below A–B (a mix gives 2); E (5, 3.5) has more risk than C for less margin;
        // F (1, 0.5) has A's risk and less margin.
        let set = try EfficientSet(
            result: Self.result([
                ("D", 2, 3), ("C", 4, 4), ("A", 1, 1), ("E", 3.5, 5), ("B", 3, 2), ("G", 1.2, 1.5), ("F", 0.5, 1),
            ])
        )
        #expect(set.frontier.map { $0.key["segment"]! } == ["A", "B", "C"])
        #expect(set.groups.map { $0.key["segment"]! } == ["D", "C", "A", "E", "B", "G", "F"], "every group, in the result's order")
        #expect(set.groups.filter(\.efficient).map { $0.key["segment"]! }.sorted() == ["A", "B", "C"])
        // One group is its own frontier; without the two measures there is none.
        #expect(try EfficientSet(result: Self.result([("only", 5, 5)])).frontier.count == 1)
        #expect(throws: AnalyticsError.self) {
            try EfficientSet(
                result: AggregateResult(
                    query: "q",
                    epsilon: .largest,
                    groups: [.init(key: [:], values: [])],
                    suppressedGroups: 0,
                    suppressionThreshold: 1,
                    asOf: Self.asOf
                )
            )
        }
    }

    @Test("ties: of groups equally risky only the more profitable can be efficient; of equally profitable, the less risky")
    func frontierTies() throws {
        let set = try EfficientSet(result: Self.result([("low", 1, 2), ("high", 3, 2), ("top", 5, 4), ("topRiskier", 5, 6)]))
        #expect(set.frontier.map { $0.key["segment"]! } == ["high", "top"])
    }
}
