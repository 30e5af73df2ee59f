import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import VaultSQLite
import VaultStore
import VaultTestSupport

@testable import Vault
@testable import VaultHTTP

/// A database that cannot be written (read-only, locked, unreachable) is the server's trouble, not
/// the client's: a 503 that says to retry, no data without its audit entry, nothing half-written,
/// and service again once the database is back.
@Suite struct StorageUnavailableTests {
    @Test("a database that refuses writes answers 503 with Retry-After, returns no data, writes nothing, and the vault recovers")
    func databaseGoneMidRequest() async throws {
        let backend = FaultyBackend()
        let fixture = try await TestVault.make(customers: 2, backend: backend)
        defer { fixture.remove() }
        let customer = fixture.tokens["customer"]!
        let storage = fixture.vault.storage
        try await fixture.app.test(.router) { client in
            let consentBefore = try await client.call(.get, "/v1/me/consents/marketing", token: customer).object["state"] as? String
            let sizeBefore = try await storage.read { try $0.auditSize() }
            // Writes start failing before their commit, as when the disk or server goes away.
            backend.refusing.withLock { $0 = true }
            let read = try await client.call(.get, "/v1/me", token: customer)
            let problem = ErrorShapeTests.problem(read, .serviceUnavailable, code: .storageUnavailable, fixture: fixture)
            #expect(read.headers[.retryAfter] == "1")
            #expect(problem["values"] == nil, "a read whose audit entry could not be written must not answer")
            let change = consentBefore == "granted" ? "withdrawn" : "granted"
            let consent = try await client.call(.put, "/v1/me/consents/marketing", token: customer, json: #"{"state":"\#(change)"}"#)
            ErrorShapeTests.problem(consent, .serviceUnavailable, code: .storageUnavailable, fixture: fixture)
            #expect(try await storage.read { try $0.auditSize() } == sizeBefore, "a refused request left an audit entry")

            backend.refusing.withLock { $0 = false }
            let again = try await client.call(.get, "/v1/me", token: customer)
            #expect(again.status == .ok)
            let consentAfter = try await client.call(.get, "/v1/me/consents/marketing", token: customer).object["state"] as? String
            #expect(consentAfter == consentBefore, "the refused consent change must not have been written")
        }
        let report = try await fixture.vault.verifyAudit(by: try await fixture.vault.authenticate(token: fixture.tokens["auditor"]!))
        #expect(report.ok, "\(report.problems)")
    }
}
