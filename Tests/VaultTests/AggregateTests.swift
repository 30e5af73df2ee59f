import Foundation
import Synchronization
import Testing
import VaultAnalytics
import VaultPolicy
import VaultStore
import VaultTestSupport

@testable import Vault

@Suite("Aggregates through the facade")
struct AggregateTests {
    /// The default policy with ε limits so high that noise is negligible next to the data.
    static let generousPolicy = Vault.defaultPolicyText
        .replacingOccurrences(of: "max_epsilon_per_query: 1\n", with: "max_epsilon_per_query: 100000\n")
        .replacingOccurrences(
            of: "per_analyst: {epsilon: 5, period: P30D, lifetime: 20}",
            with: "per_analyst: {epsilon: 1000000, period: P30D, lifetime: 1000000}"
        )
        .replacingOccurrences(
            of: "global: {epsilon: 20, period: P30D, lifetime: 80}",
            with: "global: {epsilon: 1000000, period: P30D, lifetime: 1000000}"
        )

    @Test("with a huge ε the answers match exact aggregates computed independently, over consenting customers only")
    func accuracy() async throws {
        let generous = Self.generousPolicy
        #expect(generous != Vault.defaultPolicyText)
        let test = try await TestVault.make(customers: 400, policyText: generous)
        defer { test.remove() }
        // One customer contests their region: analytics must leave that field out.
        let disputed = test.customers.first { $0.consents["analytics"] == .granted }!
        _ = try await test.vault.openContest(
            field: "region",
            proposedValue: "north",
            reason: "moved",
            by: try await test.customerPrincipal(disputed.id)
        )
        let analyst = try await test.principal("analyst")
        let answer = try await test.vault.aggregate(
            AggregateRequest(measures: ["count", "mean(satisfaction)", "clv", "customer_equity"], groupBy: ["region"], epsilon: 100_000),
            by: analyst
        )

        let consenting = test.customers.filter { $0.consents["analytics"] == .granted && $0.id != disputed.id }
        let today = Int32((test.clock.now().timeIntervalSince1970 / 86_400).rounded(.down))
        let windowStart = DayNumber.of(
            year: DayNumber.civil(today).year - 5,
            month: DayNumber.civil(today).month,
            day: min(DayNumber.civil(today).day, 28)
        )
        let multiplier = (1 + 0.10) / (1 + 0.10 - 0.75)
        #expect(answer.result.groups.count == 5)
        for group in answer.result.groups {
            let members = consenting.filter { $0.fields["region"] == .string(group.key["region"]!) }
            func value(_ measure: String) -> Double { group.values.first { $0.measure == measure }!.value }
            #expect(abs(value("count") - Double(members.count)) < 1, "count of \(group.key)")
            let satisfaction = members.compactMap { customer -> Double? in
                if case .integer(let s)? = customer.fields["satisfaction"] { return Double(min(max(s, 1), 10)) }
                return nil
            }
            #expect(abs(value("mean(satisfaction)") - satisfaction.reduce(0, +) / Double(satisfaction.count)) < 0.01)
            // CLV: average annual margin over the five years before today, clamped to [0, 3000] a year.
            let clvs = members.map { customer -> Double in
                guard case .purchases(let purchases)? = customer.fields["purchases"] else { return 0 }
                let margin = purchases.filter { $0.day >= windowStart && $0.day < today }.reduce(Int64(0)) { $0 + $1.marginCents }
                return Double(min(max(margin, 0), 3000 * 100 * 5)) / 5 * multiplier
            }
            let equity = clvs.reduce(0, +)
            // Within 25 noise scales (the published one): the chance of a wider draw is e^-25.
            let equityScale = group.values.first { $0.measure == "customer_equity" }!.noiseScale
            #expect(abs(value("customer_equity") - equity) <= max(1, equity * 1e-6) + 25 * equityScale, "equity of \(group.key)")
            let clvScale = group.values.first { $0.measure == "clv" }!.noiseScale
            #expect(abs(value("clv") - equity / Double(members.count)) <= 5 + 25 * clvScale, "mean CLV of \(group.key), noise scale \(clvScale)")
        }
        #expect(answer.contributors == consenting.count + 1, "the disputed customer still counts, without their region")
    }

    @Test("identical repeats are free, the budget is charged before computing, and exhaustion is refused with the remainder")
    func budget() async throws {
        let test = try await TestVault.make(customers: 50)
        defer { test.remove() }
        let analyst = try await test.principal("analyst")
        let request = AggregateRequest(measures: ["count"], groupBy: ["segment"], epsilon: 0.5)
        let first = try await test.vault.aggregate(request, by: analyst)
        let repeat1 = try await test.vault.aggregate(
            AggregateRequest(measures: ["count", "count"], groupBy: ["segment", "segment"], epsilon: 0.5),
            by: analyst
        )
        #expect(repeat1.cached && repeat1.epsilonCharged == .zero)
        #expect(repeat1.result == first.result)
        // A data change makes the same question a new one (charged again), never a free fresh answer.
        let customer = try await test.customerPrincipal(test.customers[0].id)
        try await test.vault.setMyConsent(purpose: "analytics", to: .withdrawn, by: customer)
        let fresh = try await test.vault.aggregate(request, by: analyst)
        #expect(!fresh.cached && fresh.epsilonCharged == Epsilon(micros: 500_000))
        // Spend the rest of the analyst's 5.0 budget with distinct queries, then get refused.
        var spent = 1.0
        var epsilon = 0.25
        while spent + epsilon <= 5.0 + 1e-9 {
            _ = try await test.vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["region"], epsilon: epsilon), by: analyst)
            spent += epsilon
            epsilon += 0.000001
        }
        do {
            _ = try await test.vault.aggregate(AggregateRequest(measures: ["count"], epsilon: 0.5), by: analyst)
            Issue.record("the budget must run out")
        } catch let error as VaultError {
            #expect(error.kind == .budgetExhausted && error.code == .budgetExhausted)
            #expect(error.message.contains("left"))
        }
        let status = try await test.vault.budgetStatus(by: analyst)
        #expect(status.status.analystRemaining < Epsilon(micros: 500_000))
        // A second token for the same analyst shares the budget; another analyst has their own.
        let sameAnalyst = try await test.principal("analyst")
        await #expect(throws: VaultError.self) {
            _ = try await test.vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["segment"], epsilon: 0.75), by: sameAnalyst)
        }
        let otherAnalyst = try await test.principal("analyst", name: "someone-else")
        _ = try await test.vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["segment"], epsilon: 0.75), by: otherAnalyst)
        // Bad ε is refused before anything is charged.
        for bad in [0.0, -1, Double.nan, Double.infinity, 1.5] {
            await #expect(throws: VaultError.self) {
                _ = try await test.vault.aggregate(AggregateRequest(measures: ["count"], epsilon: bad), by: analyst)
            }
        }
        #expect(try await test.vault.budgetStatus(by: analyst).status.analystSpent == status.status.analystSpent)
    }

    @Test("concurrent queries never overspend the budget")
    func concurrentCharges() async throws {
        let test = try await TestVault.make(customers: 30)
        defer { test.remove() }
        let analyst = try await test.principal("analyst")
        let vault = test.vault
        // 30 distinct queries of ε 0.25 race for a budget of 5.0: exactly 20 can succeed.
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<30 {
                group.addTask {
                    let epsilon = 0.25 + Double(i) * 0.000001 - (i >= 20 ? 0 : 0)
                    do {
                        _ = try await vault.aggregate(
                            AggregateRequest(measures: ["count"], filters: ["segment": "active"], epsilon: epsilon),
                            by: analyst
                        )
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        let succeeded = outcomes.filter { $0 }.count
        let status = try await vault.budgetStatus(by: analyst)
        #expect(status.status.analystSpent <= Epsilon(micros: 5_000_000))
        #expect(succeeded <= 20 && succeeded >= 19)
    }

    @Test("small groups never appear, and analysts reach no row, no log and no customer command")
    func smallGroupsAndNoRows() async throws {
        let test = try await TestVault.make(customers: 60)
        defer { test.remove() }
        let analyst = try await test.principal("analyst")
        let answer = try await test.vault.aggregate(
            AggregateRequest(measures: ["count"], groupBy: ["region", "segment", "birth_year"], epsilon: 0.5),
            by: analyst
        )
        #expect(answer.result.groups.isEmpty, "with 60 customers spread over hundreds of cells, nothing clears k")
        #expect(answer.result.suppressedGroups > 0)
        let id = test.customers[0].id
        await #expect(throws: VaultError.denied(.init(rawValue: "aggregate_only"), "denied: role analyst reads aggregates only")) {
            _ = try await test.vault.readCustomer(id, purpose: "analytics", by: analyst)
        }
        // The refused read is in the log all the same.
        let auditor = try await test.principal("auditor")
        let denials = try await test.vault.auditEntries(customer: id, from: 0, limit: 1000, by: auditor).filter { $0.entry.actor == analyst.actor }
        #expect(denials.map(\.entry.decision) == ["deny"] && denials[0].entry.reason == "aggregate_only")
        await #expect(throws: VaultError.self) {
            _ = try await test.vault.findCustomers(by: "email", value: "x@example.com", purpose: "analytics", by: analyst)
        }
        await #expect(throws: VaultError.self) { _ = try await test.vault.updateCustomer(id, purpose: "analytics", set: ["name": "x"], by: analyst) }
        await #expect(throws: VaultError.self) { _ = try await test.vault.myProfile(by: analyst) }
        await #expect(throws: VaultError.self) { _ = try await test.vault.auditEntries(customer: nil, from: 0, limit: 10, by: analyst) }
        await #expect(throws: VaultError.self) { _ = try await test.vault.listContests(status: nil, by: analyst) }
        // Fields the policy does not allow in aggregates are refused.
        await #expect(throws: VaultError.self) {
            _ = try await test.vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["postcode"], epsilon: 0.5), by: analyst)
        }
        // Only analysts aggregate.
        let support = try await test.principal("support")
        await #expect(throws: VaultError.self) { _ = try await test.vault.aggregate(AggregateRequest(measures: ["count"]), by: support) }
    }

    @Test(
        "a portfolio by segment: margin mean and variance match an independent computation, the efficient set comes with the answer and its cached repeat"
    )
    func portfolio() async throws {
        let generous = Self.generousPolicy
        let test = try await TestVault.make(customers: 300, policyText: generous)
        defer { test.remove() }
        let analyst = try await test.principal("analyst")
        let request = AggregateRequest(measures: ["clv"], groupBy: ["segment"], epsilon: 100_000, portfolio: true)
        let answer = try await test.vault.aggregate(request, by: analyst)
        let efficient = try #require(answer.efficientSet)

        let consenting = test.customers.filter { $0.consents["analytics"] == .granted }
        let today = Int32((test.clock.now().timeIntervalSince1970 / 86_400).rounded(.down))
        let windowStart = DayNumber.of(
            year: DayNumber.civil(today).year - 5,
            month: DayNumber.civil(today).month,
            day: min(DayNumber.civil(today).day, 28)
        )
        #expect(efficient.groups.count == answer.result.groups.count && !efficient.frontier.isEmpty)
        for group in answer.result.groups {
            #expect(group.values.map(\.measure) == ["clv", "count", "margin_mean", "margin_sd", "margin_variance"])
            let members = consenting.filter { $0.fields["segment"] == .string(group.key["segment"]!) }
            // Annual margin: the five-year window's margin clamped to [0, 3000 × 5] currency units, ÷ 5, in cents.
            let margins = members.map { customer -> Double in
                guard case .purchases(let purchases)? = customer.fields["purchases"] else { return 0 }
                let margin = purchases.filter { $0.day >= windowStart && $0.day < today }.reduce(Int64(0)) { $0 + $1.marginCents }
                return Double(min(max(margin, 0), 3000 * 100 * 5) / 5)
            }
            let mean = margins.reduce(0, +) / Double(margins.count)
            let variance = margins.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(margins.count)
            func value(_ measure: String) -> AggregateResult.Value { group.values.first { $0.measure == measure }! }
            #expect(abs(value("margin_mean").value - mean) <= 1 + 25 * value("margin_mean").noiseScale, "mean of \(group.key)")
            #expect(
                abs(value("margin_variance").value - variance) <= variance * 1e-3 + 25 * value("margin_variance").noiseScale,
                "variance of \(group.key): \(value("margin_variance").value) against \(variance)"
            )
            #expect(abs(value("margin_sd").value - value("margin_variance").value.squareRoot()) < 1e-6)
            let point = try #require(efficient.groups.first { $0.key == group.key })
            #expect(point.mean == value("margin_mean").value && point.variance == value("margin_variance").value)
        }
        #expect(efficient == (try EfficientSet(result: answer.result)), "the set is the released numbers' post-processing")

        let repeated = try await test.vault.aggregate(request, by: analyst)
        #expect(repeated.cached && repeated.epsilonCharged == .zero && repeated.efficientSet == efficient)
        let plain = try await test.vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["segment"], epsilon: 1), by: analyst)
        #expect(plain.efficientSet == nil)
        await #expect(throws: VaultError.self) {
            _ = try await test.vault.aggregate(AggregateRequest(measures: [], groupBy: ["segment"]), by: analyst)
        }
    }

    @Test("an answer whose cache write committed though its caller was told it failed keeps its charge: the repeat is not free")
    func lostCommitAnswerKeepsTheCharge() async throws {
        let backend = FaultyBackend()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clock = TestClock()
        var options = VaultOptions(backends: [backend])
        options.clock = clock
        options.durability = .normal
        options.peerRefreshWait = .zero
        let vault = try await Vault.create(at: folder, database: "vault.sqlite", options: options)
        let generator = SyntheticCustomers(seed: 3, asOf: clock.now())
        _ = try await vault.importCustomers((0..<60).map(generator.customer), by: .localOperator, batchSize: 16)
        let token = try await vault.issueToken(role: "analyst", customerID: nil, name: "dana", expiresIn: nil, by: .localOperator)
        let analyst = try await vault.authenticate(token: token.secret)
        let request = AggregateRequest(measures: ["count"], groupBy: ["segment"], epsilon: 0.5)

        // The query's first write charges ε; its second pins the answer in the cache, and that
        // one's answer is lost after it committed.
        backend.losing.withLock { $0 = 2 }
        await #expect(throws: VaultError.self) { _ = try await vault.aggregate(request, by: analyst) }
        #expect(backend.losing.withLock { $0 } == nil, "the cache write must have been the one to lose its answer")
        let repeated = try await vault.aggregate(request, by: analyst)
        #expect(repeated.cached, "the pinned answer is what a repeat gets")
        #expect(
            try await vault.budgetStatus(by: analyst).status.analystSpent == Epsilon(micros: 500_000),
            "an answer that exists must stay paid for, or the repeat releases it for nothing"
        )
    }
}
