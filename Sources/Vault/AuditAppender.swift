import Foundation
import Synchronization
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultStore

/// What a use case says about one operation; the appender adds time, sequence and policy hash.
struct AuditDraft: Sendable {
    var actor: String
    var role: String
    var purpose: String?
    var customer: String?
    var fields: [String]
    var op: String
    var decision: AuditEntry.Decision
    var reason: String
    var details: [String: String]

    init(principal: Principal, purpose: String? = nil, customer: String? = nil, fields: [String] = [], op: String,
         decision: AuditEntry.Decision, reason: String, details: [String: String] = [:]) {
        self.actor = principal.actor
        self.role = principal.role
        self.purpose = purpose
        self.customer = customer
        self.fields = fields.sorted()
        self.op = op
        self.decision = decision
        self.reason = reason
        self.details = details
    }
}

/// Appends audit entries inside a write transaction, maintaining the Merkle tree's stored
/// perfect-subtree nodes, and signs checkpoints.
struct AuditAppender {
    private let tx: any StorageWriter
    private var range: MerkleCompactRange
    private let policyHash: String
    private let now: Date
    private(set) var appended: [UInt64] = []
    /// Size of the checkpoint signed in this transaction, if any.
    private(set) var checkpointedSize: UInt64?

    /// Starts at the log's current size, reusing `frontier` when it is at that size (the log only
    /// grows, so equal sizes mean nobody appended since) instead of reading O(log n) nodes.
    init(tx: any StorageWriter, policyHash: String, now: Date, frontier: MerkleCompactRange? = nil) throws {
        self.tx = tx
        self.policyHash = policyHash
        self.now = now
        let size = try tx.auditSize()
        if let frontier, frontier.size == size {
            self.range = frontier
        } else {
            self.range = try MerkleCompactRange(size: size, nodes: StoredNodes(reader: tx))
        }
    }

    /// The tree's right edge after this transaction's appends.
    var frontier: MerkleCompactRange { range }

    var size: UInt64 { range.size }
    var root: SHA256Digest { range.root }

    /// Appends one entry and returns its sequence number.
    @discardableResult
    mutating func append(_ draft: AuditDraft) throws -> UInt64 {
        let seq = range.size
        let entry = AuditEntry(seq: seq, at: AuditTimestamp(now), actor: draft.actor, role: draft.role, purpose: draft.purpose,
                               customer: draft.customer, fields: draft.fields, op: draft.op, decision: draft.decision,
                               reason: draft.reason, policy: policyHash, details: draft.details)
        let leaf = entry.leafBytes
        try tx.appendAuditEntry(AuditRow(seq: seq, leaf: Data(leaf), customerID: draft.customer), at: now)
        var nodes: [(level: Int, index: UInt64, hash: Data)] = []
        range.append(leafHash: MerkleTree.leafHash(leaf)) { node in
            nodes.append((node.level, node.index, Data(node.hash.bytes)))
        }
        try tx.putAuditNodes(nodes)
        appended.append(seq)
        return seq
    }

    /// Appends a denial and throws `error` so that the transaction commits the denial's entry —
    /// and nothing else the body must not have written before it — then reports the refusal.
    mutating func refuse(_ draft: AuditDraft, _ error: VaultError) throws -> Never {
        var draft = draft
        draft.decision = .deny
        try append(draft)
        // `inout` appenders are written back when this throws, so the transaction sees the entry.
        throw AuditedRefusal(error: error)
    }

    /// Signs and stores a checkpoint at the current size.
    mutating func checkpoint(origin: String, signingKey: Ed25519.PrivateKey) throws -> CheckpointRow {
        let checkpoint = try Checkpoint(origin: origin, size: range.size, rootHash: range.root)
        let note = try checkpoint.sign(with: signingKey, keyName: origin)
        let row = CheckpointRow(size: range.size, root: Data(range.root.bytes), note: note.text, at: now)
        try tx.insertCheckpoint(row)
        checkpointedSize = range.size
        return row
    }
}

/// Lets VaultAudit read the stored perfect-subtree hashes.
struct StoredNodes: MerkleNodeReader {
    let reader: any StorageReader

    func node(level: Int, index: UInt64) throws -> SHA256Digest {
        guard let data = try reader.auditNode(level: level, index: index), let digest = SHA256Digest(bytes: Array(data)) else {
            throw VaultError.integrity("the audit tree lacks node (\(level), \(index)); run `cvault audit verify`")
        }
        return digest
    }
}

extension Vault {
    /// Runs a mutating use case: one write transaction holding the change, its audit entries and
    /// a freshly signed checkpoint.
    @discardableResult
    func mutate<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter, inout AuditAppender) throws -> T) async throws -> T {
        try await transaction(signCheckpoint: true, changesData: true, body)
    }

    /// Runs a use case that only reads customer data but must log it: the audit entries commit
    /// before the data is returned. Concurrent reads share one write transaction (group commit,
    /// see `ReadBatcher`); checkpoints are signed every `checkpointInterval` entries.
    func logged<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter, inout AuditAppender) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            readBatcher.submit(ReadBatcher.Job(
                run: { tx, audit in
                    do {
                        let value = try body(tx, &audit)
                        return { continuation.resume(returning: value) }
                    } catch let refusal as AuditedRefusal {
                        return { continuation.resume(throwing: refusal.error) }
                    } catch let error as VaultError {
                        // The read failed on its own; entries it appended describe what happened.
                        return { continuation.resume(throwing: error) }
                    }
                },
                fail: { continuation.resume(throwing: $0) }
            ), vault: self)
        }
    }

    /// Runs one batch of reads in a single write transaction.
    func runBatch(_ jobs: [ReadBatcher.Job]) async {
        do {
            let completions = try await transaction(signCheckpoint: false, changesData: false) { tx, audit in
                try jobs.map { try $0.run(tx, &audit) }
            }
            // Only now, after the commit, does any caller see data.
            completions.forEach { $0() }
        } catch {
            jobs.forEach { $0.fail(error) }
        }
    }

    /// Runs a transaction that records (and checkpoints) without changing what analytics see.
    @discardableResult
    func record<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter, inout AuditAppender) throws -> T) async throws -> T {
        try await transaction(signCheckpoint: true, changesData: false, body)
    }

    private func transaction<T: Sendable>(signCheckpoint: Bool, changesData: Bool, _ body: @escaping @Sendable (any StorageWriter, inout AuditAppender) throws -> T) async throws -> T {
        let policyHash = policy.policy.hash
        let now = clock.now()
        let origin = self.origin
        let signingKey = self.signingKey
        let interval = checkpointInterval
        let cached = frontier.withLock { $0 }
        let (outcome, edge): (Result<T, VaultError>, MerkleCompactRange) = try await storage.write { tx in
            var audit = try AuditAppender(tx: tx, policyHash: policyHash, now: now, frontier: cached)
            let start = audit.size
            var outcome: Result<T, VaultError>
            do {
                outcome = .success(try body(tx, &audit))
            } catch let refusal as AuditedRefusal {
                // A refusal commits its denial entry: denied requests are audited too.
                outcome = .failure(refusal.error)
            }
            if changesData, case .success = outcome { try tx.bumpDataVersion() }
            let due = (audit.size / interval) > (start / interval)
            if audit.size > start, signCheckpoint || due, audit.checkpointedSize != audit.size {
                _ = try audit.checkpoint(origin: origin, signingKey: signingKey)
            }
            return (outcome, audit.frontier)
        }
        // Only a committed frontier is remembered.
        frontier.withLock { $0 = edge }
        return try outcome.get()
    }
}

/// Thrown by `AuditAppender.refuse`: carries the error to report after the denial is committed.
struct AuditedRefusal: Error {
    let error: VaultError
}
