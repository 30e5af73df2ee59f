import Foundation
import Testing
import VaultAudit
import VaultPolicy
import VaultStore

@testable import Vault

/// Audit operations are a closed vocabulary: every entry the vault writes names one of the
/// constants, so reports that match on them see every entry.
@Suite("Audit operations")
struct AuditOperationTests {
    @Test("every entry a busy vault writes names a known operation")
    func everyEntryIsKnown() async throws {
        let test = try await TestVault.make(customers: 30)
        defer { test.remove() }
        let vault = test.vault
        let support = try await test.principal("support")
        let marketing = try await test.principal("marketing")
        let auditor = try await test.principal("auditor")
        let analyst = try await test.principal("analyst")
        let subject = test.customers[0]
        let other = test.customers[1]
        let customer = try await test.customerPrincipal(subject.id)
        _ = try await vault.readCustomer(subject.id, purpose: "service", by: support)
        _ = try? await vault.readCustomer(subject.id, purpose: "marketing", by: marketing)
        _ = try await vault.updateCustomer(subject.id, purpose: "service", set: ["preferred_channel": "post"], by: support)
        try await vault.setMyConsent(purpose: "personalization", to: .granted, by: customer)
        try await vault.setMyConsent(purpose: "fraud_prevention", to: .objected, by: customer)
        try await vault.setMyConsent(purpose: "fraud_prevention", to: .withdrawn, by: customer)
        _ = try await vault.myProfile(by: customer)
        _ = try await vault.myLog(by: customer)
        _ = try await vault.exportMine(by: customer)
        let contest = try await vault.openContest(field: "postcode", proposedValue: "ZZ1 1ZZ", reason: "moved", by: customer)
        _ = try await vault.resolveContest(id: contest.id, resolution: .requestInfo, reason: "proof?", by: support)
        _ = try await vault.updateMyContest(id: contest.id, withdraw: false, reply: "a bill", by: customer)
        _ = try await vault.resolveContest(id: contest.id, resolution: .accept, reason: "ok", by: support)
        _ = try await vault.aggregate(AggregateRequest(measures: ["count"], epsilon: 0.5), by: analyst)
        _ = try await vault.trainModel(epsilon: nil, by: .localOperator)
        _ = try? await vault.nextBestProduct(for: subject.id, purpose: "personalization", by: marketing)
        _ = try await vault.myNextBestProduct(by: customer)
        _ = try await vault.portalLink(customerID: other.id, linkBase: "https://v.example/portal/link/", by: .localOperator)
        _ = try await vault.eraseMe(confirm: true, by: try await test.customerPrincipal(other.id))
        _ = try await vault.verifyAudit(by: auditor)
        _ = try await vault.auditReport(from: nil, to: nil, by: auditor)
        let ops = try await vault.storage.read { tx in try tx.auditEntries(from: 0, limit: 100_000, customerID: nil) }
            .map { try AuditEntry(leafBytes: Array($0.leaf)).operation }
        let unknown = Set(ops).subtracting(AuditOperation.all)
        #expect(unknown.isEmpty, "entries name operations that are no constant: \(unknown.map(\.rawValue).sorted())")
        #expect(Set(ops).count >= 20, "the walk wrote \(Set(ops).count) kinds of entry")
    }
}
