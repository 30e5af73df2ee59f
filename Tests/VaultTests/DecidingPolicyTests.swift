import Foundation
import Testing
import VaultAudit
import VaultPolicy

@testable import Vault

/// A request takes the policy once and carries it through: its entries name the policy that
/// decided, not whichever one is in force when its batch commits.
@Suite("Deciding policy")
struct DecidingPolicyTests {
    @Test("a policy applied between a read's decision and its commit does not change the policy its entries name")
    func entriesNameTheDecidingPolicy() async throws {
        let test = try await TestVault.make(customers: 2)
        defer { test.remove() }
        let vault = test.vault
        let id = test.customers[0].id
        let support = try await test.principal("support")
        let auditor = try await test.principal("auditor")
        // The read's request took this policy...
        let deciding = vault.policy.policy
        // ...and another is applied before its batch commits.
        let text = Vault.defaultPolicyText.replacingOccurrences(of: "name: retail-default", with: "name: retail-swapped")
        _ = try await vault.applyPolicy(text: text, fileName: "swapped.yaml", by: .localOperator)
        let inForce = vault.policy.policy
        #expect(inForce.hash != deciding.hash)
        let now = test.clock.now()
        let sealed = try await vault.logged(customerID: id) { tx, audit, prefetched in
            let request = ReadRequest(
                customerID: id,
                purpose: "service",
                fields: deciding.fields.map(\.name),
                principal: support,
                policy: deciding,
                now: now,
                op: .customerRead
            )
            return try vault.readLocked(tx, &audit, request, prefetched: prefetched)
        }
        #expect(sealed.decisions.contains(where: \.allowed) && sealed.decisions.contains { !$0.allowed }, "both an allowing and a denying entry")
        let entries = try await vault.auditEntries(customer: id, from: 0, limit: 10_000, by: auditor)
            .map(\.entry).filter { AuditOperation(rawValue: $0.op) == .customerRead }
        #expect(entries.count == 2)
        for entry in entries {
            #expect(entry.policy == deciding.hash, "entry \(entry.decision) names \(entry.policy), not the deciding policy")
        }
    }
}
