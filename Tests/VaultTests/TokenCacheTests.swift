import Foundation
import Testing
import VaultStore

@testable import Vault

/// Audited reads may take their principal from the token cache, because the read's own
/// transaction confirms the token; a revocation by another instance must stop the next read.
@Suite("Token cache")
struct TokenCacheTests {
    private func code(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let error as VaultError {
            return error.code.rawValue
        } catch {
            return "\(error)"
        }
    }

    @Test("a token another instance revoked reads nothing, though this instance's cache still holds it")
    func revocationElsewhereStopsTheNextRead() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        let id = test.customers[0].id
        let customer = try await test.vault.issueToken(role: "customer", customerID: id, name: nil, expiresIn: nil, by: .localOperator)
        let support = try await test.vault.issueToken(role: "support", customerID: nil, name: "agent", expiresIn: nil, by: .localOperator)
        // First reads: the tokens are looked up in the database, and cached.
        _ = try await test.vault.myProfile(by: try await test.vault.authenticateForRead(token: customer.secret))
        _ = try await test.vault.readCustomer(id, purpose: "service", by: try await test.vault.authenticateForRead(token: support.secret))

        let other = try await test.reopen()
        try await other.revokeToken(customer.id, by: .localOperator)
        try await other.revokeToken(support.id, by: .localOperator)

        // This instance's cache still answers for both tokens...
        let cachedCustomer = try await test.vault.authenticateForRead(token: customer.secret)
        let cachedSupport = try await test.vault.authenticateForRead(token: support.secret)
        // ...but each read confirms its token first, in batches or not.
        #expect(await code { _ = try await test.vault.myProfile(by: cachedCustomer) } == "revoked_token")
        #expect(await code { _ = try await test.vault.readCustomer(id, purpose: "service", by: cachedSupport) } == "revoked_token")
        #expect(await code { _ = try await test.vault.readCustomer("not/an/id", purpose: "service", by: cachedSupport) } == "revoked_token")
        // A confirmed failure leaves the cache: the next lookup goes to the database.
        #expect(await code { _ = try await test.vault.authenticateForRead(token: customer.secret) } == "revoked_token")
        #expect(await code { _ = try await test.vault.authenticate(token: support.secret) } == "revoked_token")
    }

    @Test("an expired cached token is refused by the clock before any read")
    func expiryIsCheckedOnEveryUse() async throws {
        let test = try await TestVault.make(customers: 1)
        defer { test.remove() }
        let id = test.customers[0].id
        let token = try await test.vault.issueToken(role: "customer", customerID: id, name: nil, expiresIn: "PT1H", by: .localOperator)
        _ = try await test.vault.myProfile(by: try await test.vault.authenticateForRead(token: token.secret))
        let cached = try await test.vault.authenticateForRead(token: token.secret)
        test.clock.advance(by: 3601)
        #expect(await code { _ = try await test.vault.myProfile(by: cached) } == "expired_token")
        #expect(await code { _ = try await test.vault.authenticateForRead(token: token.secret) } == "expired_token")
    }

    @Test("a revoked cached token gets its token's error from every early refusal, and leaves no entry")
    func earlyRefusalsConfirmTheToken() async throws {
        let test = try await TestVault.make(customers: 2)
        defer { test.remove() }
        let id = test.customers[0].id
        let analyst = try await test.vault.issueToken(role: "analyst", customerID: nil, name: "a", expiresIn: nil, by: .localOperator)
        let support = try await test.vault.issueToken(role: "support", customerID: nil, name: "s", expiresIn: nil, by: .localOperator)
        let cachedAnalyst = try await test.vault.authenticateForRead(token: analyst.secret)
        let cachedSupport = try await test.vault.authenticateForRead(token: support.secret)
        let other = try await test.reopen()
        try await other.revokeToken(analyst.id, by: .localOperator)
        try await other.revokeToken(support.id, by: .localOperator)
        let before = try await test.vault.storage.read { try $0.auditSize() }
        // A role that never reads rows is refused, and audited, even for an impossible id: not once revoked.
        #expect(await code { _ = try await test.vault.readCustomer("not/an/id", purpose: "service", by: cachedAnalyst) } == "revoked_token")
        // Neither the role nor a bad field list is answered before the token.
        #expect(await code { _ = try await test.vault.myProfile(by: cachedSupport) } == "revoked_token")
        #expect(
            await code { _ = try await test.vault.readCustomer(id, purpose: "service", fields: ["name", "name"], by: cachedSupport) }
                == "revoked_token"
        )
        #expect(try await test.vault.storage.read { try $0.auditSize() } == before, "a revoked token leaves no entry")
    }
}
