import Foundation
import Testing
@testable import Vault
import VaultAudit
import VaultPolicy
import VaultStore

/// What an operator's import may and may not do to what customers said themselves.
@Suite("Import")
struct ImportFindingsTests {
    @Test("an upsert never replaces a consent the customer set themselves; an explicit override does, audited and counted")
    func customerConsentsSurviveUpserts() async throws {
        let test = try await TestVault.make(customers: 4)
        defer { test.remove() }
        let target = test.customers[1]
        let customer = try await test.customerPrincipal(target.id)
        try await test.vault.setMyConsent(purpose: "marketing", to: .withdrawn, by: customer)
        var reimported = target
        reimported.fields["name"] = .string("Renamed By Import")
        reimported.consents["marketing"] = .granted
        let summary = try await test.vault.importCustomers([reimported], upsert: true, by: .localOperator)
        #expect(summary.updated == 1 && summary.consentsKept == 1 && summary.consentsOverridden == 0)
        #expect(try await test.vault.myConsents(by: customer).first { $0.purpose == "marketing" }?.state == "withdrawn")

        reimported.fields["name"] = .string("Renamed Again")
        let overridden = try await test.vault.importCustomers([reimported], upsert: true, overrideCustomerConsents: true, by: .localOperator)
        #expect(overridden.consentsOverridden == 1)
        #expect(try await test.vault.myConsents(by: customer).first { $0.purpose == "marketing" }?.state == "granted")
        let auditor = try await test.principal("auditor")
        let entries = try await test.vault.auditEntries(customer: target.id, from: 0, limit: 1000, by: auditor)
        #expect(entries.contains { $0.entry.op == "consent.override" && $0.entry.reason == "operator_override" && $0.entry.purpose == "marketing" })
        #expect(try await test.vault.auditReport(from: nil, to: nil, by: auditor).consentOverrides == 1)
    }

    @Test("consent states that do not fit the purpose's legal basis, and ids of dots alone, are refused", arguments: [
        (#""consents":{"service":"granted"}"#, "consents.service rests on contract"),
        (#""consents":{"legal_hold":"withdrawn"}"#, "consents.legal_hold rests on legal obligation"),
        (#""consents":{"marketing":"objected"}"#, "consents.marketing rests on consent"),
        (#""consents":{"fraud_prevention":"granted"}"#, "consents.fraud_prevention rests on legitimate interest"),
    ])
    func consentsFitTheBasis(consents: String, message: String) async throws {
        let test = try await TestVault.make(customers: 0)
        defer { test.remove() }
        let line = #"{"id":"c-1","characteristics":{"name":"Ada Lovelace"},"# + consents + "}"
        guard case .failure(let failure) = test.vault.validateImport(Data(line.utf8)) else {
            Issue.record("\(consents) was accepted")
            return
        }
        #expect(failure.problems.first?.message.hasPrefix(message) == true, "\(failure.problems)")
        for id in [".", "..", "..."] {
            guard case .failure = test.vault.validateImport(Data(#"{"id":"\#(id)","characteristics":{"name":"Ada Lovelace"}}"#.utf8)) else {
                Issue.record("id \(id) was accepted")
                return
            }
        }
    }

    @Test("an interrupted import can be run again: what is already there with the same content is skipped, not refused and not rewritten")
    func rerunAfterInterruption() async throws {
        let test = try await TestVault.make(customers: 0)
        defer { test.remove() }
        let generator = SyntheticCustomers(seed: 21, asOf: test.clock.now())
        let all = (0..<90).map(generator.customer)
        // The first two batches of 30 committed before the process was killed.
        _ = try await test.vault.importCustomers(Array(all.prefix(60)), by: .localOperator, batchSize: 30)
        let before = try await test.vault.storage.read { tx in try tx.auditSize() }
        let summary = try await test.vault.importCustomers(all, by: .localOperator, batchSize: 30)
        #expect(summary.inserted == 30 && summary.skipped == 60 && summary.updated == 0)
        // Only the 30 new customers were written and logged.
        let entries = try await test.vault.storage.read { tx in try tx.auditEntries(from: before, limit: 1000, customerID: nil) }
        #expect(entries.filter { (try? AuditEntry(leafBytes: Array($0.leaf)))?.op == "customer.import" }.count == 30)
    }
}
