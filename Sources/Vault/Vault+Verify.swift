import Foundation
import Logging
import VaultAudit
import VaultCrypto
import VaultFormat
import VaultPolicy
import VaultStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Vault {
    /// Recomputes every leaf hash and the tree from storage, compares the stored tree nodes,
    /// checks every stored checkpoint's signature and root, that the kept checkpoints are all there
    /// and the newest covers the newest entry, holds the log to the checkpoint kept outside the
    /// database, and — given a checkpoint someone kept — proves the log only grew since. Names the
    /// first sequence number that cannot be trusted.
    public func verifyAudit(since external: String? = nil, by principal: Principal) async throws -> VerificationReport {
        try requireOperation(.audit, principal)
        let generations = self.generations
        let publicKey = self.publicKey
        // The anchor first: it is written after each commit, so it is never ahead of a later snapshot.
        let anchored = try anchor.read()
        let anchorPath = anchor.path
        let witnesses = witnessClient.witnesses
        var report = try await storage.read { tx in
            try Self.verify(
                tx,
                generations: generations,
                publicKey: publicKey,
                external: external,
                anchor: (anchored, anchorPath),
                witnessKeys: witnesses.map(\.key)
            )
        }
        if witnesses.isEmpty {
            report.anchoring =
                "anchored only locally: no witness is configured, so someone who can replace both the database and \(anchorPath) could roll the log back unseen (add one with `cvault witness add`)"
        } else {
            try await askWitnesses(into: &report)
        }
        let entries = report.entries
        if report.ok {
            // Verification is itself an auditable act; it is only logged on a log that verified.
            try await record { tx, audit in
                try audit.append(
                    AuditDraft(
                        principal: principal,
                        op: .auditVerify,
                        decision: .allow,
                        reason: .allowedAudit,
                        details: ["entries": String(entries)]
                    )
                )
            }
        } else {
            logger.error("audit log verification failed", metadata: ["first_bad_seq": "\(report.firstBadSeq.map(String.init) ?? "-")"])
        }
        report.problems = Array(report.problems.prefix(20))
        return report
    }

    /// Holds the log to what the witnesses saw: each is asked to cosign the newest checkpoint, and
    /// one that has cosigned a larger tree, or refuses this one as inconsistent, fails the report.
    private func askWitnesses(into report: inout VerificationReport) async throws {
        guard let latest = try await storage.read({ tx in try tx.latestCheckpoint() }) else { return }
        let (_, statuses) = await witness(latest.note)
        report.witnesses = statuses
        // A commit made after the checkpoint was read can make a witness legitimately larger.
        let size = try await storage.read { tx in try tx.auditSize() }
        for status in statuses {
            switch status.state {
            case .cosigned:
                break
            case .ahead where (status.size ?? 0) > size:
                report.fail(
                    size,
                    "\(status.detail): the witness saw \(status.size ?? 0) entries, this log has \(size): it was rolled back or cut short"
                )
            case .ahead:
                break
            case .forked:
                report.fail(nil, "\(status.detail): the log's history was rewritten")
            case .unknownLog:
                // A log a witness was never told about is exactly what a rollback under a new
                // origin looks like; after a genuine restore the witness is told (`witness trust`).
                report.fail(
                    nil,
                    "\(status.detail): after a restore, have the witness trust the new origin; otherwise the log was forked under a new name"
                )
            case .unreachable:
                report.warnings.append(status.detail)
            }
        }
        let cosigned = statuses.filter { $0.state == .cosigned }
        report.anchoring =
            cosigned.isEmpty
            ? "no witness cosigned the newest checkpoint now (\(statuses.map(\.detail).joined(separator: "; ")))"
            : "witnessed: " + cosigned.map(\.detail).joined(separator: "; ")
    }

    /// The `seq` an audit leaf claims, read from its canonical bytes without parsing the entry:
    /// inside a JSON string every quote is escaped, so `"seq":` can only be the key itself.
    static func embeddedSeq(_ leaf: Data) -> UInt64? {
        leaf.withUnsafeBytes { bytes -> UInt64? in
            guard let found = offset(of: seqKey, in: bytes, from: 0) else { return nil }
            var value: UInt64 = 0
            var digits = 0
            for byte in bytes[(found + seqKey.count)...] {
                guard (0x30...0x39).contains(byte), digits < 19 else { break }
                value = value * 10 + UInt64(byte - 0x30)
                digits += 1
            }
            return digits > 0 ? value : nil
        }
    }

    /// Whether an audit leaf names the customer its row is filed under (or none when the row has
    /// none), again without parsing: as with `seq`, `"customer":` can only be the key itself.
    static func leaf(_ leaf: Data, namesCustomer customerID: String?) -> Bool {
        leaf.withUnsafeBytes { bytes -> Bool in
            guard let found = offset(of: customerKey, in: bytes, from: 0) else { return customerID == nil }
            let start = found + customerKey.count
            guard let customerID, offset(of: customerKey, in: bytes, from: start) == nil else { return false }
            let value = JSONValue.string(customerID).canonicalBytes
            let end = start + value.count
            return end < bytes.count && bytes[start..<end].elementsEqual(value)
                && (bytes[end] == UInt8(ascii: ",") || bytes[end] == UInt8(ascii: "}"))
        }
    }

    private static let seqKey = Array(#""seq":"#.utf8)
    private static let customerKey = Array(#""customer":"#.utf8)
    private static let modelTrainingOp = Array(#""op":"model.train""#.utf8)

    /// Whether `needle` occurs in `leaf` (a cheap test before parsing the rare entry that matters).
    static func contains(_ needle: [UInt8], in leaf: Data) -> Bool {
        leaf.withUnsafeBytes { offset(of: needle, in: $0, from: 0) != nil }
    }

    /// Where `needle` first occurs in `bytes` at or after `start`. `memchr` looks for the needle's
    /// rarest byte in audit JSON ('q' of seq, 'u' of customer, the '.' of an operation name; quotes are everywhere), so verifying
    /// a million leaves costs little beside hashing them.
    private static func offset(of needle: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let anchor =
            needle.firstIndex(of: UInt8(ascii: "q")) ?? needle.firstIndex(of: UInt8(ascii: "u"))
            ?? needle.firstIndex(of: UInt8(ascii: ".")) ?? 0
        return needle.withUnsafeBytes { key -> Int? in
            var position = start + anchor
            while position < bytes.count {
                guard let hit = memchr(base + position, Int32(needle[anchor]), bytes.count - position) else { return nil }
                let candidate = UnsafeRawPointer(hit) - base - anchor
                if candidate + needle.count <= bytes.count, memcmp(base + candidate, key.baseAddress!, needle.count) == 0 {
                    return candidate
                }
                position = candidate + anchor + 1
            }
            return nil
        }
    }

    static func verify(
        _ tx: any StorageReader,
        generations: [(fromSize: UInt64, origin: String)],
        publicKey: Ed25519.PublicKey,
        external: String?,
        anchor: (note: String?, path: String),
        witnessKeys: [NoteVerifierKey] = []
    ) throws -> VerificationReport {
        let origins = Set(generations.map(\.origin))
        // The newest cosignature each configured witness gave, as the database keeps it.
        let cosigned: [(key: NoteVerifierKey, checkpoint: SignedCheckpoint)] = try tx.witnessCosignatures().compactMap { row in
            guard let key = witnessKeys.first(where: { $0.description == row.witness }), let signed = try? SignedCheckpoint.parse(row.note) else {
                return nil
            }
            return (key, signed)
        }
        var report = VerificationReport(ok: true, entries: 0, root: "", checkpointsChecked: 0, firstBadSeq: nil, problems: [], sinceVerified: nil)
        func fail(_ seq: UInt64?, _ problem: String) { report.fail(seq, problem) }
        let anchored = anchor.note.flatMap { try? SignedCheckpoint.parse($0) }

        // Stored nodes, per level, as flat arrays (32 bytes each): compared as the tree is rebuilt.
        var stored: [[UInt8]] = []
        for level in 0..<64 {
            var flat: [UInt8] = []
            var expected: UInt64 = 0
            var gap: UInt64?
            try tx.forEachAuditNode(level: level, from: 0) { index, hash in
                if index != expected, gap == nil { gap = expected }
                expected = index + 1
                flat += hash
                return gap == nil
            }
            if let gap { fail(gap << UInt64(level), "the stored tree lacks node (\(level), \(gap)): nodes were deleted") }
            if flat.isEmpty { break }
            stored.append(flat)
        }

        let checkpoints = try tx.checkpoints()
        let wanted = Set(
            checkpoints.map(\.size) + (external.flatMap { try? SignedCheckpoint.parse($0).checkpoint.size }.map { [$0] } ?? [])
                + (anchored.map { [$0.checkpoint.size] } ?? []) + cosigned.map(\.checkpoint.checkpoint.size)
        )
        var roots: [UInt64: SHA256Digest] = [0: MerkleTree.emptyRoot]
        var range = MerkleCompactRange()
        var expected: UInt64 = 0
        var trainings: [(seq: UInt64, version: String, sha256: String)] = []
        try tx.forEachAuditEntry(from: 0) { row in
            guard row.seq == expected else {
                fail(expected, "entry \(expected) is missing (the next stored entry is \(row.seq)): entries were deleted")
                return false
            }
            // Stored nodes are as writable as entries, so the row's own columns are checked against
            // its bytes too: a leaf moved to another position, or a customer column cleared to hide
            // an entry from that customer's log, is named even where the nodes were rewritten to
            // match and no signed checkpoint covers the entry yet.
            guard let claimed = Self.embeddedSeq(row.leaf), claimed == row.seq else {
                fail(
                    row.seq,
                    Self.embeddedSeq(row.leaf).map { "entry \(row.seq) holds the bytes of entry \($0): entries were reordered or swapped" }
                        ?? "entry \(row.seq) is not an audit entry: it was edited"
                )
                return false
            }
            guard Self.leaf(row.leaf, namesCustomer: row.customerID) else {
                fail(row.seq, "entry \(row.seq) is filed under another customer than its bytes name: it was moved or hidden from a customer's log")
                return false
            }
            // The leaf's hash against the node stored when it was written finds an edit exactly;
            // parsing every leaf would cost ten times the hashing.
            var mismatch: MerkleNode?
            range.append(leafHash: MerkleTree.leafHash(row.leaf)) { node in
                guard mismatch == nil else { return }
                let start = Int(node.index) * 32
                guard node.level < stored.count, start + 32 <= stored[node.level].count,
                    stored[node.level][start..<start + 32].elementsEqual(node.hash.bytes)
                else {
                    mismatch = node
                    return
                }
            }
            if let node = mismatch {
                if node.level == 0 {
                    fail(row.seq, "entry \(row.seq) does not match the leaf hash stored when it was written: it was edited")
                } else {
                    fail(
                        node.firstLeaf,
                        "the stored tree node (\(node.level), \(node.index)) does not match entries \(node.firstLeaf)…\(row.seq): they were changed"
                    )
                }
                return false
            }
            if Self.contains(Self.modelTrainingOp, in: row.leaf), let entry = try? AuditEntry(leafBytes: Array(row.leaf)),
                entry.operation == .modelTrain, entry.decision == .allow
            {
                trainings.append((row.seq, entry.details["model_version"] ?? "", entry.details["model_sha256"] ?? ""))
            }
            expected += 1
            if wanted.contains(range.size) { roots[range.size] = range.root }
            return true
        }
        report.entries = expected
        report.root = Data(range.root.bytes).base64EncodedString()
        let stillTrusted = report.ok

        // Checkpoints: each must be signed by this vault and match the recomputed root at its size,
        // which also makes every two of them consistent (both are prefixes of the one tree).
        var lastGood: UInt64 = 0
        var previousAt: Date?
        for row in checkpoints {
            report.checkpointsChecked += 1
            guard let signed = try? SignedCheckpoint.parse(row.note), signed.checkpoint.origin == origin(forSize: row.size, in: generations),
                (try? signed.verify(publicKey: publicKey, keyName: signed.checkpoint.origin)) != nil, signed.checkpoint.size == row.size
            else {
                fail(lastGood, "checkpoint at size \(row.size) does not carry a valid signature of this vault")
                continue
            }
            if let previousAt, row.at < previousAt {
                fail(nil, "checkpoint at size \(row.size) is dated before the one below it: checkpoint rows were edited or reordered")
            }
            previousAt = row.at
            guard row.size <= expected || !stillTrusted else {
                fail(expected, "checkpoint at size \(row.size) covers entries the log no longer has (it has \(expected)): the log was truncated")
                continue
            }
            if let root = roots[row.size] {
                if root != signed.checkpoint.rootHash {
                    fail(
                        lastGood,
                        "checkpoint at size \(row.size) does not match the recomputed tree: entries from \(lastGood) to \(row.size - 1) were changed"
                    )
                } else {
                    lastGood = row.size
                }
            }
        }
        if stillTrusted {
            // Every commit ends with a signed checkpoint, so the newest must cover the newest entry.
            let newest = checkpoints.last?.size ?? 0
            if newest < expected {
                fail(
                    newest,
                    "entries \(newest)…\(expected - 1) are covered by no signed checkpoint (the newest is at size \(newest)): checkpoint rows were deleted, or entries were added without the vault"
                )
            }
            // The kept history is dense: a missing one was deleted.
            let historyFrom = try tx.checkpointHistoryStart()
            let stored = Set(checkpoints.map(\.size))
            let interval = checkpointHistoryInterval
            var size = max(interval, (historyFrom + interval - 1) / interval * interval)
            var missing: [UInt64] = []
            while size <= min(expected, newest) {
                if !stored.contains(size) { missing.append(size) }
                size += interval
            }
            if let first = missing.first {
                fail(nil, "\(missing.count) kept checkpoint(s) are missing, the first at size \(first): checkpoint rows were deleted")
            }
        }
        // A generation starts only where a signed restore entry says so, naming its origin.
        for generation in try tx.logGenerations() {
            guard let row = try tx.auditEntries(from: generation.fromSize, limit: 1, customerID: nil).first, row.seq == generation.fromSize,
                let entry = try? AuditEntry(leafBytes: Array(row.leaf)), entry.operation == .vaultRestore,
                entry.details["origin"] == generation.origin
            else {
                fail(
                    nil,
                    "the log generation \(generation.origin) from size \(generation.fromSize) has no restore entry at its start: it was added to the database by hand"
                )
                continue
            }
        }
        // Next-best-product models: exactly the trainings the log records, each with its hash — a
        // model deleted (rolling back to an older one), added or altered in the database is named.
        let models = try tx.recommendationModels()
        for training in trainings where training.seq < expected {
            guard let row = models.first(where: { String($0.version) == training.version }), row.auditSeq == training.seq,
                SHA256.hash(data: Array(row.body)).hex == training.sha256
            else {
                fail(
                    nil,
                    "next-best-product model version \(training.version), trained at entry \(training.seq), is missing or altered in the database"
                )
                continue
            }
        }
        for row in models where !trainings.contains(where: { $0.seq == row.auditSeq && $0.version == String(row.version) }) {
            fail(nil, "next-best-product model version \(row.version) has no training entry in the log: it was added to the database by hand")
        }
        // What witnesses cosigned, as kept: the log must extend it too.
        for (key, signed) in cosigned {
            let size = signed.checkpoint.size
            guard (try? signed.verify(publicKey: publicKey, keyName: signed.checkpoint.origin)) != nil, origins.contains(signed.checkpoint.origin),
                signed.cosignatureTime(by: key) != nil
            else {
                fail(nil, "the checkpoint kept as cosigned by \(key.name) does not carry valid signatures: it was edited")
                continue
            }
            if size > expected {
                fail(expected, "\(key.name) cosigned a tree of \(size) entries, but the log has \(expected): it was rolled back or cut short")
            } else if let root = roots[size], root != signed.checkpoint.rootHash {
                fail(nil, "the log does not extend the tree of \(size) entries \(key.name) cosigned: its history was rewritten")
            }
        }
        // The checkpoint kept outside the database: the log must extend it.
        if anchor.note != nil {
            if let anchored, origins.contains(anchored.checkpoint.origin),
                (try? anchored.verify(publicKey: publicKey, keyName: anchored.checkpoint.origin)) != nil
            {
                let size = anchored.checkpoint.size
                if size > expected {
                    fail(expected, AnchorState.behind(anchored: size, log: expected).problem(path: anchor.path)!)
                } else if let root = roots[size], root != anchored.checkpoint.rootHash {
                    fail(nil, AnchorState.rewritten(anchored: size).problem(path: anchor.path)!)
                } else {
                    report.anchoredSize = size
                }
            } else {
                fail(nil, AnchorState.invalid.problem(path: anchor.path)!)
            }
        } else {
            report.warnings.append("no checkpoint is kept outside the database yet (\(anchor.path)): the next commit writes one")
        }

        if let external {
            do {
                let signed = try SignedCheckpoint.parse(external)
                try signed.verify(publicKey: publicKey, keyName: signed.checkpoint.origin)
                guard origins.contains(signed.checkpoint.origin) else {
                    report.sinceVerified = false
                    fail(nil, "the given checkpoint belongs to another log (\(signed.checkpoint.origin))")
                    return report
                }
                guard signed.checkpoint.size <= expected, let root = roots[signed.checkpoint.size] else {
                    report.sinceVerified = false
                    fail(
                        min(expected, signed.checkpoint.size),
                        "the given checkpoint has size \(signed.checkpoint.size) but the log has \(expected) trusted entries: it was truncated"
                    )
                    return report
                }
                report.sinceVerified = root == signed.checkpoint.rootHash
                if report.sinceVerified == false {
                    fail(0, "the log is not an extension of the given checkpoint (size \(signed.checkpoint.size)): history was rewritten")
                }
            } catch {
                report.sinceVerified = false
                report.ok = false
                report.problems.append("the given checkpoint is malformed or not signed by this vault")
            }
        }
        return report
    }
}
