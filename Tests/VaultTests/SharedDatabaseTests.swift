import Foundation
import Testing
import VaultAnalytics
import VaultPostgres
import VaultStore
import VaultTestSupport

@testable import Vault

/// Several instances over one PostgreSQL database, as many `cvault serve` processes would be, and
/// moving a vault between SQLite and PostgreSQL. Needs the test server (`.ci/with-postgres`).
@Suite(
    "Instances sharing one PostgreSQL database",
    .enabled(if: TestDatabases.postgresURL != nil, "needs CVAULT_TEST_POSTGRES_URL"),
    .timeLimit(.minutes(3))
)
struct SharedDatabaseTests {
    /// A vault on a fresh PostgreSQL database, and a second instance of it opened from the same folder.
    private func twoInstances(customers: Int = 30) async throws -> (TestVault, Vault) {
        let database = try TestDatabases.freshPostgresDatabase()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-shared-\(UUID().uuidString)")
        let clock = TestClock()
        var options = VaultOptions(backends: testBackends)
        options.clock = clock
        options.durability = .normal
        options.peerRefreshWait = .zero
        let first = try await Vault.create(at: folder, database: database, options: options)
        let generator = SyntheticCustomers(seed: 5, asOf: clock.now())
        let records = (0..<customers).map(generator.customer)
        _ = try await first.importCustomers(records, by: .localOperator, batchSize: 10)
        let test = TestVault(vault: first, folder: folder, clock: clock, customers: records, database: database)
        return (test, try await test.reopen())
    }

    @Test("reads and writes from two instances append one dense log that never forks, and it verifies")
    func oneLog() async throws {
        let (test, other) = try await twoInstances()
        defer { test.remove() }
        let support = try await test.principal("support")
        let before = try await test.vault.verifyAudit(by: try await test.principal("auditor")).entries
        let ids = test.customers.map(\.id)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, id) in ids.enumerated() {
                let instance = index % 2 == 0 ? test.vault : other
                group.addTask { _ = try await instance.readCustomer(id, purpose: "service", fields: ["name"], by: support) }
                group.addTask {
                    _ = try await instance.updateCustomer(
                        id,
                        purpose: "service",
                        set: ["preferred_channel": index % 3 == 0 ? "email" : "sms"],
                        by: support
                    )
                }
            }
            try await group.waitForAll()
        }
        let auditor = try await test.principal("auditor")
        for instance in [test.vault, other] {
            let report = try await instance.verifyAudit(by: auditor)
            #expect(report.ok, "\(report.problems)")
            // Every read and write left its entry (two tokens and two verifications add theirs).
            #expect(report.entries >= before + UInt64(2 * ids.count))
        }
        let entries = try await other.auditEntries(customer: nil, from: 0, limit: 100_000, by: auditor)
        #expect(entries.map(\.seq) == Array(0..<UInt64(entries.count)), "the sequence has a gap or a repeat")
    }

    @Test("concurrent queries on two instances never spend more than the analyst's allowance")
    func budgetAcrossInstances() async throws {
        let (test, other) = try await twoInstances(customers: 60)
        defer { test.remove() }
        let analyst = try await test.principal("analyst")
        // Distinct ε, so no query is answered from another's cached answer.
        let granted = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<14 {
                let instance = index % 2 == 0 ? test.vault : other
                group.addTask {
                    do {
                        _ = try await instance.aggregate(
                            AggregateRequest(measures: ["count"], groupBy: ["region"], epsilon: 0.9 + Double(index) / 200),
                            by: analyst
                        )
                        return 1
                    } catch let error as VaultError where error.code == .budgetExhausted {
                        return 0
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        let status = try await other.budgetStatus(by: analyst).status
        // The default policy allows ε 5 per analyst and period: five queries of about 0.9 to 1.
        #expect(granted == 5)
        #expect(status.analystSpent <= Epsilon(micros: 5 * Epsilon.microsPerUnit))
    }

    @Test("a policy applied on one instance reaches another through the database's notifications, not its poll")
    func policyNotification() async throws {
        let (test, other) = try await twoInstances(customers: 3)
        defer { test.remove() }
        let notifications = try #require(other.changeNotifications())
        let (ready, listening) = AsyncStream.makeStream(of: Void.self)
        let waiter = Task {
            var iterator = notifications.makeAsyncIterator()
            _ = await iterator.next()  // the listener is in place
            listening.yield()
            return await iterator.next() != nil
        }
        for await _ in ready { break }
        let narrower = Vault.defaultPolicyText.replacingOccurrences(of: "epsilon_per_query: 0.5", with: "epsilon_per_query: 0.4")
        #expect(narrower != Vault.defaultPolicyText)
        let applied = try await test.vault.applyPolicy(text: narrower, fileName: "narrower.yaml", by: .localOperator)
        let arrived = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { await waiter.value }
            group.addTask {
                try await Task.sleep(for: .seconds(5))
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            waiter.cancel()
            return first
        }
        #expect(arrived, "no notification within 5 s")
        #expect(try await other.refresh())
        #expect(other.policyInfo.hash == applied.hash)
    }

    @Test("a SQLite vault moved into PostgreSQL answers the same and proves its log; a copy back into a folder opens too")
    func moveAndCopyBack() async throws {
        let test = try await TestVault.make(customers: 3_000)
        defer { test.remove() }
        guard !TestDatabases.facadeOnPostgres else { return }
        let support = try await test.principal("support")
        let id = test.customers[4].id
        let before = try await test.vault.readCustomer(id, purpose: "service", fields: ["name", "email"], by: support).values
        _ = try await test.vault.eraseMe(confirm: true, by: try await test.customerPrincipal(test.customers[5].id))
        try test.vault.close()

        let database = try TestDatabases.freshPostgresDatabase()
        var options = VaultOptions(backends: testBackends)
        options.clock = test.clock
        options.durability = .normal
        let report = try await Vault.moveStorage(of: test.folder, to: database, options: options)
        #expect(report.customers == 3_000 && report.customersReadable == 2_999)
        let moved = try await Vault.open(at: test.folder, options: options)
        let auditor = try await moved.authenticate(
            token: try await moved.issueToken(role: "auditor", customerID: nil, name: "a", expiresIn: nil, by: .localOperator).secret
        )
        let verified = try await moved.verifyAudit(by: auditor)
        #expect(verified.ok && verified.entries > report.auditSize)
        #expect(try await moved.readCustomer(id, purpose: "service", fields: ["name", "email"], by: support).values == before)
        await #expect(throws: VaultError.self) { _ = try await Vault.moveStorage(of: test.folder, to: database, options: options) }
        try moved.close()

        let investigation = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-copy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: investigation) }
        let copy = try await Vault.copyToNewFolder(from: test.folder, into: investigation, options: options)
        #expect(copy.customersRestored == 2_999)
        #expect(copy.backupLogSize >= report.auditSize)
        let laptop = try await Vault.open(at: investigation, options: options)
        let laptopAuditor = try await laptop.authenticate(
            token: try await laptop.issueToken(role: "auditor", customerID: nil, name: "a", expiresIn: nil, by: .localOperator).secret
        )
        #expect(try await laptop.verifyAudit(by: laptopAuditor).ok)
        #expect(laptop.origin != moved.origin)
        let laptopSupport = try await laptop.authenticate(
            token: try await laptop.issueToken(role: "support", customerID: nil, name: "s", expiresIn: nil, by: .localOperator).secret
        )
        #expect(try await laptop.readCustomer(id, purpose: "service", fields: ["name", "email"], by: laptopSupport).values == before)
        try laptop.close()
    }

    @Test("a database that goes away mid-use is 'unavailable', leaves nothing half-written, and the vault recovers when it returns")
    func databaseGone() async throws {
        let (test, other) = try await twoInstances(customers: 5)
        defer { test.remove() }
        try other.close()
        let support = try await test.principal("support")
        let auditor = try await test.principal("auditor")
        let id = test.customers[0].id
        let size = try await test.vault.verifyAudit(by: auditor).entries
        let name = String(try #require(URLComponents(string: test.database)?.path.dropFirst()))
        // No one may connect any more, and the vault's connections are cut.
        try psql("ALTER DATABASE \(name) ALLOW_CONNECTIONS false")
        try psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)' AND pid <> pg_backend_pid()")
        await #expect { _ = try await test.vault.updateCustomer(id, purpose: "service", set: ["preferred_channel": "sms"], by: support) } throws: {
            error in
            (error as? VaultError)?.kind == .unavailable
        }
        await #expect { _ = try await test.vault.readCustomer(id, purpose: "service", fields: ["name"], by: support) } throws: { error in
            (error as? VaultError)?.kind == .unavailable
        }
        try psql("ALTER DATABASE \(name) ALLOW_CONNECTIONS true")
        // Back: the refused write left nothing, and the log goes on from where it was. The pool
        // reconnects after a backoff that grew while the database refused it, which on a loaded
        // machine can outlast one request's 5 s wait: as a client told 503 with Retry-After
        // would, ask again for up to a minute.
        var recovered: CustomerView?
        for _ in 0..<60 where recovered == nil {
            do {
                recovered = try await test.vault.readCustomer(id, purpose: "service", fields: ["preferred_channel"], by: support)
            } catch let error as VaultError where error.kind == .unavailable {
                try await Task.sleep(for: .seconds(1))
            }
        }
        #expect(
            try #require(recovered, "the vault did not recover within a minute").values["preferred_channel"]
                == test.customers[0].fields["preferred_channel"]
        )
        let report = try await test.vault.verifyAudit(by: auditor)
        #expect(report.ok && report.entries == size + 2, "the verification and the read after recovery, nothing from the refused calls")
    }

    /// Runs one statement on the test server as its administrator.
    private func psql(_ sql: String) throws {
        let result = try ChildProcess.run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql, try #require(TestDatabases.postgresURL)])
        guard result.status == 0 else { throw TestDatabaseError(description: "psql failed: \(sql): \(result.stderr)") }
    }
}
