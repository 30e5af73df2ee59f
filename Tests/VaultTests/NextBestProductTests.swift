import Foundation
import Testing
import VaultAnalytics
import VaultAudit
import VaultPolicy
import VaultStore

@testable import Vault

/// Next best product through the facade: training charges the budget and is logged with the
/// model's hash, scoring is a consent-gated, audited read, and a model altered in the database is
/// refused.
@Suite("Next best product")
struct NextBestProductTests {
    static func entries(_ test: TestVault, customer: String? = nil) async throws -> [AuditEntry] {
        try await test.vault.storage.read { tx in try tx.auditEntries(from: 0, limit: 100_000, customerID: customer) }
            .map { try AuditEntry(leafBytes: Array($0.leaf)) }
    }

    @Test(
        "the operator trains a versioned model that charges the global budget and is logged with its hash; marketing gets reasons for a consenting customer"
    )
    func trainAndScore() async throws {
        let test = try await TestVault.make(customers: 120)
        defer { test.remove() }
        let first = try await test.vault.trainModel(epsilon: nil, by: .localOperator)
        #expect(first.model.version == 1 && first.epsilonCharged == Epsilon(micros: 1_000_000))
        #expect(first.budget?.globalRemaining == Epsilon(micros: 19_000_000))
        #expect(first.model.model.noiseScale == 11 && first.model.model.categories.count == 8)
        let second = try await test.vault.trainModel(epsilon: 0.5, by: .localOperator)
        #expect(second.model.version == 2 && second.budget?.globalRemaining == Epsilon(micros: 18_500_000))

        let marketing = try await test.principal("marketing")
        let shown = try await test.vault.showModel(version: nil, by: .localOperator)
        #expect(shown.model.version == 2 && shown.sha256 == second.sha256)
        #expect(try await test.vault.showModel(version: 1, by: .localOperator).sha256 == first.sha256)
        await #expect { _ = try await test.vault.showModel(version: nil, by: marketing) } throws: { ($0 as? VaultError)?.kind == .denied }
        let trainings = try await Self.entries(test).filter { $0.op == "model.train" }
        #expect(trainings.map { $0.details["model_sha256"] } == [first.sha256, second.sha256])
        #expect(trainings.map { $0.details["micro_epsilon"] } == ["1000000", "500000"])

        let consenting = try #require(test.customers.first { $0.consents["personalization"] == .granted && !($0.purchases?.isEmpty ?? true) })
        let answer = try await test.vault.nextBestProduct(for: consenting.id, purpose: "personalization", by: marketing)
        #expect(answer.modelVersion == 2 && answer.recommendations.count == 3 && answer.purposeHolds)
        #expect(answer.recommendations.allSatisfy { !$0.reasons.isEmpty })
        let today = DayNumber.of(test.clock.now())
        let recent = Set((consenting.purchases ?? []).filter { $0.day > today - 90 }.map(\.category))
        #expect(answer.recommendations.allSatisfy { !recent.contains($0.category) })
        let read = try #require(try await Self.entries(test, customer: consenting.id).last)
        #expect(read.op == "customer.next_best_product" && read.decision == .allow && read.purpose == "personalization")
        #expect(read.fields == ["category_spend", "product_interests", "purchases"] && read.details["model_version"] == "2")
    }

    @Test("without consent the recommendation is refused with the reason and the refusal is logged; the customer sees none after withdrawing")
    func consentGates() async throws {
        let test = try await TestVault.make(customers: 60)
        defer { test.remove() }
        _ = try await test.vault.trainModel(epsilon: nil, by: .localOperator)
        let marketing = try await test.principal("marketing")
        let withdrawn = try #require(test.customers.first { $0.consents["personalization"] != .granted })
        do {
            _ = try await test.vault.nextBestProduct(for: withdrawn.id, purpose: "personalization", by: marketing)
            Issue.record("a customer without personalization consent was scored")
        } catch let error as VaultError {
            #expect(error.kind == .denied && error.code.rawValue.hasPrefix("consent_") && error.message.contains("consent"))
        }
        let refusal = try #require(try await Self.entries(test, customer: withdrawn.id).last)
        #expect(refusal.op == "customer.next_best_product" && refusal.decision == .deny && refusal.reason.hasPrefix("consent_"))

        let consenting = try #require(test.customers.first { $0.consents["personalization"] == .granted })
        let customer = try await test.customerPrincipal(consenting.id)
        let own = try await test.vault.myNextBestProduct(by: customer)
        #expect(own.purposeHolds && !own.recommendations.isEmpty)
        try await test.vault.setMyConsent(purpose: "personalization", to: .withdrawn, by: customer)
        let after = try await test.vault.myNextBestProduct(by: customer)
        #expect(
            !after.purposeHolds && after.recommendations.isEmpty && after.note?.contains("you withdrew your agreement to personalization") == true
        )
        await #expect(throws: VaultError.self) {
            _ = try await test.vault.nextBestProduct(for: consenting.id, purpose: "personalization", by: marketing)
        }
        let ops = try await Self.entries(test, customer: consenting.id).suffix(4).map { "\($0.op) \($0.decision)" }
        #expect(ops == ["self.next_best_product allow", "consent.withdraw allow", "self.next_best_product allow", "customer.next_best_product deny"])
    }

    @Test("only an operator trains, only the recommendation purpose scores, and scoring before any training says so")
    func refusals() async throws {
        let test = try await TestVault.make(customers: 20)
        defer { test.remove() }
        let marketing = try await test.principal("marketing")
        let consenting = try #require(test.customers.first { $0.consents["personalization"] == .granted })
        await #expect { _ = try await test.vault.nextBestProduct(for: consenting.id, purpose: "personalization", by: marketing) } throws: {
            ($0 as? VaultError)?.code == .noModel
        }
        await #expect { _ = try await test.vault.trainModel(epsilon: nil, by: try await test.principal("support")) } throws: {
            ($0 as? VaultError)?.kind == .denied
        }
        await #expect { _ = try await test.vault.trainModel(epsilon: 3, by: .localOperator) } throws: {
            ($0 as? VaultError)?.code.rawValue == "epsilon_above_maximum"
        }
        _ = try await test.vault.trainModel(epsilon: nil, by: .localOperator)
        await #expect { _ = try await test.vault.nextBestProduct(for: consenting.id, purpose: "marketing", by: marketing) } throws: {
            ($0 as? VaultError)?.code == .purposeNotForRecommendations
        }
        let refusal = try #require(try await Self.entries(test, customer: consenting.id).last)
        #expect(refusal.op == "customer.next_best_product" && refusal.decision == .deny && refusal.reason == "purpose_not_for_recommendations")
        // A customer token on the staff route finds nothing, not even its own customer: its own
        // recommendation is at `me`, where a withdrawn consent is shown rather than bypassed.
        await #expect {
            _ = try await test.vault.nextBestProduct(
                for: consenting.id,
                purpose: "personalization",
                by: try await test.customerPrincipal(consenting.id)
            )
        } throws: {
            ($0 as? VaultError)?.kind == .notFound
        }
        await #expect {
            _ = try await test.vault.nextBestProduct(for: consenting.id, purpose: "personalization", by: try await test.principal("analyst"))
        } throws: {
            ($0 as? VaultError)?.kind == .denied
        }
    }

    @Test("training past the budget is refused and logged, and stores no model")
    func budget() async throws {
        let text = PrivacyLossTests.policy(analyst: "{epsilon: 5, period: P30D, lifetime: 20}", global: "{epsilon: 1.5, period: P30D, lifetime: 80}")
        let test = try await TestVault.make(customers: 20, policyText: text)
        defer { test.remove() }
        _ = try await test.vault.trainModel(epsilon: 1, by: .localOperator)
        await #expect { _ = try await test.vault.trainModel(epsilon: 1, by: .localOperator) } throws: {
            ($0 as? VaultError)?.code == .budgetExhausted
        }
        #expect(try await test.vault.storage.read { tx in try tx.recommendationModels().count } == 1)
        let last = try #require(try await Self.entries(test).last { $0.op == "model.train" })
        #expect(last.decision == .deny && last.reason == "budget_exhausted")
    }

    @Test("training counts exactly the customers whose consent holds, each's purchases left out while disputed")
    func trainingPopulation() async throws {
        let test = try await TestVault.make(customers: 80)
        defer { test.remove() }
        let policy = test.vault.policy.policy
        let rules = try #require(policy.recommendations)
        let now = test.clock.now()
        let consenting = test.customers.filter { $0.consents["personalization"] == .granted }
        let before = try await test.vault.categoryStatistics(rules: rules, policy: policy, now: now)
        #expect(before.customers == Int64(consenting.count))

        let buyer = try #require(consenting.first { Set(($0.purchases ?? []).map(\.category)).count >= 2 })
        let customer = try await test.customerPrincipal(buyer.id)
        _ = try await test.vault.openContest(field: "purchases", proposedValue: "[]", reason: "these are not mine", by: customer)
        let disputed = try await test.vault.categoryStatistics(rules: rules, policy: policy, now: now)
        #expect(disputed.customers == before.customers)
        #expect(disputed.popularity.reduce(0, +) < before.popularity.reduce(0, +), "a disputed purchase history still counted")

        try await test.vault.setMyConsent(purpose: "personalization", to: .withdrawn, by: customer)
        let after = try await test.vault.categoryStatistics(rules: rules, policy: policy, now: now)
        #expect(after.customers == before.customers - 1)
    }

    @Test("rolling the model back by deleting the newest version is found by audit verify")
    func rollback() async throws {
        let test = try await TestVault.make(customers: 20)
        defer { test.remove() }
        _ = try await test.vault.trainModel(epsilon: 0.5, by: .localOperator)
        _ = try await test.vault.trainModel(epsilon: 0.5, by: .localOperator)
        let auditor = try await test.principal("auditor")
        #expect(try await test.vault.verifyAudit(by: auditor).ok)
        try test.tamper("DELETE FROM recommendation_model WHERE version = 2")
        let verified = try await test.vault.verifyAudit(by: auditor)
        #expect(!verified.ok && verified.problems.contains { $0.contains("model version 2") && $0.contains("missing") })
    }

    @Test("a model trained for other categories than the policy in force names is not used")
    func outdated() async throws {
        let test = try await TestVault.make(customers: 20)
        defer { test.remove() }
        _ = try await test.vault.trainModel(epsilon: nil, by: .localOperator)
        let text = Vault.defaultPolicyText.replacingOccurrences(
            of: "categories: [grocery, garden, kitchen,",
            with: "categories: [garden, grocery, kitchen,"
        )
        _ = try await test.vault.applyPolicy(text: text, fileName: "reordered.yaml", by: .localOperator)
        let consenting = try #require(test.customers.first { $0.consents["personalization"] == .granted })
        await #expect {
            _ = try await test.vault.nextBestProduct(for: consenting.id, purpose: "personalization", by: try await test.principal("marketing"))
        } throws: {
            ($0 as? VaultError)?.code == .modelOutdated
        }
        _ = try await test.vault.trainModel(epsilon: nil, by: .localOperator)
        _ = try await test.vault.nextBestProduct(for: consenting.id, purpose: "personalization", by: try await test.principal("marketing"))
    }

    @Test("a model altered in the database is refused, not used")
    func tamperedModel() async throws {
        let test = try await TestVault.make(customers: 40)
        defer { test.remove() }
        let trained = try await test.vault.trainModel(epsilon: nil, by: .localOperator)
        // Someone with the database pushes "toys" to the top by rewriting its count.
        var json = String(decoding: try Vault.modelEncoder.encode(trained.model), as: UTF8.self)
        let popularity = trained.model.model.popularity.map(String.init).joined(separator: ",")
        var boosted = trained.model.model.popularity
        boosted[5] = 100_000
        json = json.replacingOccurrences(
            of: "\"popularity\":[\(popularity)]",
            with: "\"popularity\":[\(boosted.map(String.init).joined(separator: ","))]"
        )
        #expect(json.contains("100000"))
        let hex = Array(json.utf8).map { String(format: "%02X", $0) }.joined()
        try test.tamper("UPDATE recommendation_model SET body = X'\(hex)' WHERE version = 1")

        let marketing = try await test.principal("marketing")
        let consenting = try #require(test.customers.first { $0.consents["personalization"] == .granted })
        await #expect { _ = try await test.vault.nextBestProduct(for: consenting.id, purpose: "personalization", by: marketing) } throws: {
            ($0 as? VaultError)?.kind == .integrity
        }
        await #expect { _ = try await test.vault.showModel(version: 1, by: .localOperator) } throws: {
            ($0 as? VaultError)?.kind == .integrity
        }
        let verified = try await test.vault.verifyAudit(by: try await test.principal("auditor"))
        #expect(!verified.ok && verified.problems.contains { $0.contains("model version 1") && $0.contains("altered") })
    }
}

extension CustomerRecord {
    /// The purchase history, if the record has one.
    var purchases: [Purchase]? {
        if case .purchases(let list)? = fields["purchases"] { return list }
        return nil
    }
}
