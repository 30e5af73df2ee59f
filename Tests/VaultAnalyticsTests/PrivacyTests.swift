import Foundation
import Testing
import VaultAnalytics
import VaultCrypto

/// The mechanism's promises, checked on the whole engine (plan, accumulate, release).
///
/// Tolerances: an outcome seen a and b times in two runs of n releases has log-frequency ratio
/// ln(a/b) with standard error √(1/a + 1/b) (delta method, accurate for a, b ≥ 1000); z = 6 per
/// outcome (2 × 10⁻⁹) over at most a few dozen outcomes keeps a chance failure below 10⁻⁶. A
/// frequency p̂ of n runs has standard error √(p(1 − p)/n), used with the same z.
@Suite struct PrivacyTests {
    static let z = 6.0
    static let runs = 100_000

    static func plainConfiguration(
        k: Int = 1,
        delta: Double = 1e-9,
        annualMargin: ClosedRange<Int64> = 0...20
    ) throws -> AnalyticsConfiguration {
        try AnalyticsConfiguration(
            dimensions: [.init(name: "region", domain: Fixtures.regions), .init(name: "segment", domain: Fixtures.segments)],
            minimumGroupSize: k,
            suppressionDelta: delta,
            lifetimeValue: LifetimeValueModel(discountRate: 0, retentionRate: 0, annualMargin: annualMargin, windowYears: 1),
            rfm: RFMThresholds(recencyDays: [], frequency: [], monetary: []),
            asOf: 10_000
        )
    }

    static func customer(region: String = "north", segment: String = "standard", margin: Int64 = 10) -> AnalyticsRecord {
        AnalyticsRecord(dimensions: [region, segment], purchases: [.init(day: 9_900, amount: 100, margin: margin)])
    }

    /// The distribution of one released number over `runs` releases (nil: the group was suppressed).
    static func outcomes(
        _ records: [AnalyticsRecord],
        _ query: AggregateQuery,
        _ configuration: AnalyticsConfiguration,
        bin: (Double) -> Int64 = { Int64($0) }
    ) throws -> [Int64?: Int] {
        var accumulator = try AnalyticsAccumulator(plan: AggregatePlan(query: query, configuration: configuration))
        for record in records { accumulator.add(record) }
        var histogram: [Int64?: Int] = [:]
        for _ in 0..<runs {
            let value = accumulator.release(using: SystemRandom()).groups.first?.values[0].value
            histogram[value.map(bin), default: 0] += 1
        }
        return histogram
    }

    /// The largest |ln(p/q)| over outcomes seen at least 1000 times in both, less its sampling tolerance,
    /// and the largest plus tolerance: the true largest log-ratio lies between them.
    static func logRatioRange(_ p: [Int64?: Int], _ q: [Int64?: Int]) -> (low: Double, high: Double) {
        var low = 0.0
        var high = 0.0
        for (outcome, a) in p where a >= 1_000 {
            guard let b = q[outcome], b >= 1_000 else { continue }
            let ratio = abs(log(Double(a) / Double(b)))
            let tolerance = z * (1 / Double(a) + 1 / Double(b)).squareRoot()
            low = max(low, ratio - tolerance)
            high = max(high, ratio + tolerance)
        }
        return (low, high)
    }

    @Test func neighbouringDatasetsStayWithinEpsilon() throws {
        let configuration = try Self.plainConfiguration()
        let base = (0..<100).map { _ in Self.customer() }
        let query = try AggregateQuery(measures: [.count], epsilon: Epsilon(micros: 500_000))
        let without = try Self.outcomes(base, query, configuration)
        let with = try Self.outcomes(base + [Self.customer(segment: "vip")], query, configuration)
        // Every noisy count is on the integer grid.
        #expect(without.keys.allSatisfy { $0 != nil })
        let (low, high) = Self.logRatioRange(without, with)
        #expect(low <= 0.5, "log-ratio above epsilon")
        // For a count the bound is attained at every outcome, so the test is sharp: half the noise would fail it.
        #expect(high >= 0.5)
    }

    @Test func eachTotalSpendsOnlyItsShareOfEpsilon() throws {
        // customer_equity releases the count and the margin sum: ε/2 each. The extra customer's
        // margin is clamped to 20, so the margin sum moves by Δ = 20 at noise scale 20 × 2 / 1 = 40.
        let configuration = try Self.plainConfiguration()
        let base = (0..<200).map { _ in Self.customer(margin: 10) }
        let query = try AggregateQuery(measures: [.customerEquity], epsilon: Epsilon(micros: 1_000_000))
        // With d = r = 0 and a one-year window, equity is the noisy margin sum itself: integers, binned by 10.
        let bin: (Double) -> Int64 = { value in
            #expect(value == value.rounded())
            return Int64((value / 10).rounded(.down))
        }
        let without = try Self.outcomes(base, query, configuration, bin: bin)
        let with = try Self.outcomes(base + [Self.customer(margin: 1_000_000)], query, configuration, bin: bin)
        let (low, high) = Self.logRatioRange(without, with)
        #expect(low <= 0.5, "log-ratio above the margin sum's share of epsilon")
        #expect(high >= 0.5)
    }

    @Test func groupsSmallerThanKNeverAppear() throws {
        // k = 10, δ = 10⁻¹²: over 3 small groups × 10 000 runs a chance appearance has probability
        // below 3 × 10⁻⁸.
        let configuration = try Self.plainConfiguration(k: 10, delta: 1e-12)
        let records =
            [Self.customer(region: "north")] + (0..<2).map { _ in Self.customer(region: "south") }
            + (0..<9).map { _ in Self.customer(region: "east") } + (0..<500).map { _ in Self.customer(region: "west") }
        let plan = try AggregatePlan(
            query: AggregateQuery(measures: [.count], groupBy: ["region"], epsilon: Epsilon(micros: 1_000_000)),
            configuration: configuration
        )
        // τ = (k − 1) + the smallest m with e^(−m)/(1 + e^(−1)) ≤ 10⁻¹² (scale 1): m = 28.
        #expect(plan.suppressionThreshold == 9 + 28)
        var accumulator = AnalyticsAccumulator(plan: plan)
        for record in records { accumulator.add(record) }
        for _ in 0..<10_000 {
            let result = accumulator.release(using: SystemRandom())
            #expect(result.groups.map { $0.key["region"] } == ["west"])
            #expect(result.suppressedGroups == 3)
        }
    }

    @Test func intervalsCoverTheExactValue() throws {
        // 4000 releases: coverage ≥ 95 % less z standard errors (6 × √(0.95 × 0.05 / 4000) ≈ 0.021).
        let runs = 4_000
        let configuration = try Fixtures.configuration()
        let epsilon = Epsilon(micros: 300_000)
        let plan = try AggregatePlan(
            query: AggregateQuery(measures: [.count, .mean("spend"), .customerEquity], epsilon: epsilon),
            configuration: configuration
        )
        var accumulator = AnalyticsAccumulator(plan: plan)
        for record in AccuracyTests.customers { accumulator.add(record) }
        let exact = try #require(AccuracyTests.exact(AccuracyTests.customers, groupBy: nil)[""])
        let multiplier = 1.1 / (1.1 - 0.7)
        let truth = [
            Double(exact.count), exact.annualMarginSum * multiplier, Double(exact.spendSum) / Double(exact.spendCount),
        ]
        // Four totals (count, spend sum, spend count, margin sum): the count's scale is 4 / 0.3.
        let tau = exp(-0.3 / 4)
        var m = 1
        while 2 * pow(tau, Double(m)) / (1 + tau) > 0.05 { m += 1 }
        var covered = [0, 0, 0]
        for _ in 0..<runs {
            let values = accumulator.release(using: SystemRandom()).groups[0].values
            #expect(values.map(\.measure) == ["count", "customer_equity", "mean(spend)"])
            #expect(values[0].value == values[0].value.rounded())
            #expect(values[0].interval == (values[0].value - Double(m - 1))...(values[0].value + Double(m - 1)))
            #expect(abs(values[0].noiseScale - 4 / 0.3) < 1e-9)
            // Equity is the noisy margin sum × M / 3 years: on that grid.
            let steps = values[1].value / (multiplier / 3)
            #expect(abs(steps - steps.rounded()) < 1e-6)
            for index in 0..<3 where values[index].interval.contains(truth[index]) { covered[index] += 1 }
        }
        let floor = 0.95 - Self.z * (0.95 * 0.05 / Double(runs)).squareRoot()
        for index in 0..<3 { #expect(Double(covered[index]) / Double(runs) >= floor, "\(index)") }
    }
}

/// An analyst's desk as the facade runs it: plan, cache, charge, compute, remember.
actor AnalystDesk {
    let ledger: BudgetLedger
    let configuration: AnalyticsConfiguration
    let records: [AnalyticsRecord]
    private var cache = QueryCache()
    private(set) var computed = 0

    init(ledger: BudgetLedger, configuration: AnalyticsConfiguration, records: [AnalyticsRecord]) {
        self.ledger = ledger
        self.configuration = configuration
        self.records = records
    }

    func ask(_ query: AggregateQuery, analyst: String = "mallory") async throws -> AggregateResult {
        let plan = try AggregatePlan(query: query, configuration: configuration)
        let key = plan.cacheKey(snapshot: "snapshot-1")
        if let earlier = cache.answer(for: key) { return earlier }
        _ = try await ledger.charge(query.epsilon, analyst: analyst)
        var accumulator = AnalyticsAccumulator(plan: plan)
        for record in records { accumulator.add(record) }
        let result = accumulator.release(using: SystemRandom())
        cache.store(result, for: key)
        computed += 1
        return result
    }
}

@Suite struct AttackTests {
    static func desk() throws -> AnalystDesk {
        // The target is the only VIP customer.
        let records =
            (0..<200).map { PrivacyTests.customer(segment: $0 % 2 == 0 ? "standard" : "gold") }
            + [PrivacyTests.customer(segment: "vip")]
        let budget = try PrivacyBudget(
            defaultPerQuery: Epsilon(micros: 100_000),
            maximumPerQuery: Epsilon(micros: 1_000_000),
            analystLimit: Epsilon(micros: 1_000_000),
            globalLimit: Epsilon(micros: 5_000_000),
            analystLifetimeLimit: Epsilon(micros: 1_000_000),
            globalLifetimeLimit: Epsilon(micros: 5_000_000)
        )
        return try AnalystDesk(
            ledger: BudgetLedger(budget: budget),
            configuration: PrivacyTests.plainConfiguration(),
            records: records
        )
    }

    @Test func repeatingAQueryReturnsTheSameAnswerAtNoCost() async throws {
        let desk = try Self.desk()
        let query = try AggregateQuery(measures: [.count], epsilon: Epsilon(micros: 100_000))
        let first = try await desk.ask(query)
        for _ in 0..<50 {
            let again = try await desk.ask(AggregateQuery(measures: [.count, .count], epsilon: Epsilon(micros: 100_000)))
            #expect(again == first)
        }
        #expect(await desk.computed == 1)
        #expect(await desk.ledger.status(analyst: "mallory").analystSpent == Epsilon(micros: 100_000))
    }

    @Test func averagingVariedRepeatsRunsOutOfBudget() async throws {
        let desk = try Self.desk()
        var answered = 0
        var refusals = 0
        for attempt in 0..<100 {
            // A different ε each time defeats the cache, so each answer is charged.
            let query = try AggregateQuery(measures: [.count], epsilon: Epsilon(micros: 100_000 + Int64(attempt)))
            do {
                _ = try await desk.ask(query)
                answered += 1
            } catch let error as AnalyticsError {
                #expect(error.code == "budget_exhausted")
                #expect(try #require(error.budget).analystRemaining < query.epsilon)
                refusals += 1
            }
        }
        // 0.1 + 0.100001 + … : nine fit in ε = 1, the tenth would not.
        #expect(answered == 9 && refusals == 91)
        #expect(await desk.ledger.status(analyst: "mallory").analystSpent <= Epsilon(micros: 1_000_000))
    }

    @Test func differencingRunsOutOfBudgetBeforeItSeesTheTarget() async throws {
        let desk = try Self.desk()
        // all − standard − gold = the VIP target's presence, if the noise averaged away.
        var rounds: [Double] = []
        attack: for round in 0..<20 {
            var counts: [Double] = []
            for filters in [[:], ["segment": "standard"], ["segment": "gold"]] {
                let query = try AggregateQuery(
                    measures: [.count],
                    filters: filters,
                    epsilon: Epsilon(micros: 100_000 + Int64(round))
                )
                do {
                    counts.append(try await desk.ask(query).groups.first?.values[0].value ?? 0)
                } catch let error as AnalyticsError {
                    #expect(error.code == "budget_exhausted")
                    break attack
                }
            }
            rounds.append(counts[0] - counts[1] - counts[2])
        }
        // Three rounds fit in the budget; each difference has noise variance 3 × 2τ/(1 − τ)² ≈ 600
        // at scale 10, so the average keeps a standard deviation near 14: no way to tell 0 from 1.
        #expect(rounds.count == 3)
        let spent = await desk.ledger.status(analyst: "mallory").analystSpent
        #expect(spent <= Epsilon(micros: 1_000_000) && spent > Epsilon(micros: 900_000))
        // Asking the first round again gains nothing: the cache answers with the same noise.
        let again = try await desk.ask(AggregateQuery(measures: [.count], epsilon: Epsilon(micros: 100_000)))
        #expect(try await desk.ask(AggregateQuery(measures: [.count], epsilon: Epsilon(micros: 100_000))) == again)
        #expect(await desk.ledger.status(analyst: "mallory").analystSpent == spent)
    }
}
