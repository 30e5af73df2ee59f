import Foundation
import Testing
import VaultCrypto
import VaultPolicy
import VaultStore

@testable import Vault

/// A retention period deletes: values past it leave the database file, not only the answers.
@Suite("Retention sweep", .serialized)
struct RetentionSweepTests {
    static let day: TimeInterval = 86_400
    /// The default policy's fields kept two years (the rest are kept six).
    static let twoYearFields: Set<String> = [
        "segment", "preferred_channel", "price_sensitivity", "product_interests", "category_spend", "satisfaction",
    ]

    /// The customer's current values, opened with the vault's own keys.
    private func values(_ id: String, in test: TestVault) async throws -> [String: FieldValue] {
        let (customer, records) = try await test.vault.storage.read { tx in (try tx.customer(id: id), try tx.records(customerID: id)) }
        let dek = try test.vault.keyring.dek(customerID: id, wrapped: Array(try #require(customer?.wrappedKey)))
        var values: [String: FieldValue] = [:]
        for record in records { values.merge(try RecordSealer.open(record, customerID: id, dek: dek)) { $1 } }
        return values
    }

    @Test("an expired value is gone from the database file and its write-ahead log; values still in retention stay, with their collection time")
    func expiredValuesLeaveTheFile() async throws {
        let test = try await TestVault.make(customers: 12)
        defer { test.remove() }
        let lapsed = test.customers[0]
        let refreshed = test.customers[1]
        let before = try await values(lapsed.id, in: test)
        let expiring = Set(before.keys).intersection(Self.twoYearFields)
        try #require(!expiring.isEmpty && before["name"] != nil)
        let oldRecords = try await test.vault.storage.read { tx in try tx.records(customerID: lapsed.id) }
        let oldBytes = oldRecords.filter { $0.kind != .purchases }.map { Array($0.ciphertext.suffix(48)) }
        try #require(oldBytes.count == 2, "both the characteristics (segment) and the responses record hold a two-year field")

        // A year on, support records a new channel for one customer: that record's values were collected again.
        test.clock.advance(by: 365 * Self.day)
        let support = try await test.principal("support")
        _ = try await test.vault.updateCustomer(refreshed.id, purpose: "service", set: ["preferred_channel": "post"], by: support)
        test.clock.advance(by: 367 * Self.day)

        let summary = try await test.vault.sweepRetention(by: .localOperator)
        #expect(summary.customers == 12)
        #expect(summary.valuesRemoved > 0)

        for suffix in ["", "-wal"] {
            let file = Array(FileManager.default.contents(atPath: test.databasePath + suffix) ?? Data())
            let lingering = oldBytes.filter { ErasureReachesBackupsTests.contains(file, $0) }.count
            #expect(lingering == 0, "a record sealed before the sweep remains in vault.sqlite\(suffix)")
        }
        let after = try await values(lapsed.id, in: test)
        #expect(Set(after.keys).isDisjoint(with: Self.twoYearFields))
        #expect(after["name"] == before["name"] && after["email"] == before["email"])
        let newRecords = try await test.vault.storage.read { tx in try tx.records(customerID: lapsed.id) }
        for record in newRecords {
            let old = try #require(oldRecords.first { $0.kind == record.kind })
            #expect(record.updatedAt == old.updatedAt, "the sweep must not renew the retention of the values it keeps")
        }

        let kept = try await values(refreshed.id, in: test)
        #expect(kept["preferred_channel"] == .string("post"))
        #expect(kept["segment"] == nil)

        let auditor = try await test.principal("auditor")
        let entries = try await test.vault.auditEntries(customer: lapsed.id, from: 0, limit: 1000, by: auditor).map(\.entry).filter {
            $0.op == "retention.sweep"
        }
        #expect(entries.count == 1)
        #expect(Set(entries.first?.fields ?? []) == expiring)
        #expect(entries.first?.details.isEmpty == true)

        let report = try await test.vault.auditReport(from: nil, to: nil, by: auditor)
        #expect(report.lastRetentionSweepValuesRemoved == summary.valuesRemoved)
        #expect(report.retentionValuesRemoved == summary.valuesRemoved)
        #expect(report.lastRetentionSweep.map { abs($0.timeIntervalSince(test.clock.now())) < 1 } == true)
    }

    @Test("a lookup field past its retention leaves its blind index, so it no longer finds the customer")
    func expiredLookupLeavesTheIndex() async throws {
        let policy = Vault.defaultPolicyText.replacingOccurrences(
            of: """
                    lookup: true
                    retention: P6Y
                    description: E-mail address
                """,
            with: """
                    lookup: true
                    retention: P1Y
                    description: E-mail address
                """
        )
        try #require(policy != Vault.defaultPolicyText)
        let test = try await TestVault.make(customers: 4, policyText: policy)
        defer { test.remove() }
        let target = test.customers[2]
        guard case .string(let email) = try #require(target.fields["email"]) else {
            Issue.record("no e-mail")
            return
        }
        let support = try await test.principal("support")
        #expect(try await test.vault.findCustomers(by: "email", value: email, purpose: "service", by: support).count == 1)
        test.clock.advance(by: 367 * Self.day)
        try await test.vault.sweepRetention(by: .localOperator)
        #expect(try await test.vault.findCustomers(by: "email", value: email, purpose: "service", by: support).isEmpty)
        #expect(try await values(target.id, in: test)["email"] == nil)
    }

    @Test("a second sweep finds nothing and rewrites nothing; the server's schedule sweeps once a day; other roles may not sweep")
    func sweepIsIdempotentAndScheduled() async throws {
        let test = try await TestVault.make(customers: 6)
        defer { test.remove() }
        #expect(try await test.vault.sweepRetentionIfDue()?.valuesRemoved == 0)
        #expect(try await test.vault.sweepRetentionIfDue() == nil)
        test.clock.advance(by: 731 * Self.day)
        let first = try #require(try await test.vault.sweepRetentionIfDue())
        #expect(first.valuesRemoved > 0)
        let records = try await test.vault.storage.read { tx in try tx.records(customerID: test.customers[0].id) }
        let again = try await test.vault.sweepRetention(by: .localOperator)
        #expect(again.valuesRemoved == 0 && again.customersChanged == 0)
        #expect(try await test.vault.storage.read { tx in try tx.records(customerID: test.customers[0].id) } == records)

        let support = try await test.principal("support")
        await #expect(throws: VaultError.self) { try await test.vault.sweepRetention(by: support) }
    }

    @Test(
        "a customer who loses a value gets a new key: ciphertext from before the sweep (a backup, an old row put back) no longer opens, and their contests stay readable"
    )
    func sweptCustomersGetANewKey() async throws {
        let test = try await TestVault.make(customers: 4)
        defer { test.remove() }
        let lapsed = test.customers[0]
        let customer = try await test.customerPrincipal(lapsed.id)
        _ = try await test.vault.openContest(field: "name", proposedValue: "Ada L.", reason: "typo", by: customer)
        let (oldCustomer, oldRecords) = try await test.vault.storage.read { tx in
            (try tx.customer(id: lapsed.id), try tx.records(customerID: lapsed.id))
        }
        test.clock.advance(by: 733 * Self.day)

        let summary = try await test.vault.sweepRetention(by: .localOperator)
        #expect(summary.customersChanged == 4 && summary.customersUnreadable == 0)
        let newCustomer = try await test.vault.storage.read { tx in try tx.customer(id: lapsed.id) }
        let newWrapped = try #require(newCustomer?.wrappedKey)
        #expect(newWrapped != oldCustomer?.wrappedKey)
        let dek = try test.vault.keyring.dek(customerID: lapsed.id, wrapped: Array(newWrapped))
        for record in oldRecords {
            #expect(throws: (any Error).self, "a \(record.kind) record sealed before the sweep still opens under the customer's key") {
                try RecordSealer.open(record, customerID: lapsed.id, dek: dek)
            }
        }
        let contests = try await test.vault.myContests(by: customer)
        #expect(contests.count == 1 && contests.first?.proposedValue == .string("Ada L."))
        #expect(try await values(lapsed.id, in: test)["name"] == lapsed.fields["name"])
    }

    @Test("one customer whose stored data fails its integrity check is left as it is and audited; the sweep goes on for everyone else and finishes")
    func damagedCustomerDoesNotStopTheSweep() async throws {
        let test = try await TestVault.make(customers: 6)
        defer { test.remove() }
        let damaged = test.customers[2].id
        try test.tamper("UPDATE record SET ciphertext = zeroblob(length(ciphertext)) WHERE customer_id = '\(damaged)' AND kind = 'responses'")
        test.clock.advance(by: 733 * Self.day)

        let summary = try await test.vault.sweepRetention(by: .localOperator)
        #expect(summary.customersUnreadable == 1)
        #expect(summary.customersChanged == 5)
        for other in test.customers.map(\.id) where other != damaged {
            #expect(Set(try await values(other, in: test).keys).isDisjoint(with: Self.twoYearFields), "\(other)")
        }
        let last = try await test.vault.storage.read { tx in try tx.lastRetentionSweep() }
        #expect(last?.valuesRemoved == summary.valuesRemoved, "the sweep recorded that it finished")
        let entries = try await test.vault.storage.read { tx in try tx.auditEntries(from: 0, limit: 10_000, customerID: damaged) }
        #expect(entries.contains { String(decoding: $0.leaf, as: UTF8.self).contains("integrity_failure") })
    }

    @Test("a last-sweep time in the future or unreadable in the database makes a sweep due instead of putting it off")
    func forgedLastSweepDoesNotPostpone() async throws {
        let test = try await TestVault.make(customers: 2)
        defer { test.remove() }
        try test.tamper(
            "INSERT INTO meta (key, value) VALUES ('retention_sweep', '99999999999999,0') ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        )
        #expect(try await test.vault.sweepRetentionIfDue() != nil)
        #expect(try await test.vault.sweepRetentionIfDue() == nil, "and the honest record it leaves puts the next one a day away")
        try test.tamper("UPDATE meta SET value = 'garbage' WHERE key = 'retention_sweep'")
        #expect(try await test.vault.sweepRetentionIfDue() != nil)
    }

    @Test("a write to a record does not carry a value already past its retention into the newly sealed record")
    func writesDoNotRenewExpiredValues() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        let id = test.customers[0].id
        let before = try await values(id, in: test)
        let lapsing = Set(before.keys).intersection(Self.twoYearFields)
        try #require(!lapsing.isEmpty)
        test.clock.advance(by: 733 * Self.day)
        // No sweep has run yet; support corrects the name, which lives in the same record as `segment`.
        let support = try await test.principal("support")
        _ = try await test.vault.updateCustomer(id, purpose: "service", set: ["name": "Ada Lovelace", "preferred_channel": "post"], by: support)
        let after = try await values(id, in: test)
        #expect(after["name"] == .string("Ada Lovelace") && after["preferred_channel"] == .string("post"))
        let renewed = Set(after.keys).intersection(lapsing).subtracting(["preferred_channel"])
        #expect(renewed.isEmpty, "expired values were sealed again with a new collection time: \(renewed.sorted())")
    }

    @Test("a collection time changed in the database fails the record's integrity check instead of moving its retention")
    func collectionTimeIsBound() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        let id = test.customers[0].id
        // Pushed into the future, the values would never expire; pulled into the past, a sweep would destroy live data.
        try test.tamper("UPDATE record SET updated_at = 253402300799000 WHERE customer_id = '\(id)' AND kind = 'responses'")
        try test.tamper("UPDATE record SET updated_at = 0 WHERE customer_id = '\(id)' AND kind = 'characteristics'")
        let records = try await test.vault.storage.read { tx in try tx.records(customerID: id) }
        let row = try await test.vault.storage.read { tx in try tx.customer(id: id) }
        let dek = try test.vault.keyring.dek(customerID: id, wrapped: Array(try #require(row?.wrappedKey)))
        for record in records where record.kind != .purchases {
            #expect(throws: VaultError.self) { try RecordSealer.open(record, customerID: id, dek: dek) }
        }
        let summary = try await test.vault.sweepRetention(by: .localOperator)
        #expect(summary.customersUnreadable == 1)
        // The customer's own read opens the record dated in the future, and refuses it.
        let customer = try await test.customerPrincipal(id)
        await #expect(throws: VaultError.self) { try await test.vault.myProfile(by: customer) }
    }

    @Test("records sealed before collection times were bound still open; every write seals them bound")
    func legacyRecordsOpen() throws {
        let dek = SymmetricKey(byteCount: 32, using: SystemRandom())
        let plaintext = ProfileCodec.encode(["name": .string("Ada")])
        let legacy = try AES.GCM.seal(
            plaintext,
            using: dek,
            authenticating: RecordSealer.associatedData(customerID: "c-1", kind: "characteristics", version: 3),
            random: SystemRandom()
        )
        let row = RecordRow(
            kind: .characteristics,
            version: 3,
            ciphertext: Data(legacy.combined),
            updatedAt: Date(timeIntervalSince1970: 1_700_000_000)
        )
        #expect(try RecordSealer.open(row, customerID: "c-1", dek: dek)["name"] == .string("Ada"))
        let sealed = try RecordSealer.seal(
            ["name": .string("Ada")],
            customerID: "c-1",
            kind: .characteristics,
            version: 4,
            collectedAt: Date(timeIntervalSince1970: 1_700_000_000.000_4),
            dek: dek,
            random: SystemRandom()
        )
        #expect(sealed.updatedAt == Date(timeIntervalSince1970: 1_700_000_000), "cut to whole milliseconds, as every backend keeps it")
        var moved = sealed
        moved.updatedAt = Date(timeIntervalSince1970: 1_700_000_001)
        #expect(throws: VaultError.self) { try RecordSealer.open(moved, customerID: "c-1", dek: dek) }
    }

    @Test(
        "a collection time beyond any clock fails the check instead of trapping; a row the store cannot read is skipped by the sweep like a damaged one",
        .enabled(if: onSQLite, "reads or edits the SQLite file itself")
    )
    func absurdRowsAreDamageNotCrashes() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        let (absurd, unreadable) = (test.customers[0].id, test.customers[1].id)
        try test.tamper("UPDATE record SET updated_at = 9223372036854775807 WHERE customer_id = '\(absurd)' AND kind = 'responses'")
        await #expect(throws: VaultError.self) { try await test.vault.myProfile(by: try await test.customerPrincipal(absurd)) }
        _ = try await test.vault.openContest(field: "name", proposedValue: "X", reason: "x", by: try await test.customerPrincipal(unreadable))
        try test.tamper("PRAGMA ignore_check_constraints = ON; UPDATE contest SET status = 'bogus' WHERE customer_id = '\(unreadable)'")
        test.clock.advance(by: 733 * Self.day)
        let summary = try await test.vault.sweepRetention(by: .localOperator)
        #expect(summary.customersUnreadable == 2)
        #expect(summary.customersChanged == 1)
    }
}
