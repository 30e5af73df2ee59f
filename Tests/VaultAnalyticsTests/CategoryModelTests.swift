import Foundation
import Testing
import VaultCrypto

@testable import VaultAnalytics

/// The next-best-product model: bounded contributions, the DP bound between neighbouring datasets,
/// and scoring.
@Suite struct CategoryModelTests {
    /// Random baskets: up to 20 purchases over `categories` categories, with repeats.
    static func baskets(_ count: Int, categories: Int, seed: UInt64) -> [[Int]] {
        var state = seed
        return (0..<count).map { _ in
            let length = Int(SeededRandom.splitMix(&state) % 21)
            return (0..<length).map { _ in Int(SeededRandom.splitMix(&state) % UInt64(categories)) }
        }
    }

    static func statistics(_ baskets: [[Int]], categories: Int, cap: Int) -> CategoryStatistics {
        var statistics = CategoryStatistics(categoryCount: categories, maxCategoriesPerCustomer: cap)
        for basket in baskets { statistics.add(categories: basket) }
        return statistics
    }

    @Test("counts by hand: each customer adds only their first m distinct categories")
    func countsByHand() {
        let statistics = Self.statistics([[0, 1], [1, 2, 2], [0, 1, 2], [7, -1]], categories: 3, cap: 2)
        // Customers 4's categories are outside the list: they count as a customer with an empty basket.
        #expect(statistics.customers == 4)
        #expect(statistics.popularity == [2, 3, 1])
        // Pairs (0,1), (0,2), (1,2): customer 3 contributes {0, 1} only.
        #expect(statistics.coPurchases == [2, 0, 1])
        #expect(statistics.sensitivity == 1 + 2 + 1)
    }

    @Test("adding or removing one customer moves the counts by at most Δ, and the release's likelihood ratio stays within e^ε")
    func neighbouringDatasets() throws {
        for (categories, cap) in [(8, 4), (5, 5), (12, 3), (3, 8)] {
            let delta = CategoryStatistics(categoryCount: categories, maxCategoriesPerCustomer: cap).sensitivity
            var largest: Int64 = 0
            for trial in 0..<200 {
                let dataset = Self.baskets(60, categories: categories, seed: UInt64(trial * 31 + categories))
                // The customer who differs: random, or one who bought every category many times.
                let extra =
                    trial % 4 == 0
                    ? Array(repeating: Array(0..<categories), count: 5).flatMap { $0 }
                    : Self.baskets(1, categories: categories, seed: UInt64(trial) &* 977)[0]
                let without = Self.statistics(dataset, categories: categories, cap: cap).vector
                let with = Self.statistics(dataset + [extra], categories: categories, cap: cap).vector
                let distance = zip(without, with).reduce(Int64(0)) { $0 + abs($1.0 - $1.1) }
                #expect(distance <= delta, "one customer moved the counts by \(distance) > Δ = \(delta)")
                largest = max(largest, distance)

                // Discrete Laplace of scale b = Δ/ε: log P(y | D) − log P(y | D′) = Σ (|y − v′| − |y − v|)/b ≤ L1/b ≤ ε.
                let epsilon = Epsilon(micros: 700_000)
                let model = try CategoryModel(
                    categories: (0..<categories).map { "c\($0)" },
                    releasing: Self.statistics(dataset, categories: categories, cap: cap),
                    epsilon: epsilon,
                    using: SeededRandom(seed: UInt64(trial))
                )
                #expect(abs(model.noiseScale - Double(delta) / epsilon.doubleValue) < 1e-9)
                let released = [model.customers] + model.popularity + model.coPurchases
                let logRatio = zip(released, zip(without, with)).reduce(0.0) { sum, item in
                    sum + Double(abs(item.0 - item.1.1) - abs(item.0 - item.1.0)) / model.noiseScale
                }
                #expect(logRatio <= epsilon.doubleValue + 1e-9)
            }
            // The bound is tight: a customer with m distinct categories moves the counts by exactly Δ.
            #expect(largest == delta, "categories \(categories), cap \(cap): largest move \(largest), Δ \(delta)")
        }
    }

    @Test("the noise has the stated scale: released counts spread around the exact ones as discrete Laplace of scale Δ/ε")
    func noiseScale() throws {
        let statistics = Self.statistics(Self.baskets(500, categories: 8, seed: 5), categories: 8, cap: 4)
        var absoluteErrors: [Double] = []
        for seed in 0..<60 {
            let model = try CategoryModel(
                categories: (0..<8).map { "c\($0)" },
                releasing: statistics,
                epsilon: Epsilon(micros: 1_000_000),
                using: SeededRandom(seed: UInt64(seed) + 1_000)
            )
            let released = [model.customers] + model.popularity + model.coPurchases
            absoluteErrors += zip(released, statistics.vector).map { Double(abs($0 - $1)) }
        }
        // E|X| for discrete Laplace with τ = e^(−1/b) is 2τ/(1 − τ²) ≈ b for b = 11.
        let tau = exp(-1 / 11.0)
        let expected = 2 * tau / (1 - tau * tau)
        let mean = absoluteErrors.reduce(0, +) / Double(absoluteErrors.count)
        #expect(abs(mean - expected) / expected < 0.1, "mean |noise| \(mean), expected \(expected)")
    }

    /// A model released at the largest ε: every noise scale is far below one count, so it holds the exact counts.
    static func exactModel() throws -> CategoryModel {
        // garden 0, sports 1, toys 2, kitchen 3; 100 customers.
        var statistics = CategoryStatistics(categoryCount: 4, maxCategoriesPerCustomer: 4)
        for _ in 0..<40 { statistics.add(categories: [0, 1]) }
        for _ in 0..<10 { statistics.add(categories: [0]) }
        for _ in 0..<30 { statistics.add(categories: [2]) }
        for _ in 0..<20 { statistics.add(categories: [3]) }
        let model = try CategoryModel(
            categories: ["garden", "sports", "toys", "kitchen"],
            releasing: statistics,
            epsilon: .largest,
            using: SeededRandom(seed: 1)
        )
        #expect(model.popularity == [50, 40, 30, 20] && model.coPurchases(0, 1) == 40 && model.customers == 100)
        return model
    }

    @Test("scoring: co-purchases beat popularity, a stated interest beats both, a recent category is never offered")
    func scoring() throws {
        let model = try Self.exactModel()
        let today: Int32 = 20_000
        let customer = CustomerSignals(purchases: [("garden", today - 200), ("kitchen", today - 10)], interests: ["toys"], statedSpend: [:])
        let answer = model.recommendations(for: customer, today: today, recentDays: 90, count: 3)
        #expect(answer.map(\.category) == ["toys", "sports", "garden"])
        #expect(answer[0].reasons == ["you said you are interested in toys"])
        #expect(answer[1].reasons == ["customers who buy garden also buy sports (80 % of them)"])
        #expect(answer[2].reasons == ["50 % of customers buy garden"])
        #expect(abs(answer[1].score - 0.8) < 1e-12)

        let popularity = model.recommendations(for: customer, today: today, recentDays: 90, count: 3, inputs: .popularity)
        #expect(popularity.map(\.category) == ["garden", "sports", "toys"])

        // Everything bought within the window: nothing to offer.
        let busy = CustomerSignals(purchases: ["garden", "sports", "toys", "kitchen"].map { ($0, today - 1) })
        #expect(model.recommendations(for: busy, today: today, recentDays: 90, count: 3).isEmpty)
    }

    @Test("a count within the noise is no evidence: co-purchase rates are taken only from categories bought by many")
    func noiseIsNoEvidence() throws {
        var statistics = CategoryStatistics(categoryCount: 3, maxCategoriesPerCustomer: 2)
        for _ in 0..<1_000 { statistics.add(categories: [0]) }
        for _ in 0..<300 { statistics.add(categories: [1]) }
        // Category 2 has no buyers; its released count is noise of scale 4 (ε 1).
        let model = try CategoryModel(
            categories: ["a", "b", "c"],
            releasing: statistics,
            epsilon: Epsilon(micros: 1_000_000),
            using: SeededRandom(seed: 9)
        )
        let answer = model.recommendations(for: CustomerSignals(purchases: [("c", 1)]), today: 1_000, recentDays: 90, count: 2)
        #expect(answer.map(\.category) == ["a", "b"])
        #expect(answer.allSatisfy { $0.reasons.count == 1 && $0.reasons[0].hasSuffix("of customers buy \($0.category)") })
    }
}
