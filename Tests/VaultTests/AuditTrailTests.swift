import Foundation
import Testing
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultStore

@testable import Vault

@Suite("Audit trail, proofs and tamper drills")
struct AuditTrailTests {
    /// A vault with some history: imports, reads, consent changes.
    private func vaultWithHistory() async throws -> (TestVault, Principal) {
        let test = try await TestVault.make(customers: 12)
        let support = try await test.principal("support")
        for customer in test.customers.prefix(6) {
            _ = try await test.vault.readCustomer(customer.id, purpose: "service", fields: ["name"], by: support)
        }
        let auditor = try await test.principal("auditor")
        return (test, auditor)
    }

    @Test("an untouched log verifies, and keeps verifying as it grows past a kept checkpoint")
    func verifiesAndGrows() async throws {
        let (test, auditor) = try await vaultWithHistory()
        defer { test.remove() }
        let kept = try await test.vault.checkpoint()
        let report = try await test.vault.verifyAudit(by: auditor)
        #expect(report.ok && report.problems.isEmpty && report.firstBadSeq == nil)
        #expect(report.checkpointsChecked > 0)
        let support = try await test.principal("support", name: "later")
        _ = try await test.vault.readCustomer(test.customers[7].id, purpose: "service", by: support)
        let grown = try await test.vault.verifyAudit(since: kept, by: auditor)
        #expect(grown.ok && grown.sinceVerified == true)
        #expect(grown.entries > report.entries)
    }

    private func expectBad(_ test: TestVault, _ auditor: Principal, at seq: UInt64, _ comment: Comment) async throws {
        let report = try await test.vault.verifyAudit(by: auditor)
        #expect(!report.ok, comment)
        #expect(report.firstBadSeq == seq, comment)
        #expect(!report.problems.isEmpty)
    }

    @Test("drill: an edited leaf is named", .enabled(if: onSQLite, "reads or edits the SQLite file itself"))
    func editedLeaf() async throws {
        let (test, auditor) = try await vaultWithHistory()
        defer { test.remove() }
        try test.tamper(#"UPDATE audit_entry SET leaf = CAST(replace(CAST(leaf AS TEXT), '"allow"', '"deny"') AS BLOB) WHERE seq = 5"#)
        try await expectBad(test, auditor, at: 5, "edited leaf")
    }

    @Test("drill: a deleted row is named")
    func deletedRow() async throws {
        let (test, auditor) = try await vaultWithHistory()
        defer { test.remove() }
        try test.tamper("DELETE FROM audit_entry WHERE seq = 9")
        try await expectBad(test, auditor, at: 9, "deleted row")
    }

    @Test("drill: two swapped rows are named at the first")
    func swappedRows() async throws {
        let (test, auditor) = try await vaultWithHistory()
        defer { test.remove() }
        try test.tamper(
            """
            UPDATE audit_entry SET seq = -1 WHERE seq = 4;
            UPDATE audit_entry SET seq = 4 WHERE seq = 11;
            UPDATE audit_entry SET seq = 11 WHERE seq = -1;
            """.replacingOccurrences(of: "seq = -1", with: "seq = 1000000")
        )
        try await expectBad(test, auditor, at: 4, "swapped rows")
    }

    @Test("drill: an entry hidden from its customer's log (customer column cleared) is named")
    func hiddenFromCustomer() async throws {
        let (test, auditor) = try await vaultWithHistory()
        defer { test.remove() }
        let target = try await test.vault.storage.read { tx in
            try tx.auditEntries(from: 0, limit: 100_000, customerID: test.customers[2].id).last!.seq
        }
        try test.tamper("UPDATE audit_entry SET customer_id = NULL WHERE seq = \(target)")
        try await expectBad(test, auditor, at: target, "customer column cleared")
    }

    @Test("drill: two unsigned tail entries swapped, with every node recomputed to match, are named")
    func swappedTailWithNodesRewritten() async throws {
        let (test, auditor) = try await vaultWithHistory()
        defer { test.remove() }
        var rows = try await test.vault.storage.read { tx in try tx.auditEntries(from: 0, limit: 100_000, customerID: nil) }
        let last = rows.count - 1
        // Move the bytes (and customer columns) only; the sequence numbers stay where they were.
        (rows[last - 1].leaf, rows[last].leaf) = (rows[last].leaf, rows[last - 1].leaf)
        (rows[last - 1].customerID, rows[last].customerID) = (rows[last].customerID, rows[last - 1].customerID)
        var sql = "DELETE FROM audit_node;"
        for row in rows[(last - 1)...] {
            let customer = row.customerID.map { "'\($0)'" } ?? "NULL"
            sql += "UPDATE audit_entry SET leaf = X'\(hex(Array(row.leaf)))', customer_id = \(customer) WHERE seq = \(row.seq);"
        }
        var range = MerkleCompactRange()
        for row in rows {
            range.append(leafHash: MerkleTree.leafHash(Array(row.leaf))) { node in
                sql += "INSERT INTO audit_node (level, idx, hash) VALUES (\(node.level), \(node.index), X'\(hex(node.hash.bytes))');"
            }
        }
        try test.tamper(sql)
        let report = try await test.vault.verifyAudit(by: auditor)
        #expect(!report.ok)
        #expect(report.problems.contains("entry \(last - 1) holds the bytes of entry \(last): entries were reordered or swapped"))
    }

    @Test("drill: truncating the log and appending forged entries is named at the first forged entry")
    func truncateAndReappend() async throws {
        let (test, auditor) = try await vaultWithHistory()
        defer { test.remove() }
        let size = try await test.vault.storage.read { tx in try tx.auditSize() }
        let cut: UInt64 = 10
        var sql = "DELETE FROM audit_entry WHERE seq >= \(cut);"
        for seq in cut..<size {
            let forged = AuditEntry(
                seq: seq,
                at: AuditTimestamp(test.clock.now()),
                actor: "operator:local",
                role: "operator",
                purpose: nil,
                customer: nil,
                fields: [],
                op: "vault.noop",
                decision: .allow,
                reason: "operator",
                policy: String(repeating: "0", count: 64),
                details: [:]
            )
            sql +=
                "INSERT INTO audit_entry (seq, leaf, customer_id, at) VALUES (\(seq), X'\(forged.leafBytes.map { String(format: "%02x", $0) }.joined())', NULL, 0);"
        }
        try test.tamper(sql)
        try await expectBad(test, auditor, at: cut, "truncate and re-append")
    }

    @Test("drill: truncation after a checkpoint someone kept is caught")
    func truncationAgainstKeptCheckpoint() async throws {
        let (test, auditor) = try await vaultWithHistory()
        defer { test.remove() }
        let kept = try await test.vault.checkpoint()
        let size = try SignedCheckpoint.parse(kept).checkpoint.size
        try test.tamper(
            "DELETE FROM audit_entry WHERE seq >= \(size - 3); DELETE FROM checkpoint WHERE size > \(size - 3); DELETE FROM audit_node WHERE (idx + 1) * (1 << level) > \(size - 3)"
        )
        let report = try await test.vault.verifyAudit(since: kept, by: auditor)
        #expect(!report.ok)
        #expect(report.sinceVerified == false)
        // With the tail's checkpoints gone, no signature in the database covers what is left.
        #expect(report.firstBadSeq! <= size - 3)
        #expect(report.problems.contains { $0.contains("rolled back or cut short") })
    }

    @Test("a perfect rewrite of the tail (nodes recomputed) is caught by the signed checkpoints")
    func perfectTailRewrite() async throws {
        let (test, auditor) = try await vaultWithHistory()
        defer { test.remove() }
        let checkpoints = try await test.vault.storage.read { tx in try tx.checkpoints().map(\.size) }
        let size = try await test.vault.storage.read { tx in try tx.auditSize() }
        // Rewrite entry `cut` and everything after it with a consistent tree, as an attacker with the file could.
        let cut = size - 4
        var store = MerkleNodeStore()
        var leaves = try await test.vault.storage.read { tx in try tx.auditEntries(from: 0, limit: 100_000, customerID: nil).map { Array($0.leaf) } }
        var sql = "DELETE FROM audit_node; DELETE FROM audit_entry WHERE seq >= \(cut);"
        for seq in Int(cut)..<leaves.count {
            var entry = try AuditEntry(leafBytes: leaves[seq])
            entry = AuditEntry(
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
            )
            leaves[seq] = entry.leafBytes
            let customer = entry.customer.map { "'\($0)'" } ?? "NULL"
            sql += "INSERT INTO audit_entry (seq, leaf, customer_id, at) VALUES (\(seq), X'\(hex(leaves[seq]))', \(customer), 0);"
        }
        var range = MerkleCompactRange()
        for leaf in leaves {
            range.append(leafHash: MerkleTree.leafHash(leaf)) { node in
                sql += "INSERT INTO audit_node (level, idx, hash) VALUES (\(node.level), \(node.index), X'\(hex(node.hash.bytes))');"
            }
            store.append(leafHash: MerkleTree.leafHash(leaf))
        }
        try test.tamper(sql)
        let report = try await test.vault.verifyAudit(by: auditor)
        #expect(!report.ok)
        let lastGood = checkpoints.filter { $0 <= cut }.max() ?? 0
        #expect(report.firstBadSeq == lastGood, "the first entry not covered by a checkpoint that still verifies")
        #expect(report.firstBadSeq! <= cut)
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("a checkpoint verifies with the printed public key using only the C2SP note format")
    func checkpointByHand() async throws {
        let (test, _) = try await vaultWithHistory()
        defer { test.remove() }
        let note = try await test.vault.checkpoint()
        let publicKey = Data(base64Encoded: test.vault.verifierKey.publicKeyBase64)!
        let parts = note.components(separatedBy: "\n\n")
        #expect(parts.count == 2)
        let body = parts[0] + "\n"
        let lines = body.split(separator: "\n")
        #expect(lines.count == 3 && lines[0] == test.vault.origin)
        let signatureLine = parts[1].trimmingCharacters(in: .newlines)
        #expect(signatureLine.hasPrefix("\u{2014} \(test.vault.origin) "))
        let blob = Data(base64Encoded: String(signatureLine.split(separator: " ").last!))!
        #expect(blob.count == 4 + 64)
        let keyID = SHA256.hash(data: Array(test.vault.origin.utf8) + [0x0a, 0x01] + Array(publicKey)).bytes.prefix(4)
        #expect(Array(blob.prefix(4)) == Array(keyID))
        let key = try Ed25519.PublicKey(rawRepresentation: publicKey)
        #expect(key.isValidSignature(Array(blob.dropFirst(4)), for: Array(body.utf8)))
        var forged = Array(body.utf8)
        forged[forged.count - 2] ^= 1
        #expect(!key.isValidSignature(Array(blob.dropFirst(4)), for: forged))
    }

    @Test("a customer's access log proves every entry against the signed checkpoint")
    func customerLog() async throws {
        let (test, _) = try await vaultWithHistory()
        defer { test.remove() }
        let id = test.customers[0].id
        let customer = try await test.customerPrincipal(id)
        let log = try await test.vault.myLog(by: customer)
        #expect(log.allVerified)
        #expect(log.entries.map(\.entry.op).contains("customer.read"))
        #expect(log.entries.allSatisfy { $0.entry.customer == id })
        // The customer cannot list another customer's entries.
        let others = try await test.vault.auditEntries(customer: test.customers[1].id, from: 0, limit: 100, by: customer)
        #expect(others.allSatisfy { $0.entry.customer == id })
    }

    @Test("inclusion and consistency proofs from storage verify")
    func proofs() async throws {
        let (test, auditor) = try await vaultWithHistory()
        defer { test.remove() }
        let proof = try await test.vault.inclusionProof(entry: 3, size: nil, by: auditor)
        #expect(proof.verified)
        let consistency = try await test.vault.consistencyProof(from: 5, to: nil, by: auditor)
        #expect(consistency.verified)
        await #expect(throws: VaultError.self) { _ = try await test.vault.consistencyProof(from: 0, to: nil, by: auditor) }
        let support = try await test.principal("support")
        await #expect(throws: VaultError.self) { _ = try await test.vault.verifyAudit(by: support) }
    }

    @Test("the compliance report sees no read without consent, the contests and the erasures")
    func report() async throws {
        let (test, auditor) = try await vaultWithHistory()
        defer { test.remove() }
        let id = test.customers[2].id
        let customer = try await test.customerPrincipal(id)
        let marketing = try await test.principal("marketing")
        try await test.vault.setMyConsent(purpose: "marketing", to: .granted, by: customer)
        _ = try await test.vault.readCustomer(id, purpose: "marketing", fields: ["email"], by: marketing)
        try await test.vault.setMyConsent(purpose: "marketing", to: .withdrawn, by: customer)
        _ = try await test.vault.readCustomer(id, purpose: "marketing", fields: ["email"], by: marketing)
        _ = try await test.vault.openContest(field: "phone", proposedValue: "+44 7700 100200", reason: "wrong number", by: customer)
        test.clock.advance(by: 31 * 86_400)
        _ = try await test.vault.eraseMe(confirm: true, by: try await test.customerPrincipal(test.customers[3].id))
        let report = try await test.vault.auditReport(from: nil, to: nil, by: auditor)
        #expect(report.readsWithoutConsent.isEmpty)
        #expect(report.consentChanges == 2)
        #expect(report.erasures == 1)
        #expect(report.openContests == 1 && report.overdueContests.count == 1)
        #expect((report.byPurpose["marketing"]?["deny"] ?? 0) >= 1)
        #expect((report.byPurpose["marketing"]?["allow"] ?? 0) >= 1)
        #expect(report.policies.count == 1)
    }
}
