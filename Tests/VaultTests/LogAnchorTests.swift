import Foundation
import Testing
import VaultAudit
import VaultCrypto
import VaultSQLite
import VaultStore

@testable import Vault

/// The review's drills against the audit log by someone who can write the database file: none of
/// them may leave `audit verify` reporting success.
@Suite("Audit log anchored outside the database")
struct LogAnchorTests {
    private func vaultWithReads() async throws -> (TestVault, Principal) {
        let test = try await TestVault.make(customers: 12)
        let support = try await test.principal("support")
        for customer in test.customers.prefix(6) {
            _ = try await test.vault.readCustomer(customer.id, purpose: "service", fields: ["name"], by: support)
        }
        let auditor = try await test.principal("auditor")
        // The anchor is written in the background right after each commit.
        await Vault.settle()
        return (test, auditor)
    }

    private static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("every commit ends with a signed checkpoint over its last entry, read batches included")
    func checkpointPerCommit() async throws {
        let (test, _) = try await vaultWithReads()
        defer { test.remove() }
        let support = try await test.principal("support", name: "late")
        _ = try await test.vault.readCustomer(test.customers[8].id, purpose: "service", by: support)
        await Vault.settle()
        let (size, latest) = try await test.vault.storage.read { tx in (try tx.auditSize(), try tx.latestCheckpoint()) }
        #expect(latest?.size == size)
        let anchored = try SignedCheckpoint.parse(try #require(try test.vault.anchor.read()))
        #expect(anchored.checkpoint.size == size)
    }

    @Test("drill: dropping the newest entries is named, and their checkpoint says they existed")
    func droppedTail() async throws {
        let (test, auditor) = try await vaultWithReads()
        defer { test.remove() }
        let size = try await test.vault.storage.read { tx in try tx.auditSize() }
        let cut = size - 3
        // The reads at the end of the log, and every tree node that covers them, are gone.
        try test.tamper("DELETE FROM audit_entry WHERE seq >= \(cut); DELETE FROM audit_node WHERE (idx + 1) * (1 << level) > \(cut)")
        let report = try await test.vault.verifyAudit(by: auditor)
        #expect(!report.ok)
        #expect(report.firstBadSeq == cut)
        #expect(report.problems.contains("checkpoint at size \(size) covers entries the log no longer has (it has \(cut)): the log was truncated"))
        #expect(report.problems.contains { $0.contains("has \(cut) entries, but this vault signed a checkpoint at size \(size)") })
    }

    @Test(
        "drill: history rewritten, every node recomputed and the checkpoints deleted is named; the running vault will not sign it and a new process will not open it",
        .enabled(if: onSQLite, "reads or edits the SQLite file itself")
    )
    func rewrittenHistory() async throws {
        let (test, auditor) = try await vaultWithReads()
        defer { test.remove() }
        let support = try await test.principal("support", name: "after")
        let rows = try await test.vault.storage.read { tx in try tx.auditEntries(from: 0, limit: 100_000, customerID: nil) }
        let cut = rows.count - 6
        var sql = "DELETE FROM audit_node; DELETE FROM checkpoint; DELETE FROM audit_entry WHERE seq >= \(cut);"
        var range = MerkleCompactRange()
        for row in rows {
            var leaf = Array(row.leaf)
            if row.seq >= cut {
                // Hide which fields were read: same entries, empty field lists.
                let entry = try AuditEntry(leafBytes: leaf)
                leaf =
                    AuditEntry(
                        seq: entry.seq,
                        at: entry.at,
                        actor: entry.actor,
                        role: entry.role,
                        purpose: entry.purpose,
                        customer: entry.customer,
                        fields: [],
                        op: entry.op,
                        decision: entry.decision,
                        reason: entry.reason,
                        policy: entry.policy,
                        details: entry.details
                    ).leafBytes
                let customer = entry.customer.map { "'\($0)'" } ?? "NULL"
                sql += "INSERT INTO audit_entry (seq, leaf, customer_id, at) VALUES (\(row.seq), X'\(Self.hex(leaf))', \(customer), 0);"
            }
            range.append(leafHash: MerkleTree.leafHash(leaf)) { node in
                sql += "INSERT INTO audit_node (level, idx, hash) VALUES (\(node.level), \(node.index), X'\(Self.hex(node.hash.bytes))');"
            }
        }
        try test.tamper(sql)

        let report = try await test.vault.verifyAudit(by: auditor)
        #expect(!report.ok)
        #expect(report.firstBadSeq == 0, "no signature in the database covers anything any more")
        #expect(report.problems.contains { $0.contains("covered by no signed checkpoint") })
        #expect(report.problems.contains { $0.contains("does not extend the checkpoint this vault signed at size \(rows.count)") })

        // The running vault refuses to extend — and so to sign — the forged tree.
        await #expect { _ = try await test.vault.readCustomer(test.customers[1].id, purpose: "service", by: support) } throws: {
            ($0 as? VaultError)?.kind == .integrity
        }
        // A new process refuses to open it, and can still inspect it.
        await #expect { _ = try await test.reopen() } throws: { ($0 as? VaultError)?.code == .logRolledBack }
        var options = VaultOptions(backends: [SQLiteBackend()])
        options.inspectOnly = true
        options.clock = test.clock
        let inspector = try await Vault.open(at: test.folder, options: options)
        #expect(try await !inspector.verifyAudit(by: auditor).ok)
    }

    @Test(
        "drill: an older copy of the database put back under the vault is refused at open and named by audit verify",
        .enabled(if: onSQLite, "reads or edits the SQLite file itself")
    )
    func olderDatabaseRestoredByHand() async throws {
        let (test, auditor) = try await vaultWithReads()
        defer { test.remove() }
        let storage = try #require((test.vault.storage as? FacadeStorage)?.base as? SQLiteStorage)
        try storage.checkpointWAL()
        let old = test.folder.appendingPathComponent("old.sqlite")
        try FileManager.default.copyItem(atPath: test.databasePath, toPath: old.path)
        let oldSize = try await test.vault.storage.read { tx in try tx.auditSize() }
        let support = try await test.principal("support", name: "later")
        for customer in test.customers.suffix(3) {
            _ = try await test.vault.readCustomer(customer.id, purpose: "service", fields: ["email"], by: support)
        }
        let newSize = try await test.vault.storage.read { tx in try tx.auditSize() }
        await Vault.settle()
        try storage.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: test.databasePath + suffix) }
        try FileManager.default.copyItem(atPath: old.path, toPath: test.databasePath)

        await #expect { _ = try await test.reopen() } throws: { error in
            guard let error = error as? VaultError else { return false }
            return error.code == .logRolledBack && error.message.contains("cvault restore")
        }
        var options = VaultOptions(backends: [SQLiteBackend()])
        options.inspectOnly = true
        options.clock = test.clock
        let inspector = try await Vault.open(at: test.folder, options: options)
        let report = try await inspector.verifyAudit(by: auditor)
        #expect(!report.ok)
        #expect(report.problems.contains { $0.contains("has \(oldSize) entries, but this vault signed a checkpoint at size \(newSize)") })
    }

    @Test("deleted kept checkpoints are named even when the newest still covers the log")
    func deletedHistory() async throws {
        let test = try await TestVault.make(customers: 300)
        defer { test.remove() }
        let auditor = try await test.principal("auditor")
        let kept = try await test.vault.storage.read { tx in try tx.checkpoints().map(\.size) }
        #expect(kept.contains(256) && kept.allSatisfy { $0 % 256 == 0 || $0 == kept.last })
        try test.tamper("DELETE FROM checkpoint WHERE size = 256")
        let report = try await test.vault.verifyAudit(by: auditor)
        #expect(!report.ok && report.firstBadSeq == nil)
        #expect(report.problems.contains { $0.contains("kept checkpoint(s) are missing, the first at size 256") })
    }

    @Test("drill: a log generation added to the database by hand, to sign under a new name, is named")
    func forgedGeneration() async throws {
        let (test, auditor) = try await vaultWithReads()
        defer { test.remove() }
        let size = try await test.vault.storage.read { tx in try tx.auditSize() }
        try test.tamper("INSERT INTO log_generation (from_size, origin, created_at) VALUES (\(size), '\(test.vault.origin)/forged', 0)")
        let reopened = try await test.reopen()
        #expect(reopened.origin.hasSuffix("/forged"))
        let report = try await reopened.verifyAudit(by: auditor)
        #expect(!report.ok)
        #expect(report.problems.contains { $0.contains("/forged from size \(size) has no restore entry at its start") })
    }

    @Test("a vault without a witness says it is anchored only locally")
    func anchoredOnlyLocally() async throws {
        let (test, auditor) = try await vaultWithReads()
        defer { test.remove() }
        let report = try await test.vault.verifyAudit(by: auditor)
        #expect(report.ok && report.anchoredSize != nil)
        #expect(report.anchoring.contains("anchored only locally"))
    }
}
