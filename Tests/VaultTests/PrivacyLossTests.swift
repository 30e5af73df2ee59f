import Foundation
import Testing
import VaultAnalytics
import VaultPolicy
import VaultStore

@testable import Vault

/// The budget promises against an analyst who repeats, waits, and reaches for fields through derived
/// measures: privacy loss stays bounded and grants mean what they say.
@Suite("Bounded privacy loss")
struct PrivacyLossTests {
    /// The default policy with its budget lines replaced.
    static func policy(analyst: String, global: String, maxPerQuery: String = "1") -> String {
        let text = Vault.defaultPolicyText
            .replacingOccurrences(of: "per_analyst: {epsilon: 5, period: P30D, lifetime: 20}", with: "per_analyst: \(analyst)")
            .replacingOccurrences(of: "global: {epsilon: 20, period: P30D, lifetime: 80}", with: "global: \(global)")
            .replacingOccurrences(of: "max_epsilon_per_query: 1\n", with: "max_epsilon_per_query: \(maxPerQuery)\n")
        precondition(text.contains("per_analyst: \(analyst)") && text.contains("global: \(global)"))
        return text
    }

    static let day: TimeInterval = 86_400

    /// Distinct queries (so none is a free repeat) of the given ε.
    static func spend(_ epsilon: Double, times: Int, on vault: Vault, by analyst: Principal, salt: Int = 0) async throws {
        for index in 0..<times {
            // A different ε in the sixth decimal makes each query a new one.
            let nudged = epsilon - Double(index + salt * 100 + 1) * 0.000001
            _ = try await vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["region"], epsilon: nudged), by: analyst)
        }
    }

    @Test("the global budget counts over its own period, not the analyst's")
    func globalPeriod() async throws {
        // Analysts renew daily; the vault as a whole may spend 6 per 30 days.
        let text = Self.policy(analyst: "{epsilon: 5, period: P1D, lifetime: 100}", global: "{epsilon: 6, period: P30D, lifetime: 100}")
        let test = try await TestVault.make(customers: 30, policyText: text)
        defer { test.remove() }
        let analyst = try await test.principal("analyst")
        try await Self.spend(1, times: 5, on: test.vault, by: analyst)
        test.clock.advance(by: 3 * Self.day)
        // The analyst's own day is fresh, but the vault has 1 left of its 30-day allowance.
        try await Self.spend(1, times: 1, on: test.vault, by: analyst, salt: 1)
        do {
            try await Self.spend(1, times: 1, on: test.vault, by: analyst, salt: 2)
            Issue.record("the global budget was counted over the analyst's one-day window")
        } catch let error as VaultError {
            #expect(error.code == .budgetExhausted)
        }
        let view = try await test.vault.budgetStatus(by: analyst)
        #expect(view.globalPeriod == "P30D" && view.period == "P1D")
        #expect(view.status.globalRemaining < Epsilon(micros: 1_000))
        #expect(view.status.analystRemaining > Epsilon(micros: 3_000_000), "the analyst's own day is fresh")
    }

    @Test("a lifetime cap stops an analyst who comes back every period")
    func lifetimeCap() async throws {
        let text = Self.policy(analyst: "{epsilon: 2, period: P1D, lifetime: 3}", global: "{epsilon: 20, period: P1D, lifetime: 100}")
        let test = try await TestVault.make(customers: 30, policyText: text)
        defer { test.remove() }
        let analyst = try await test.principal("analyst")
        try await Self.spend(1, times: 2, on: test.vault, by: analyst)
        test.clock.advance(by: 2 * Self.day)
        try await Self.spend(1, times: 1, on: test.vault, by: analyst, salt: 1)
        test.clock.advance(by: 2 * Self.day)
        // A new period with room in it, but three is all this analyst may ever spend.
        do {
            try await Self.spend(0.5, times: 1, on: test.vault, by: analyst, salt: 2)
            Issue.record("the period renewed past the lifetime cap")
        } catch let error as VaultError {
            #expect(error.code == .budgetExhausted)
            #expect(error.message.contains("never renews"))
        }
        let view = try await test.vault.budgetStatus(by: analyst)
        #expect(view.status.analystSpent == .zero)
        #expect(view.status.analystLifetimeRemaining < Epsilon(micros: 1_000) && view.status.analystRemaining < Epsilon(micros: 1_000))
    }

    @Test("an identical query is answered from the cache for free across periods, until the data changes")
    func pinnedAcrossPeriods() async throws {
        let test = try await TestVault.make(customers: 60)
        defer { test.remove() }
        let analyst = try await test.principal("analyst")
        let request = AggregateRequest(measures: ["count", "clv"], groupBy: ["segment"], epsilon: 0.5)
        let first = try await test.vault.aggregate(request, by: analyst)
        #expect(!first.cached)
        // Two budget periods later, same data: the same draw, at no cost.
        test.clock.advance(by: 70 * Self.day)
        let later = try await test.vault.aggregate(request, by: analyst)
        #expect(later.cached && later.epsilonCharged == .zero)
        #expect(later.result == first.result)
        #expect(try await test.vault.budgetStatus(by: analyst).status.analystLifetimeSpent == Epsilon(micros: 500_000))
        // Changed data: a new question, charged.
        try await test.vault.setMyConsent(purpose: "analytics", to: .withdrawn, by: try await test.customerPrincipal(test.customers[1].id))
        let fresh = try await test.vault.aggregate(request, by: analyst)
        #expect(!fresh.cached && fresh.epsilonCharged == Epsilon(micros: 500_000))
    }

    @Test(
        "derived measures need a grant for every field they read, and a refused query is audited",
        arguments: [
            (["clv"], [String](), "purchases"),
            (["customer_equity"], [], "purchases"),
            (["retention"], [], "purchases"),
            (["rfm"], [], "purchases"),
            (["count"], ["rfm"], "purchases"),
            (["share_of_wallet"], [], "category_spend"),
        ]
    )
    func derivedMeasuresNeedGrants(measures: [String], groupBy: [String], withheld: String) async throws {
        let grant = "aggregate: [birth_year, region, segment, preferred_channel, price_sensitivity, category_spend, satisfaction, purchases]"
        let narrowed = grant.replacingOccurrences(of: ", \(withheld)", with: "")
        let text = Vault.defaultPolicyText.replacingOccurrences(of: grant, with: narrowed)
        #expect(text != Vault.defaultPolicyText)
        let test = try await TestVault.make(customers: 30, policyText: text)
        defer { test.remove() }
        let analyst = try await test.principal("analyst")
        do {
            _ = try await test.vault.aggregate(AggregateRequest(measures: measures, groupBy: groupBy, epsilon: 0.5), by: analyst)
            Issue.record("\(measures) read \(withheld) without a grant")
        } catch let error as VaultError {
            #expect(error.kind == .denied && error.code == .fieldNotGranted)
            #expect(error.message.contains(withheld))
        }
        #expect(try await test.vault.budgetStatus(by: analyst).status.analystLifetimeSpent == .zero)
        let auditor = try await test.principal("auditor")
        let entries = try await test.vault.auditEntries(customer: nil, from: 0, limit: 10_000, by: auditor)
        let refusal = entries.last { $0.entry.op == "aggregate.query" }
        #expect(refusal?.entry.decision == "deny" && refusal?.entry.reason == "field_not_granted")
        #expect(refusal?.entry.fields.contains(withheld) == true)
        // What the grant does cover still works.
        _ = try await test.vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["region"], epsilon: 0.5), by: analyst)
    }

    @Test("a field past its retention is missing for analytics: no group is released for it")
    func retentionHoldsForAnalytics() async throws {
        let generous = Self.policy(
            analyst: "{epsilon: 1000000, period: P30D, lifetime: 1000000}",
            global: "{epsilon: 1000000, period: P30D, lifetime: 1000000}",
            maxPerQuery: "100000"
        )
        .replacingOccurrences(
            of: "category: user.contact.address.state\n    sensitivity: low\n    retention: P6Y",
            with: "category: user.contact.address.state\n    sensitivity: low\n    retention: P10D"
        )
        #expect(generous.contains("retention: P10D"))
        let test = try await TestVault.make(customers: 200, policyText: generous)
        defer { test.remove() }
        let analyst = try await test.principal("analyst")
        let before = try await test.vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["region"], epsilon: 100_000), by: analyst)
        #expect(!before.result.groups.isEmpty)
        test.clock.advance(by: 11 * Self.day)
        // The same question: its cached answer used values that have expired since, so it is not given again.
        let after = try await test.vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["region"], epsilon: 100_000), by: analyst)
        #expect(!after.cached)
        #expect(after.result.groups.isEmpty, "every region was collected more than 10 days ago")
        // Fields still within retention are unaffected.
        let segments = try await test.vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["segment"], epsilon: 100_000), by: analyst)
        #expect(!segments.result.groups.isEmpty)
        // A filter on the expired field selects nobody either.
        let filtered = try await test.vault.aggregate(
            AggregateRequest(measures: ["count"], filters: ["region": "north"], epsilon: 99_999),
            by: analyst
        )
        #expect(filtered.result.groups.isEmpty)
    }

    @Test("a query that fails while computing refunds its ε and names no customer")
    func failureRefunds() async throws {
        let test = try await TestVault.make(customers: 30)
        defer { test.remove() }
        let analyst = try await test.principal("analyst")
        // An attacker with the file corrupts one consenting customer's wrapped key.
        let victim = test.customers.first { $0.consents["analytics"] == .granted }!
        try test.tamper("UPDATE customer SET wrapped_dek = zeroblob(61) WHERE id = '\(victim.id)'")
        do {
            _ = try await test.vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["region"], epsilon: 0.5), by: analyst)
            Issue.record("an aggregate over a damaged key released an answer")
        } catch let error as VaultError {
            #expect(error.code == .aggregateFailed)
            #expect(!error.message.contains(victim.id))
        }
        let view = try await test.vault.budgetStatus(by: analyst)
        #expect(view.status.analystSpent == .zero && view.status.analystLifetimeSpent == .zero)
        let auditor = try await test.principal("auditor")
        let ops = try await test.vault.auditEntries(customer: nil, from: 0, limit: 10_000, by: auditor).map(\.entry.op)
        #expect(ops.suffix(3).contains("aggregate.refund"))
    }
}
