import Foundation
import Testing
import VaultAudit
import VaultStore

@testable import Vault

/// Signing in to the customer portal without a password: one-time codes and links through the
/// notifier, answers that tell nobody who is a customer, few guesses, sessions that end.
@Suite("Portal sign-in")
struct PortalSignInTests {
    static let linkBase = "https://vault.example/portal/link/"

    static func email(_ customer: CustomerRecord) -> String {
        guard case .string(let email)? = customer.fields["email"] else { preconditionFailure("synthetic customers have an e-mail") }
        return email
    }

    /// The messages in the outbox, waiting up to five seconds for `count` of them (delivery runs apart).
    static func outbox(_ test: TestVault, count: Int) async throws -> [SignInMessage] {
        let folder = test.folder.appendingPathComponent(OutboxNotifier.folderName)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for _ in 0..<100 {
            // Only finished messages: a file being written may show under a temporary name.
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
                $0.hasSuffix(".json") && !$0.hasPrefix(".")
            }.sorted()
            if files.count >= count {
                return try files.map { try decoder.decode(SignInMessage.self, from: Data(contentsOf: folder.appendingPathComponent($0))) }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return []
    }

    static func entries(_ test: TestVault) async throws -> [AuditEntry] {
        try await test.vault.storage.read { tx in try tx.auditEntries(from: 0, limit: 100_000, customerID: nil) }.map {
            try AuditEntry(leafBytes: Array($0.leaf))
        }
    }

    @Test("a code from the outbox signs the customer in; the session acts as that customer through the same use cases, and everything is audited")
    func codeSignIn() async throws {
        let test = try await TestVault.make(customers: 5)
        defer { test.remove() }
        let customer = test.customers[0]
        try await test.vault.requestSignIn(address: Self.email(customer).uppercased(), client: "192.0.2.1", linkBase: Self.linkBase)
        let message = try #require(try await Self.outbox(test, count: 1).first)
        #expect(message.code.count == 8 && message.code.allSatisfy(\.isNumber) && message.link.hasPrefix(Self.linkBase))
        let path = test.folder.appendingPathComponent(OutboxNotifier.folderName).path
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: path).first)
        let mode = try FileManager.default.attributesOfItem(atPath: path + "/" + file)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let session = try await test.vault.completeSignIn(address: Self.email(customer), code: " \(message.code) ", client: "192.0.2.1")
        #expect(session.customerID == customer.id && session.secret.count == 43)
        let principal = try await test.vault.portalPrincipal(session: session.secret)
        #expect(principal.customerID == customer.id && principal.role == "customer" && principal.actor == "portal:\(session.id)")
        #expect(try await test.vault.myProfile(by: principal).customerID == customer.id)

        let ops = try await Self.entries(test).filter { $0.op.hasPrefix("portal.") }
        #expect(
            ops.map { "\($0.op) \($0.decision) \($0.customer ?? "-")" } == [
                "portal.sign_in.request allow \(customer.id)", "portal.sign_in allow \(customer.id)",
            ]
        )
        #expect(ops[1].details["method"] == "code" && ops[1].details["session"] == session.id)
    }

    @Test("an address nobody has gets the same answer, nothing is sent, and the attempt is audited without a customer")
    func noEnumeration() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        try await test.vault.requestSignIn(address: "nobody@example.org", client: "192.0.2.2", linkBase: Self.linkBase)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await Self.outbox(test, count: 1).isEmpty)
        let entry = try #require(try await Self.entries(test).last)
        #expect(entry.op == "portal.sign_in.request" && entry.decision == .deny && entry.reason == "no_match" && entry.customer == nil)
        await #expect { _ = try await test.vault.completeSignIn(address: "nobody@example.org", code: "12345678", client: "192.0.2.2") } throws: {
            ($0 as? VaultError)?.code == .signInFailed
        }
        await #expect { try await test.vault.requestSignIn(address: "not an address", client: "192.0.2.2", linkBase: Self.linkBase) } throws: {
            ($0 as? VaultError)?.code == .badAddress
        }
    }

    @Test("wrong codes count; the fifth gives the sign-in up, after which even the right code fails; a used or expired code fails alike")
    func guesses() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        let address = Self.email(test.customers[1])
        try await test.vault.requestSignIn(address: address, client: "192.0.2.3", linkBase: Self.linkBase)
        let message = try #require(try await Self.outbox(test, count: 1).first)
        let wrong = message.code == "00000000" ? "11111111" : "00000000"
        for _ in 0..<5 {
            await #expect { _ = try await test.vault.completeSignIn(address: address, code: wrong, client: "192.0.2.3") } throws: {
                ($0 as? VaultError)?.code == .signInFailed
            }
        }
        await #expect(throws: VaultError.self) { _ = try await test.vault.completeSignIn(address: address, code: message.code, client: "192.0.2.3") }
        let reasons = try await Self.entries(test).filter { $0.op == "portal.sign_in" }.map(\.reason)
        #expect(reasons == ["wrong_code", "wrong_code", "wrong_code", "wrong_code", "too_many_attempts", "no_pending_sign_in"])
        // The link of the given-up sign-in is dead too.
        let secret = String(message.link.dropFirst(Self.linkBase.count))
        await #expect(throws: VaultError.self) { _ = try await test.vault.completeSignIn(link: secret, client: "192.0.2.3") }

        // A fresh sign-in: its link works once; the code then fails (used); another expires.
        try await test.vault.requestSignIn(address: address, client: "192.0.2.3", linkBase: Self.linkBase)
        let second = try #require(try await Self.outbox(test, count: 2).last)
        let session = try await test.vault.completeSignIn(link: String(second.link.dropFirst(Self.linkBase.count)), client: "192.0.2.3")
        #expect(session.customerID == test.customers[1].id)
        await #expect(throws: VaultError.self) {
            _ = try await test.vault.completeSignIn(link: String(second.link.dropFirst(Self.linkBase.count)), client: "192.0.2.3")
        }
        await #expect(throws: VaultError.self) { _ = try await test.vault.completeSignIn(address: address, code: second.code, client: "192.0.2.3") }
        try await test.vault.requestSignIn(address: address, client: "192.0.2.3", linkBase: Self.linkBase)
        let third = try #require(try await Self.outbox(test, count: 3).last)
        test.clock.advance(by: 601)
        await #expect(throws: VaultError.self) { _ = try await test.vault.completeSignIn(address: address, code: third.code, client: "192.0.2.3") }
    }

    @Test("requests are limited per address and per client, whether or not the address exists")
    func rateLimits() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        for index in 0..<5 {
            try await test.vault.requestSignIn(address: "someone@example.org", client: "192.0.2.\(10 + index)", linkBase: Self.linkBase)
        }
        await #expect { try await test.vault.requestSignIn(address: "someone@example.org", client: "192.0.2.99", linkBase: Self.linkBase) } throws: {
            ($0 as? VaultError)?.kind == .rateLimited
        }
        for index in 0..<30 {
            _ = try? await test.vault.completeSignIn(address: "x\(index)@example.org", code: "12345678", client: "198.51.100.7")
        }
        await #expect {
            _ = try await test.vault.completeSignIn(address: Self.email(test.customers[0]), code: "12345678", client: "198.51.100.7")
        } throws: {
            ($0 as? VaultError)?.kind == .rateLimited
        }
        // The window slides: later, the same client may try again.
        test.clock.advance(by: 901)
        try await test.vault.requestSignIn(address: "someone@example.org", client: "192.0.2.99", linkBase: Self.linkBase)
    }

    @Test("a session ends when idle, at its absolute expiry, at sign-out and at erasure")
    func sessions() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        func signIn(_ customer: CustomerRecord, expecting count: Int) async throws -> PortalSession {
            try await test.vault.requestSignIn(address: Self.email(customer), client: "192.0.2.4", linkBase: Self.linkBase)
            let message = try #require(try await Self.outbox(test, count: count).last)
            return try await test.vault.completeSignIn(address: Self.email(customer), code: message.code, client: "192.0.2.4")
        }
        let first = try await signIn(test.customers[0], expecting: 1)
        // Used every 20 minutes, it lives on past the idle limit…
        for _ in 0..<3 {
            test.clock.advance(by: 1_200)
            _ = try await test.vault.portalPrincipal(session: first.secret)
        }
        // …but not past 30 idle minutes.
        test.clock.advance(by: 1_801)
        await #expect { _ = try await test.vault.portalPrincipal(session: first.secret) } throws: { ($0 as? VaultError)?.code == .sessionEnded }

        let second = try await signIn(test.customers[0], expecting: 2)
        for _ in 0..<25 {
            test.clock.advance(by: 1_740)
            _ = try? await test.vault.portalPrincipal(session: second.secret)
        }
        await #expect(throws: VaultError.self) { _ = try await test.vault.portalPrincipal(session: second.secret) }

        let third = try await signIn(test.customers[0], expecting: 3)
        try await test.vault.signOut(session: third.secret)
        await #expect(throws: VaultError.self) { _ = try await test.vault.portalPrincipal(session: third.secret) }
        #expect(try await Self.entries(test).last?.op == "portal.sign_out")

        let fourth = try await signIn(test.customers[2], expecting: 4)
        _ = try await test.vault.eraseMe(confirm: true, by: try await test.vault.portalPrincipal(session: fourth.secret))
        await #expect(throws: VaultError.self) { _ = try await test.vault.portalPrincipal(session: fourth.secret) }
    }

    @Test("wrong codes count per customer across fresh codes: past ten a day no code is issued or accepted for them")
    func customerLock() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        let address = Self.email(test.customers[0])
        var delivered = 0
        for round in 0..<2 {
            test.clock.advance(by: 901)  // past the per-address window, still inside the day
            try await test.vault.requestSignIn(address: address, client: "203.0.113.\(round)", linkBase: Self.linkBase)
            delivered += 1
            let message = try #require(try await Self.outbox(test, count: delivered).last)
            let wrong = message.code == "00000000" ? "11111111" : "00000000"
            for _ in 0..<5 { _ = try? await test.vault.completeSignIn(address: address, code: wrong, client: "203.0.113.\(round)") }
        }
        // Ten wrong codes across two sign-ins: a third is neither sent nor usable.
        test.clock.advance(by: 901)
        try await test.vault.requestSignIn(address: address, client: "203.0.113.9", linkBase: Self.linkBase)
        try await Task.sleep(for: .milliseconds(300))
        let last = try #require(try await Self.entries(test).last { $0.op == "portal.sign_in.request" })
        #expect(last.decision == .deny && last.reason == "customer_locked" && last.customer == test.customers[0].id)
        // A day later they may sign in again.
        test.clock.advance(by: 86_400)
        try await test.vault.requestSignIn(address: address, client: "203.0.113.9", linkBase: Self.linkBase)
        let fresh = try #require(try await Self.outbox(test, count: delivered + 1).last)
        _ = try await test.vault.completeSignIn(address: address, code: fresh.code, client: "203.0.113.9")
    }

    @Test("a request that read the session just before sign-out cannot reopen it")
    func noRevival() async throws {
        let test = try await TestVault.make(customers: 2)
        defer { test.remove() }
        let link = try await test.vault.portalLink(customerID: test.customers[0].id, linkBase: Self.linkBase, by: .localOperator)
        let session = try await test.vault.completeSignIn(link: String(link.link.dropFirst(Self.linkBase.count)), client: "192.0.2.7")
        try await test.vault.signOut(session: session.secret)
        // The late touch of a request that authenticated before the sign-out committed.
        try await test.vault.storage.write { tx in try tx.updatePortalSession(id: session.id, lastSeenAt: test.clock.now(), endedAt: nil) }
        await #expect(throws: VaultError.self) { _ = try await test.vault.portalPrincipal(session: session.secret) }
    }

    @Test("staff with manage_tokens hand over a one-time link; others may not")
    func staffLink() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        await #expect {
            _ = try await test.vault.portalLink(customerID: test.customers[0].id, linkBase: Self.linkBase, by: try await test.principal("support"))
        } throws: {
            ($0 as? VaultError)?.kind == .denied
        }
        let link = try await test.vault.portalLink(customerID: test.customers[0].id, linkBase: Self.linkBase, by: .localOperator)
        let session = try await test.vault.completeSignIn(link: String(link.link.dropFirst(Self.linkBase.count)), client: "192.0.2.5")
        #expect(session.customerID == test.customers[0].id)
        #expect(try await Self.entries(test).contains { $0.op == "portal.link.issue" && $0.customer == test.customers[0].id })
        await #expect { _ = try await test.vault.portalLink(customerID: "c-9999999", linkBase: Self.linkBase, by: .localOperator) } throws: {
            ($0 as? VaultError)?.kind == .notFound
        }
    }

    @Test("the database holds no code, link or session secret: someone with the file cannot sign in", .enabled(if: onSQLite))
    func secretsAreNotStored() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        let address = Self.email(test.customers[0])
        try await test.vault.requestSignIn(address: address, client: "192.0.2.6", linkBase: Self.linkBase)
        let message = try #require(try await Self.outbox(test, count: 1).first)
        let session = try await test.vault.completeSignIn(address: address, code: message.code, client: "192.0.2.6")
        let storage = test.vault.storage
        try await storage.compact()
        var bytes = Data()
        for suffix in ["", "-wal"] { bytes += (try? Data(contentsOf: URL(fileURLWithPath: test.databasePath + suffix))) ?? Data() }
        for secret in [message.code, String(message.link.dropFirst(Self.linkBase.count)), session.secret] {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "a portal secret is in the database file")
        }
    }
}
