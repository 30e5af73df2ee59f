import Foundation
import Testing
import VaultAudit
import VaultStore

@testable import Vault

/// Error codes are a typed contract: callers match the constants, in comparisons and as `catch`
/// patterns, and the refusal's entry in the log carries the same code.
@Suite("Error codes")
struct VaultErrorCodeTests {
    @Test("a code is a catch pattern that matches only its own errors")
    func catchPatterns() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        let subject = test.customers[0]
        let customer = try await test.customerPrincipal(subject.id)
        _ = try await test.vault.eraseMe(confirm: true, by: customer)
        let support = try await test.principal("support")

        var caught: VaultError.Code?
        do {
            _ = try await test.vault.readCustomer(subject.id, purpose: "service", by: support)
        } catch VaultError.Code.notFound {
            caught = .notFound
        } catch VaultError.Code.customerErased {
            caught = .customerErased
        }
        #expect(caught == .customerErased)
        #expect(!(VaultError.Code.customerErased ~= CancellationError()), "only vault errors match")

        // The refusal's entry names the code the caller caught.
        let auditor = try await test.principal("auditor")
        let entries = try await test.vault.auditEntries(customer: subject.id, from: 0, limit: 1_000, by: auditor)
        let refusal = entries.last { $0.entry.op == "customer.read" }
        #expect(refusal?.entry.decision == "deny" && refusal?.entry.reason == VaultError.Code.customerErased.rawValue)
    }

    @Test("a lower layer's code passes through unchanged")
    func bridgedCodes() {
        #expect(VaultError.Code(StoreError.unavailable("the database")) == .storageUnavailable)
        #expect(VaultError.Code(StoreError.notFound("customer")) == .notFound)
        #expect(VaultError.Code(rawValue: "storage_unavailable") == .storageUnavailable)
        #expect(VaultError.Code.storageUnavailable.description == "storage_unavailable")
    }
}
