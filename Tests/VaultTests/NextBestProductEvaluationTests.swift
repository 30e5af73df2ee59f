import Foundation
import Testing
import VaultCrypto
import VaultPolicy
import VaultStore

@testable import Vault
@testable import VaultAnalytics

/// Whether the model earns its ε: on generated customers, hold out each consenting customer's last
/// purchase, train on the rest exactly as the vault does (bounded baskets, noise at the policy's
/// ε), and count how often the held-out category is among the top three.
@Suite("Next best product: hit rate")
struct NextBestProductEvaluationTests {
    struct Case {
        let heldOut: String
        let signals: CustomerSignals
        let today: Int32
    }

    @Test("co-purchases beat popularity alone, and the customer's own statements beat both (hit rate at 3 on held-out purchases)")
    func hitRate() throws {
        let asOf = Date(timeIntervalSince1970: 1_795_392_000)
        let generator = SyntheticCustomers(seed: 7, asOf: asOf)
        let categories = SyntheticCustomers.categories
        let index = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0) })
        var statistics = CategoryStatistics(categoryCount: categories.count, maxCategoriesPerCustomer: 4)
        var cases: [Case] = []
        for number in 0..<8_000 {
            let customer = generator.customer(number)
            guard customer.consents["personalization"] == .granted else { continue }
            var purchases: [Purchase] = []
            if case .purchases(let list)? = customer.fields["purchases"] { purchases = list.sorted { $0.day < $1.day } }
            let heldOut = purchases.popLast()
            statistics.add(categories: purchases.reversed().compactMap { index[$0.category] })
            guard let heldOut, !purchases.isEmpty,
                // A new category for the customer: not bought in the 90 days before.
                !purchases.contains(where: { $0.category == heldOut.category && $0.day > heldOut.day - 90 })
            else { continue }
            var signals = CustomerSignals(purchases: purchases.map { ($0.category, $0.day) })
            if case .stringList(let list)? = customer.fields["product_interests"] { signals.interests = Set(list) }
            if case .decimalMap(let map)? = customer.fields["category_spend"] { signals.statedSpend = map }
            cases.append(Case(heldOut: heldOut.category, signals: signals, today: heldOut.day))
        }
        let model = try CategoryModel(
            categories: categories,
            releasing: statistics,
            epsilon: Epsilon(micros: 1_000_000),
            using: SeededRandom(seed: 42)
        )
        var rates: [CategoryModel.Inputs: Double] = [:]
        for inputs in CategoryModel.Inputs.allCases {
            let hits = cases.filter { item in
                model.recommendations(for: item.signals, today: item.today, recentDays: 90, count: 3, inputs: inputs).contains {
                    $0.category == item.heldOut
                }
            }.count
            rates[inputs] = Double(hits) / Double(cases.count)
        }
        let popularity = rates[.popularity]!
        let coPurchases = rates[.coPurchases]!
        let all = rates[.all]!
        print(
            String(
                format:
                    "next best product, hit rate at 3 over %d held-out purchases (ε 1, %lld customers trained on): popularity %.3f, co-purchases %.3f, co-purchases + stated interests and spend %.3f",
                cases.count,
                statistics.customers,
                popularity,
                coPurchases,
                all
            )
        )
        #expect(cases.count > 1_000)
        #expect(coPurchases > popularity + 0.03, "co-purchases \(coPurchases) do not beat popularity \(popularity)")
        #expect(all > coPurchases + 0.03, "the customer's own statements \(all) do not beat co-purchases \(coPurchases)")
    }
}

/// A deterministic `RandomSource` for the evaluation: its figures must not depend on luck.
private final class SeededRandom: RandomSource, @unchecked Sendable {
    private var state: UInt64
    private let lock = NSLock()

    init(seed: UInt64) { state = seed }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        lock.lock()
        defer { lock.unlock() }
        for offset in 0..<buffer.count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            buffer[offset] = UInt8(truncatingIfNeeded: z ^ (z >> 31))
        }
    }
}
