import Foundation
import Testing
import VaultAnalytics
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultSQLite
import VaultStore

@testable import Vault

/// What someone holding a copy of the database file — and every key file the vault holds — can
/// decrypt: the review's drills against the erasure promise.
@Suite("Erasure reaches backups", .serialized)
struct ErasureReachesBackupsTests {
    static let day: TimeInterval = 86_400

    /// Every key the vault folder holds, tried against a database file as an attacker would.
    struct Attacker {
        let keks: [KeyEncryptionKey]

        /// Takes the root key file and the key store, and any KEK the database file itself carries
        /// under the root (as databases did before key epochs).
        init(vaultFolder: URL, database: String) async throws {
            let metadata = try VaultMetadata.load(from: vaultFolder)
            let hierarchy = try KeyHierarchy(
                root: try KeyFile.load(from: vaultFolder.appendingPathComponent("root.key").path),
                vaultID: metadata.vaultID
            )
            var keks = try EpochKeyStore(directory: vaultFolder).keys(vaultID: metadata.vaultID, hierarchy: hierarchy)
            let storage = try SQLiteStorage(path: database, durability: .normal)
            for row in try await storage.read({ tx in try tx.keks() }) where !row.wrapped.isEmpty {
                if let kek = try? hierarchy.unwrapKEK(Array(row.wrapped), version: row.version) { keks.append(kek) }
            }
            try storage.close()
            self.keks = keks
        }

        /// The customer's fields from `database`, or nil if no key opens them.
        func decrypt(_ id: String, in database: String) async throws -> [String: FieldValue]? {
            let storage = try SQLiteStorage(path: database, durability: .normal)
            defer { try? storage.close() }
            let (customer, records) = try await storage.read { tx in (try tx.customer(id: id), try tx.records(customerID: id)) }
            guard let wrapped = customer?.wrappedKey, let key = try? WrappedKey(serialized: wrapped) else { return nil }
            for kek in keks {
                guard let dek = try? kek.unwrap(key, customerID: id) else { continue }
                var values: [String: FieldValue] = [:]
                for record in records { values.merge(try RecordSealer.open(record, customerID: id, dek: dek)) { $1 } }
                return values
            }
            return nil
        }
    }

    private func backupFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-backups-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test(
        "a backup taken before an erasure cannot decrypt the customer once the epoch is rolled and destroyed; a backup after the roll decrypts everyone else"
    )
    func erasureReachesBackups() async throws {
        let test = try await TestVault.make(customers: 20)
        let backups = try backupFolder()
        defer {
            test.remove()
            try? FileManager.default.removeItem(at: backups)
        }
        let before = backups.appendingPathComponent("before.sqlite").path
        let taken = try await test.vault.backup(to: before, by: .localOperator)
        #expect(taken.keyEpochs == [1] && taken.logSize > 0)
        let victim = test.customers[3]
        // Right after the erasure the old backup still decrypts the customer: that is the bound.
        #expect(try await Attacker(vaultFolder: test.folder, database: before).decrypt(victim.id, in: before)?["name"] == victim.fields["name"])

        let receipt = try await test.vault.eraseMe(confirm: true, by: try await test.customerPrincipal(victim.id))
        let epochs = try await test.vault.keyStatus(by: .localOperator).epochs
        #expect(receipt.backupsUndecryptableFrom == Vault.defaultEpochPeriod.adding(to: epochs[0].createdAt))
        #expect(receipt.statement.contains(#""backups_undecryptable_from":"#) && receipt.statement.contains(#""key_epoch":1"#))
        #expect(try await !test.vault.rollKeyEpochIfDue(), "the epoch lives until its period ends")

        test.clock.advance(by: 31 * Self.day)
        #expect(test.clock.now() > receipt.backupsUndecryptableFrom)
        #expect(try await test.vault.rollKeyEpochIfDue())
        let after = backups.appendingPathComponent("after.sqlite").path
        _ = try await test.vault.backup(to: after, by: .localOperator)

        // With every key file the vault now holds, the old backup yields nothing — for this customer
        // and, its epoch being gone, for anyone.
        let attacker = try await Attacker(vaultFolder: test.folder, database: before)
        #expect(!attacker.keks.isEmpty)
        #expect(try await attacker.decrypt(victim.id, in: before) == nil)
        #expect(try await attacker.decrypt(test.customers[0].id, in: before) == nil)
        // The backup made after the roll decrypts every other customer with the same keys.
        let current = try await Attacker(vaultFolder: test.folder, database: after)
        for customer in test.customers where customer.id != victim.id {
            #expect(try await current.decrypt(customer.id, in: after)?["name"] == customer.fields["name"])
        }
        #expect(try await current.decrypt(victim.id, in: after) == nil)
        // And the epoch's key is not in the key store any more.
        let metadata = try VaultMetadata.load(from: test.folder)
        #expect(try EpochKeyStore(directory: test.folder).load(vaultID: metadata.vaultID)?.epochs.map(\.version) == [2])
    }

    @Test(
        "restoring a backup taken before an erasure does not bring the customer back, and records the rollback",
        .enabled(if: onSQLite, "restores into a database file")
    )
    func restoreDoesNotResurrect() async throws {
        let test = try await TestVault.make(customers: 15)
        let backups = try backupFolder()
        defer {
            test.remove()
            try? FileManager.default.removeItem(at: backups)
        }
        let before = backups.appendingPathComponent("before.sqlite").path
        let taken = try await test.vault.backup(to: before, by: .localOperator)
        let victim = test.customers[5]
        _ = try await test.vault.eraseMe(confirm: true, by: try await test.customerPrincipal(victim.id))
        let support = try await test.principal("support")
        _ = try await test.vault.readCustomer(test.customers[0].id, purpose: "service", by: support)
        // ε spent after the backup must not come back with it.
        let analyst = try await test.principal("analyst", name: "ana")
        _ = try await test.vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["region"], epsilon: 0.75), by: analyst)
        let signedBefore = try await test.vault.storage.read { tx in try tx.auditSize() }
        await Vault.settle()

        var options = VaultOptions(backends: [SQLiteBackend()])
        options.clock = test.clock
        // Not while the vault is open anywhere: an erasure could slip into the database set aside.
        await #expect { _ = try await Vault.restore(from: before, into: test.folder, confirm: true, options: options) } throws: {
            ($0 as? VaultError)?.code == .vaultInUse
        }
        try test.vault.close()
        await #expect { _ = try await Vault.restore(from: before, into: test.folder, confirm: false, options: options) } throws: {
            ($0 as? VaultError)?.code == .confirmationRequired
        }
        #expect(
            !FileManager.default.fileExists(atPath: test.databasePath + ".replaced-\(AuditTimestamp(test.clock.now()).rfc3339.filter(\.isNumber))")
        )
        let report = try await Vault.restore(from: before, into: test.folder, confirm: true, options: options)
        #expect(report.erasuresReapplied == 1 && report.customersUnreadable == 0)
        #expect(report.customersRestored == 14)
        #expect(report.backupLogSize == taken.logSize && report.previousLogSize == signedBefore)
        #expect(report.replacedDatabase.map { FileManager.default.fileExists(atPath: $0) } == true)

        let restored = try await test.reopen()
        #expect(restored.origin == report.origin && restored.origin.hasPrefix(test.vault.origin + "/restored-"))
        let newSupport = try await restored.authenticate(
            token: try await restored.issueToken(role: "support", customerID: nil, name: "s2", expiresIn: nil, by: .localOperator).secret
        )
        await #expect { _ = try await restored.readCustomer(victim.id, purpose: "service", by: newSupport) } throws: {
            ($0 as? VaultError)?.code == .customerErased
        }
        #expect(
            try await restored.readCustomer(test.customers[1].id, purpose: "service", fields: ["name"], by: newSupport).values["name"]
                == test.customers[1].fields["name"]
        )
        // The restore's entry is the new generation's first, and names what was restored.
        let auditor = try await restored.authenticate(
            token: try await restored.issueToken(role: "auditor", customerID: nil, name: "a", expiresIn: nil, by: .localOperator).secret
        )
        let entries = try await restored.auditEntries(customer: nil, from: taken.logSize, limit: 10, by: auditor)
        #expect(entries.first?.seq == taken.logSize && entries.first?.entry.op == "vault.restore")
        #expect(entries.first?.entry.details["backup_log_size"] == String(taken.logSize))
        #expect(entries.first?.entry.details["previous_log_size"] == String(signedBefore))
        #expect(entries.dropFirst().first?.entry.op == "customer.erase" && entries.dropFirst().first?.entry.reason == "erasure_reapplied")
        let verified = try await restored.verifyAudit(by: auditor)
        #expect(verified.ok, "\(verified.problems)")
        #expect(report.chargesCarriedOver == 1)
        let ana = try await restored.authenticate(
            token: try await restored.issueToken(role: "analyst", customerID: nil, name: "ana", expiresIn: nil, by: .localOperator).secret
        )
        #expect(try await restored.budgetStatus(by: ana).status.analystLifetimeSpent == Epsilon(micros: 750_000))
    }

    @Test("a backup whose key epochs were destroyed cannot be restored, and nothing changes", .enabled(if: onSQLite, "restores into a database file"))
    func restoreOfDeadBackupIsRefused() async throws {
        let test = try await TestVault.make(customers: 5)
        let backups = try backupFolder()
        defer {
            test.remove()
            try? FileManager.default.removeItem(at: backups)
        }
        let before = backups.appendingPathComponent("before.sqlite").path
        _ = try await test.vault.backup(to: before, by: .localOperator)
        try await test.vault.rollKeyEpoch(by: .localOperator)
        let size = try await test.vault.storage.read { tx in try tx.auditSize() }
        try test.vault.close()
        var options = VaultOptions(backends: [SQLiteBackend()])
        options.clock = test.clock
        await #expect { _ = try await Vault.restore(from: before, into: test.folder, confirm: true, options: options) } throws: { error in
            guard let error = error as? VaultError else { return false }
            return error.code == .backupUndecryptable && error.message.contains("nothing was changed")
        }
        let reopened = try await test.reopen()
        #expect(try await reopened.storage.read { tx in try tx.auditSize() } >= size)
    }

    @Test("an erasure leaves none of the customer's bytes in the database file or its write-ahead log")
    func erasedRowsDoNotLinger() async throws {
        let test = try await TestVault.make(customers: 10)
        defer { test.remove() }
        let victim = test.customers[2]
        let (customer, records) = try await test.vault.storage.read { tx in (try tx.customer(id: victim.id), try tx.records(customerID: victim.id)) }
        let secrets = [Array(try #require(customer?.wrappedKey))] + records.map { Array($0.ciphertext.prefix(48)) }
        _ = try await test.vault.eraseMe(confirm: true, by: try await test.customerPrincipal(victim.id))
        for suffix in ["", "-wal"] {
            let bytes = Array((FileManager.default.contents(atPath: test.databasePath + suffix)) ?? Data())
            for secret in secrets {
                #expect(!Self.contains(bytes, secret), "the erased customer's bytes remain in vault.sqlite\(suffix)")
            }
        }
        #expect(try await test.vault.storage.read { tx in try tx.records(customerID: victim.id) }.isEmpty)
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count, let first = needle.first else { return false }
        var index = 0
        while index + needle.count <= haystack.count {
            if haystack[index] == first, haystack[index..<index + needle.count].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    @Test("a running vault takes up an epoch another process rolled and destroyed")
    func peersFollowTheRoll() async throws {
        let test = try await TestVault.make(customers: 6)
        defer { test.remove() }
        let server = test.vault
        let cli = try await test.reopen()
        try await cli.rollKeyEpoch(by: .localOperator)
        #expect(try await server.refresh())
        #expect(server.keyring.versions == [2])
        let support = try await test.principal("support")
        #expect(
            try await server.readCustomer(test.customers[0].id, purpose: "service", fields: ["name"], by: support).values["name"]
                == test.customers[0].fields["name"]
        )
    }
}

/// Someone who can write only the database tries to make the vault shred its keys, or keep an
/// old epoch alive past the date receipts promise.
@Suite("Key epochs against a database-only attacker", .serialized)
struct KeyEpochTamperTests {
    static let day: TimeInterval = 86_400

    @Test("marking every epoch destroyed in the database shreds nothing")
    func forgedDestructionIsIgnored() async throws {
        let test = try await TestVault.make(customers: 5)
        defer { test.remove() }
        try test.tamper("UPDATE kek SET destroyed_at = 1")
        let reopened = try await test.reopen()
        let store = try String(contentsOfFile: test.folder.appendingPathComponent("epoch.keys").path, encoding: .utf8)
        #expect(store.contains("\"version\" : 1"))
        let support = try await test.principal("support")
        #expect(
            try await reopened.readCustomer(test.customers[0].id, purpose: "service", fields: ["name"], by: support).values["name"]
                == test.customers[0].fields["name"]
        )
    }

    @Test("a creation date pushed into the future in the database does not postpone the roll")
    func scheduleComesFromTheKeyStore() async throws {
        let test = try await TestVault.make(customers: 5)
        defer { test.remove() }
        try test.tamper("UPDATE kek SET created_at = 99999999999999")
        test.clock.advance(by: 31 * Self.day)
        let reopened = try await test.reopen()
        #expect(try await reopened.rollKeyEpochIfDue())
        #expect(try await reopened.keyStatus(by: .localOperator).versions == [2])
    }

    @Test("one damaged customer key does not hold the roll up: the old epoch is destroyed all the same")
    func damagedKeyDoesNotBlockTheRoll() async throws {
        let test = try await TestVault.make(customers: 6)
        defer { test.remove() }
        try test.tamper("UPDATE customer SET wrapped_dek = X'01000000010000' WHERE id = '\(test.customers[2].id)'")
        let reopened = try await test.reopen()
        let status = try await reopened.rollKeyEpoch(by: .localOperator)
        #expect(status.versions == [2] && status.epochs.first?.destroyedAt != nil)
        let support = try await test.principal("support")
        #expect(
            try await reopened.readCustomer(test.customers[1].id, purpose: "service", fields: ["name"], by: support).values["name"]
                == test.customers[1].fields["name"]
        )
    }

    @Test("two processes rolling at once end with one live epoch and every customer readable")
    func concurrentRolls() async throws {
        let test = try await TestVault.make(customers: 30)
        defer { test.remove() }
        let other = try await test.reopen()
        async let first = test.vault.rollKeyEpoch(by: .localOperator, batchSize: 7)
        async let second = other.rollKeyEpoch(by: .localOperator, batchSize: 5)
        _ = try await (first, second)
        _ = try await test.vault.refresh()
        let status = try await test.vault.keyStatus(by: .localOperator)
        #expect(status.versions.count == 1 && status.rotationInProgress == nil)
        let support = try await test.principal("support")
        for customer in test.customers {
            #expect(
                try await test.vault.readCustomer(customer.id, purpose: "service", fields: ["name"], by: support).values["name"]
                    == customer.fields["name"]
            )
        }
    }
}
