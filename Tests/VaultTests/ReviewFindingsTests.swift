import Foundation
import Testing
import VaultAnalytics
import VaultAudit
import VaultPolicy
import VaultStore

@testable import Vault

/// Mends from reading the facade's API for its documentation: each test fails on the code before.
@Suite("Facade edges")
struct ReviewFindingsTests {
    @Test("acts that only write the log (a report, a verification, a portal link) keep an aggregate's cached answer free")
    func logOnlyActsKeepTheCache() async throws {
        let test = try await TestVault.make(customers: 30)
        defer { test.remove() }
        let analyst = try await test.principal("analyst")
        let auditor = try await test.principal("auditor")
        let request = AggregateRequest(measures: ["count"], groupBy: ["segment"], epsilon: 0.5)
        let first = try await test.vault.aggregate(request, by: analyst)
        #expect(!first.cached)

        _ = try await test.vault.auditReport(from: nil, to: nil, by: auditor)
        _ = try await test.vault.verifyAudit(by: auditor)
        _ = try await test.vault.portalLink(customerID: test.customers[0].id, linkBase: "https://portal.example/portal/", by: .localOperator)

        let again = try await test.vault.aggregate(request, by: analyst)
        #expect(again.cached && again.epsilonCharged == .zero, "no data changed, so the identical question must cost nothing")
    }

    @Test("issuing and revoking tokens change the data version, so an interrupted storage copy cannot resume past a revocation")
    func tokenChangesMoveTheDataVersion() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        func version() async throws -> Int64 { try await test.vault.storage.read { try $0.dataVersion() } }
        let before = try await version()
        let token = try await test.vault.issueToken(role: "support", customerID: nil, name: "s-2", expiresIn: nil, by: .localOperator)
        let issued = try await version()
        try await test.vault.revokeToken(token.secret, by: .localOperator)
        let revoked = try await version()
        #expect(before < issued && issued < revoked)
    }

    @Test("a write to an id no customer can have is not looked up, and the id never reaches the log")
    func impossibleIDsStayOutOfTheLogOnWrites() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        let analyst = try await test.principal("analyst")
        let support = try await test.principal("support")
        let typedInTheWrongPlace = "Jane Q. Example <jane@example.org>"
        await #expect { _ = try await test.vault.updateCustomer(typedInTheWrongPlace, purpose: "service", set: ["name": "x"], by: analyst) } throws: {
            ($0 as? VaultError)?.kind == .denied
        }
        await #expect { _ = try await test.vault.updateCustomer(typedInTheWrongPlace, purpose: "service", set: ["name": "x"], by: support) } throws: {
            ($0 as? VaultError)?.code == .notFound
        }
        // Nor do field names or a purpose the policy does not have, typed where values belong.
        await #expect {
            _ = try await test.vault.updateCustomer(typedInTheWrongPlace, purpose: "service", set: ["jane@example.org": "x"], by: analyst)
        } throws: { ($0 as? VaultError)?.code == .unknownField }
        await #expect {
            _ = try await test.vault.updateCustomer(typedInTheWrongPlace, purpose: "jane@example.org", set: ["name": "x"], by: analyst)
        } throws: { ($0 as? VaultError)?.kind == .denied }
        let auditor = try await test.principal("auditor")
        let entries = try await test.vault.auditEntries(customer: nil, from: 0, limit: 10_000, by: auditor)
        #expect(entries.contains { $0.entry.op == "customer.update" && $0.entry.decision == "deny" }, "the refusal is audited")
        let logged = entries.map { [$0.entry.customer ?? "", $0.entry.purpose ?? ""] + $0.entry.fields }.joined()
        #expect(!logged.contains { $0.contains("jane") })
        // An empty change is refused, not logged as an allowed write of nothing.
        await #expect { _ = try await test.vault.updateCustomer(test.customers[0].id, purpose: "service", set: [:], by: support) } throws: {
            ($0 as? VaultError)?.code == .badFields
        }
    }

    @Test("an import's batch size must be positive")
    func importBatchSize() async throws {
        let test = try await TestVault.make(customers: 0)
        defer { test.remove() }
        let generator = SyntheticCustomers(seed: 3, asOf: Date())
        for size in [0, -1] {
            await #expect { _ = try await test.vault.importCustomers([generator.customer(0)], by: .localOperator, batchSize: size) } throws: {
                ($0 as? VaultError)?.code == .badBatchSize
            }
        }
    }

    @Test("a witness that cannot be made leaves nothing behind, so the next attempt is not refused as existing")
    func witnessCreationIsAllOrNothing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("witness-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect { _ = try WitnessService.create(at: directory, name: "has space", logs: []) } throws: {
            ($0 as? VaultError)?.code == .badName
        }
        #expect { _ = try WitnessService.create(at: directory, name: nil, logs: ["not a key"]) } throws: {
            ($0 as? VaultError)?.code == .badVerifierKey
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path))
        let witness = try WitnessService.create(at: directory, name: "w1", logs: [])
        #expect(witness.verifierKey.hasPrefix("w1+"))
    }
}
