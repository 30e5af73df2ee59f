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
    var op: AuditOperation
    var decision: AuditEntry.Decision
    var reason: AuditReason
    var details: [String: String]

    init(
        principal: Principal,
        purpose: String? = nil,
        customer: String? = nil,
        fields: [String] = [],
        op: AuditOperation,
        decision: AuditEntry.Decision,
        reason: AuditReason,
        details: [String: String] = [:]
    ) {
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
///
/// Checkpoints: every transaction that appends ends with a signed checkpoint at its final size,
/// which replaces the previous one; and the checkpoint at every multiple of
/// `Vault.checkpointHistoryInterval` is kept for good. The kept ones form a dense, append-only
/// history that `audit verify` can hold to account (a missing one was deleted), while the
/// replaced ones cost nothing to keep or to verify.
///
/// Storage calls: one to read the log's head (and, when another writer appended since this
/// process's last commit, one for the tree nodes it needs), and one at `checkpoint` that stores the
/// entries, nodes and checkpoints together. A shared database serializes writers for the whole
/// transaction, so each round trip saved there is saved for every instance.
struct AuditAppender {
    private let tx: any StorageWriter
    private var range: MerkleCompactRange
    private let policyHash: String
    /// The hash of the policy that decides what is appended now, when a use case took its policy
    /// before the transaction began: its entries must name the policy that decided them, even if
    /// another was applied in between. Nil: the policy in force when the transaction began.
    var decidingPolicy: String?
    private let now: Date
    private let historyStart: UInt64
    private(set) var appended: [UInt64] = []
    /// Size of the checkpoint signed in this transaction, if any.
    private(set) var checkpointedSize: UInt64?
    /// Sizes at a history multiple reached in this transaction, with their roots, not yet signed.
    private var historyDue: [(size: UInt64, root: SHA256Digest)] = []
    /// The newest checkpoint stored (when the transaction began, or signed in it).
    private var previous: CheckpointRow?
    /// What is appended but not yet stored: `checkpoint` stores it.
    private var pending: AuditAppend

    /// Starts at the log's current size, reusing `frontier` when it is at that size (the log only
    /// grows, so equal sizes mean nobody appended since) instead of reading O(log n) nodes.
    ///
    /// A log that no longer extends `frontier` — this process's last commit — was cut short or
    /// rewritten underneath it: the vault refuses to append to it, and so never signs a forged tree.
    init(tx: any StorageWriter, policyHash: String, now: Date, frontier: MerkleCompactRange? = nil) throws {
        self.tx = tx
        self.policyHash = policyHash
        self.now = now
        self.pending = AuditAppend(at: now)
        let head = try tx.auditHead()
        let size = head.size
        self.historyStart = head.checkpointHistoryStart
        self.previous = head.latestCheckpoint
        if let frontier, frontier.size == size {
            // Nobody appended since this process's last commit, whose checkpoint must still be the
            // newest: otherwise the log was rewritten in place, or its checkpoints deleted.
            guard let latest = head.latestCheckpoint, latest.size == size, latest.root.elementsEqual(frontier.root.bytes) else {
                throw VaultError.integrity(
                    "the audit log's newest checkpoint is not the one this vault signed at size \(size): the log or its checkpoints were changed while the vault was running; refusing to sign it; run `cvault audit verify`"
                )
            }
            self.range = frontier
            return
        }
        let nodes = try PrefetchedNodes(reader: tx, sizes: [size] + (frontier.map { [$0.size] } ?? []))
        if let frontier {
            guard frontier.size < size else {
                throw VaultError.integrity(
                    "the audit log shrank from \(frontier.size) to \(size) entries while this vault was running: refusing to sign it; run `cvault audit verify`"
                )
            }
            guard try MerkleTree.root(size: frontier.size, nodes: nodes) == frontier.root else {
                throw VaultError.integrity(
                    "the audit log was rewritten below entry \(frontier.size) while this vault was running: refusing to sign it; run `cvault audit verify`"
                )
            }
        }
        self.range = try MerkleCompactRange(size: size, nodes: nodes)
    }

    /// Whether entries were appended since the last `checkpoint`, and so are not stored yet.
    var hasUnstoredEntries: Bool { !pending.entries.isEmpty }

    /// The tree's right edge after this transaction's appends.
    var frontier: MerkleCompactRange { range }

    var size: UInt64 { range.size }
    var root: SHA256Digest { range.root }

    /// Appends one entry and returns its sequence number. It is stored, with its tree nodes, by
    /// `checkpoint`, which every transaction that appends ends with.
    @discardableResult
    mutating func append(_ draft: AuditDraft) throws -> UInt64 {
        let seq = range.size
        let entry = AuditEntry(
            seq: seq,
            at: AuditTimestamp(now),
            actor: draft.actor,
            role: draft.role,
            purpose: draft.purpose,
            customer: draft.customer,
            fields: draft.fields,
            op: draft.op.rawValue,
            decision: draft.decision,
            reason: draft.reason.rawValue,
            policy: decidingPolicy ?? policyHash,
            details: draft.details
        )
        let leaf = entry.leafBytes
        pending.entries.append(AuditRow(seq: seq, leaf: Data(leaf), customerID: draft.customer))
        range.append(leafHash: MerkleTree.leafHash(leaf)) { node in
            pending.nodes.append((node.level, node.index, Data(node.hash.bytes)))
        }
        appended.append(seq)
        if range.size % Vault.checkpointHistoryInterval == 0 { historyDue.append((range.size, range.root)) }
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

    /// Refuses, with its entry, a role the policy never lets do `operation` on customers' rows
    /// (analysts and auditors reading, say); roles that may are let through to the field decisions.
    mutating func requireOperation(
        _ operation: RoleOperation,
        of principal: Principal,
        in policy: Policy,
        purpose: String?,
        customer: String?,
        fields: [String],
        op: AuditOperation
    ) throws {
        let authorization = policy.authorize(role: principal.role, operation: operation)
        guard !authorization.allowed else { return }
        try refuse(
            AuditDraft(
                principal: principal,
                purpose: purpose,
                customer: customer,
                fields: fields,
                op: op,
                decision: .deny,
                reason: AuditReason(authorization.code)
            ),
            VaultError.denied(.init(authorization.code), authorization.reason)
        )
    }

    /// Signs the checkpoint at the current size, and those at the history multiples this
    /// transaction reached, and stores them with the entries appended since the last call; the
    /// previous newest checkpoint goes unless it is one of the history.
    mutating func checkpoint(origin: String, signingKey: Ed25519.PrivateKey) throws -> CheckpointRow {
        if checkpointedSize == range.size, let row = previous, row.size == range.size { return row }
        for (size, root) in historyDue where size != range.size {
            pending.checkpoints.append(try Self.sign(size: size, root: root, origin: origin, signingKey: signingKey, at: now))
        }
        historyDue = []
        let row = try Self.sign(size: range.size, root: range.root, origin: origin, signingKey: signingKey, at: now)
        pending.checkpoints.append(row)
        if let previous, previous.size < row.size, !Vault.isKeptCheckpoint(size: previous.size, historyFrom: historyStart) {
            pending.replacedCheckpoint = previous.size
        }
        try tx.appendAudit(pending)
        pending = AuditAppend(at: now)
        checkpointedSize = range.size
        self.previous = row
        return row
    }

    private static func sign(size: UInt64, root: SHA256Digest, origin: String, signingKey: Ed25519.PrivateKey, at now: Date) throws -> CheckpointRow {
        let note = try Checkpoint(origin: origin, size: size, rootHash: root).sign(with: signingKey, keyName: origin)
        return CheckpointRow(size: size, root: Data(root.bytes), note: note.text, at: now)
    }
}

extension Vault {
    /// Checkpoints at multiples of this size are kept for good; the others are replaced by the next.
    static let checkpointHistoryInterval: UInt64 = 256

    /// Whether the checkpoint at `size` belongs to the permanent history: a multiple of the interval,
    /// or signed before this vault kept a dense history (`historyFrom`), when none was ever deleted.
    static func isKeptCheckpoint(size: UInt64, historyFrom: UInt64) -> Bool {
        size % checkpointHistoryInterval == 0 || size < historyFrom
    }
}

/// The nodes of the trees of a few sizes, read in one storage call; any other node is read on its own.
private struct PrefetchedNodes: MerkleNodeReader {
    let reader: any StorageReader
    private var known: [Position: SHA256Digest] = [:]

    private struct Position: Hashable {
        let level: Int
        let index: UInt64
    }

    /// Reads the perfect subtrees that make up a tree of each of `sizes` (what a compact range
    /// of that size and its root are built from).
    init(reader: any StorageReader, sizes: [UInt64]) throws {
        self.reader = reader
        var positions: [Position] = []
        for size in Set(sizes) {
            var begin: UInt64 = 0
            for level in stride(from: 63, through: 0, by: -1) where size & (UInt64(1) << UInt64(level)) != 0 {
                positions.append(Position(level: level, index: begin >> UInt64(level)))
                begin += UInt64(1) << UInt64(level)
            }
        }
        let hashes = try reader.auditNodes(positions.map { ($0.level, $0.index) })
        for (position, hash) in zip(positions, hashes) {
            if let hash, let digest = SHA256Digest(bytes: Array(hash)) { known[position] = digest }
        }
    }

    func node(level: Int, index: UInt64) throws -> SHA256Digest {
        if let digest = known[Position(level: level, index: index)] { return digest }
        return try StoredNodes(reader: reader).node(level: level, index: index)
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
        try await transaction(changesData: true, body)
    }

    /// Runs a use case that only reads customer data but must log it: the audit entries commit,
    /// under a signed checkpoint, before the data is returned. Concurrent reads share one write
    /// transaction (group commit, see `ReadBatcher`) and so one signature.
    ///
    /// `customerID` names the customer the read loads, if it knows: a batch loads all of them in one
    /// storage call, which `body` gets as `prefetched`. A read made for a principal from the token
    /// cache names its token (`confirming`): the batch confirms it first, and without it `body`
    /// never runs.
    func logged<T: Sendable>(
        customerID: String? = nil,
        confirming tokenID: String? = nil,
        _ body: @escaping @Sendable (any StorageWriter, inout AuditAppender, PrefetchedCustomers) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            readBatcher.submit(
                ReadBatcher.Job(
                    customerID: customerID,
                    tokenID: tokenID,
                    run: { tx, audit, prefetched in
                        do {
                            let value = try body(tx, &audit, prefetched)
                            return { continuation.resume(returning: value) }
                        } catch let refusal as AuditedRefusal {
                            return { continuation.resume(throwing: refusal.error) }
                        } catch let error as VaultError {
                            // The read failed on its own; entries it appended describe what happened.
                            return { continuation.resume(throwing: error) }
                        } catch let error as StoreError {
                            // A statement of this read alone failed (on PostgreSQL, one the driver
                            // refused before sending it): the other reads of the batch go on. After one
                            // the server refused, PostgreSQL would only roll back: its backend then
                            // refuses to commit, and every read of the batch fails.
                            return { continuation.resume(throwing: VaultError(error)) }
                        } catch {
                            return { continuation.resume(throwing: error) }
                        }
                    },
                    fail: { continuation.resume(throwing: $0) }
                ),
                vault: self
            )
        }
    }

    /// Runs one batch of reads in a single write transaction.
    func runBatch(_ jobs: [ReadBatcher.Job]) async {
        do {
            let ids = jobs.compactMap(\.customerID)
            let tokenIDs = Array(Set(jobs.compactMap(\.tokenID)))
            let completions = try await transaction(changesData: false) { tx, audit in
                // Cached tokens are confirmed under the writers' lock: one revoked by any instance
                // before this commit reads nothing.
                let now = self.clock.now()
                var tokens: [String: TokenRow] = [:]
                for row in try tx.tokens(ids: tokenIDs) { tokens[row.id] = row }
                // A customer whose rows cannot be read fails only the reads of that customer: each
                // then loads its own.
                let prefetched = ids.isEmpty ? PrefetchedCustomers.none : (try? PrefetchedCustomers(tx, ids: ids)) ?? .none
                return try jobs.map { job -> @Sendable () -> Void in
                    if let id = job.tokenID, let problem = Self.tokenProblem(tokens[id], id: id, now: now) {
                        self.tokenCache.forget(id: id)
                        return { job.fail(problem) }
                    }
                    // Each read names its own deciding policy; one job's must not reach the next.
                    audit.decidingPolicy = nil
                    return try job.run(tx, &audit, prefetched)
                }
            }
            // Only now, after the commit, does any caller see data.
            for complete in completions { complete() }
        } catch {
            for job in jobs { job.fail(error) }
        }
    }

    /// Runs a transaction that records (and checkpoints) without changing what analytics see.
    @discardableResult
    func record<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter, inout AuditAppender) throws -> T) async throws -> T {
        try await transaction(changesData: false, body)
    }

    /// Every transaction that appends ends with a signed checkpoint covering its last entry, so the
    /// log never has an unsigned tail; once committed, the checkpoint is kept outside the database
    /// too (the local anchor), where rolling the database back cannot reach it.
    private func transaction<T: Sendable>(
        changesData: Bool,
        _ body: @escaping @Sendable (any StorageWriter, inout AuditAppender) throws -> T
    ) async throws -> T {
        let policyHash = policy.policy.hash
        let now = clock.now()
        let origin = self.origin
        let signingKey = self.signingKey
        let cached = frontier.withLock { $0 }
        let (outcome, edge, signed): (Result<T, VaultError>, MerkleCompactRange, CheckpointRow?) = try await storage.write { tx in
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
            let signed = audit.size > start ? try audit.checkpoint(origin: origin, signingKey: signingKey) : nil
            // Entries are stored by `checkpoint`: none may be left behind in a commit.
            guard !audit.hasUnstoredEntries else {
                throw VaultError.integrity("audit entries were appended after the transaction's checkpoint; nothing was committed")
            }
            return (outcome, audit.frontier, signed)
        }
        // Only a committed frontier and checkpoint are remembered.
        frontier.withLock { $0 = edge }
        if let signed {
            anchor.record(signed)
            offerToWitnesses(signed.note)
        }
        return try outcome.get()
    }
}

/// Thrown by `AuditAppender.refuse`: carries the error to report after the denial is committed.
struct AuditedRefusal: Error {
    let error: VaultError
}
