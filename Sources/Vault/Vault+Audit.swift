import Foundation
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultStore

/// One audit entry as listed: its position, exact leaf bytes and decoded fields.
public struct AuditEntryView: Sendable, Encodable {
    /// Leaf index.
    public let seq: UInt64
    /// The exact leaf bytes (base64), as hashed into the tree.
    public let leaf: String
    /// The decoded entry.
    public let entry: AuditEntryJSON
}

/// An audit entry's fields, for JSON output.
public struct AuditEntryJSON: Sendable, Encodable {
    /// UTC time (RFC 3339).
    public let at: String
    /// Who acted.
    public let actor: String
    /// Their role.
    public let role: String
    /// Under which purpose.
    public let purpose: String?
    /// Which customer.
    public let customer: String?
    /// Which fields.
    public let fields: [String]
    /// What was done.
    public let op: String
    /// allow or deny.
    public let decision: String
    /// Reason code.
    public let reason: String
    /// Policy hash in force.
    public let policy: String
    /// Non-personal details.
    public let details: [String: String]

    init(_ entry: AuditEntry) {
        at = entry.at.rfc3339
        actor = entry.actor
        role = entry.role
        purpose = entry.purpose
        customer = entry.customer
        fields = entry.fields
        op = entry.op
        decision = entry.decision.rawValue
        reason = entry.reason
        policy = entry.policy
        details = entry.details
    }
}

/// An inclusion proof for one entry, with the checkpoint it verifies against.
public struct InclusionProofView: Sendable, Encodable {
    /// Leaf index.
    public let entry: UInt64
    /// Tree size the proof is for.
    public let size: UInt64
    /// Base64 leaf hash.
    public let leafHash: String
    /// Base64 hashes, RFC 9162 order.
    public let proof: [String]
    /// Base64 root at `size`.
    public let root: String
    /// Whether the proof was checked against the root here.
    public let verified: Bool
}

/// A consistency proof between two tree sizes.
public struct ConsistencyProofView: Sendable, Encodable {
    /// Older size.
    public let from: UInt64
    /// Newer size.
    public let to: UInt64
    /// Base64 hashes, RFC 9162 order.
    public let proof: [String]
    /// Base64 roots at both sizes.
    public let fromRoot: String
    /// Base64 root at `to`.
    public let toRoot: String
    /// Whether the proof was checked here.
    public let verified: Bool
}

/// The outcome of `audit verify`.
public struct VerificationReport: Sendable, Encodable {
    /// Whether everything checked out.
    public var ok: Bool
    /// Entries recomputed.
    public var entries: UInt64
    /// Recomputed root (base64).
    public var root: String
    /// Stored checkpoints whose signature and root were checked.
    public var checkpointsChecked: Int
    /// The first sequence number that cannot be trusted, if any.
    public var firstBadSeq: UInt64?
    /// What was wrong, first problem first.
    public var problems: [String]
    /// Whether an external checkpoint was proven to be a prefix of this log.
    public var sinceVerified: Bool?
    /// The size of the checkpoint kept outside the database that the log was proven to extend.
    public var anchoredSize: UInt64?
    /// What the log is anchored to beyond this machine's files (witnesses), in words.
    public var anchoring: String = ""
    /// What is worth knowing but is not a failure.
    public var warnings: [String] = []
    /// What each configured witness said about the newest checkpoint.
    public var witnesses: [WitnessStatus] = []

    /// Records a problem; `seq` is the first entry it makes untrustworthy, nil when entries are not in doubt.
    mutating func fail(_ seq: UInt64?, _ problem: String) {
        ok = false
        problems.append(problem)
        if let seq { firstBadSeq = min(firstBadSeq ?? seq, seq) }
    }
}

extension Vault {
    /// The latest signed checkpoint, signing a fresh one first if entries were appended since.
    public func checkpoint() async throws -> String {
        let latest = try await storage.read { tx in (try tx.latestCheckpoint(), try tx.auditSize()) }
        if let row = latest.0, row.size == latest.1 { return row.note }
        // Only a vault from before checkpoints were signed at every commit gets here.
        let row = try await storage.write { [origin, signingKey, policy, clock] tx in
            var audit = try AuditAppender(tx: tx, policyHash: policy.policy.hash, now: clock.now())
            if let row = try tx.latestCheckpoint(), row.size == audit.size { return row }
            return try audit.checkpoint(origin: origin, signingKey: signingKey)
        }
        anchor.record(row)
        return row.note
    }

    /// The checkpoint verifier key in signed-note form (`name+id+base64`), and the raw public key.
    public var verifierKey: (note: String, publicKeyBase64: String) {
        (
            (try? NoteVerifierKey(name: origin, publicKey: publicKey).description) ?? "",
            Data(publicKey.rawRepresentation).base64EncodedString()
        )
    }

    /// Audit entries: an auditor sees all (optionally one customer's); a customer only their own.
    /// Listing them discloses who was read, so the listing is itself an audited read.
    ///
    /// - Parameters:
    ///   - customer: an auditor's filter to one customer's entries; nil: every entry. Ignored for a customer token.
    ///   - from: the sequence number (0-based leaf index) to start at.
    ///   - limit: how many entries at most; clamped to 1–10,000.
    ///   - principal: a role the policy grants `audit`, or a customer token with `self_read` (their own entries only).
    /// - Returns: the entries in log order, each with its exact leaf bytes.
    /// - Throws: `VaultError.Code.badCustomerId` for a `customer` no id can be; kind `.denied` without the grant;
    ///   `VaultError.Code.integrityFailure` for a stored entry that is not canonical.
    public func auditEntries(customer: String?, from: UInt64, limit: Int, by principal: Principal) async throws -> [AuditEntryView] {
        let scope = try auditScope(customer, principal)
        let limit = min(max(limit, 1), 10_000)
        return try await logged { tx, audit, _ in
            let views = try tx.auditEntries(from: from, limit: limit, customerID: scope).map { row in
                AuditEntryView(seq: row.seq, leaf: row.leaf.base64EncodedString(), entry: AuditEntryJSON(try Self.decode(row)))
            }
            try audit.append(
                AuditDraft(
                    principal: principal,
                    customer: scope,
                    op: .auditEntries,
                    decision: .allow,
                    reason: principal.role == RoleName.customer.rawValue ? .allowedSelf : .allowedAudit,
                    details: ["from": String(from), "returned": String(views.count)]
                )
            )
            return views
        }
    }

    /// An inclusion proof for `entry` in the tree of `size` (default: the latest checkpoint's).
    ///
    /// - Parameters:
    ///   - entry: the entry's sequence number (0-based leaf index).
    ///   - requested: the tree size to prove against, at most the log's size; nil: the latest checkpoint's, signed first if due.
    ///   - principal: a role the policy grants `audit`, or a customer token with `self_read`, for an entry about that customer.
    /// - Returns: the proof, the leaf hash and the root at that size, and whether the proof checked out here.
    /// - Throws: `VaultError.Code.badRange` when `entry` is not below the size or the size exceeds the log;
    ///   `VaultError.Code.notFound` for another customer's entry asked by a customer; kind `.denied` without the grant.
    public func inclusionProof(entry: UInt64, size requested: UInt64?, by principal: Principal) async throws -> InclusionProofView {
        _ = try auditScope(nil, principal, allowCustomer: true)
        if requested == nil { _ = try await checkpoint() }
        return try await storage.read { tx in
            let size = try requested ?? (tx.latestCheckpoint()?.size ?? tx.auditSize())
            guard size <= (try tx.auditSize()), entry < size else {
                throw VaultError.invalid(.badRange, "entry \(entry) is not in a tree of size \(size) (the log has \(try tx.auditSize()) entries)")
            }
            guard let row = try tx.auditEntries(from: entry, limit: 1, customerID: nil).first else { throw VaultError.notFound("entry \(entry)") }
            if principal.role == RoleName.customer.rawValue, row.customerID != principal.customerID { throw VaultError.notFound("entry \(entry)") }
            return try Self.inclusion(tx, row: row, size: size)
        }
    }

    /// A consistency proof between sizes `from` and `to` (default: the latest checkpoint's size).
    ///
    /// - Parameters:
    ///   - from: the older tree size, at least 1 (a checkpoint a verifier already trusts).
    ///   - requested: the newer tree size, from `from` up to the log's size; nil: the latest checkpoint's, signed first if due.
    ///   - principal: a role the policy grants `audit`, or a customer token with `self_read`.
    /// - Returns: the proof, the roots at both sizes, and whether the proof checked out here.
    /// - Throws: `VaultError.Code.badRange` unless 1 ≤ `from` ≤ `to` ≤ the log's size; kind `.denied` without the grant.
    public func consistencyProof(from: UInt64, to requested: UInt64?, by principal: Principal) async throws -> ConsistencyProofView {
        _ = try auditScope(nil, principal, allowCustomer: true)
        if requested == nil { _ = try await checkpoint() }
        return try await storage.read { tx in
            let size = try tx.auditSize()
            let to = try requested ?? (tx.latestCheckpoint()?.size ?? size)
            guard from >= 1, from <= to, to <= size else {
                throw VaultError.invalid(.badRange, "need 1 ≤ from ≤ to ≤ \(size) (the log's size)")
            }
            let nodes = StoredNodes(reader: tx)
            let proof = try MerkleTree.consistencyProof(from: from, to: to, nodes: nodes)
            let oldRoot = try MerkleTree.root(size: from, nodes: nodes)
            let newRoot = try MerkleTree.root(size: to, nodes: nodes)
            let verified = (try? MerkleTree.verifyConsistency(from: from, to: to, proof: proof, oldRoot: oldRoot, newRoot: newRoot)) != nil
            return ConsistencyProofView(
                from: from,
                to: to,
                proof: proof.map { Data($0.bytes).base64EncodedString() },
                fromRoot: Data(oldRoot.bytes).base64EncodedString(),
                toRoot: Data(newRoot.bytes).base64EncodedString(),
                verified: verified
            )
        }
    }

    static func inclusion(_ tx: any StorageReader, row: AuditRow, size: UInt64) throws -> InclusionProofView {
        let nodes = StoredNodes(reader: tx)
        let proof = try MerkleTree.inclusionProof(leafIndex: row.seq, size: size, nodes: nodes)
        let root = try MerkleTree.root(size: size, nodes: nodes)
        let leafHash = MerkleTree.leafHash(Array(row.leaf))
        let verified = (try? MerkleTree.verifyInclusion(leafHash: leafHash, leafIndex: row.seq, size: size, proof: proof, root: root)) != nil
        return InclusionProofView(
            entry: row.seq,
            size: size,
            leafHash: Data(leafHash.bytes).base64EncodedString(),
            proof: proof.map { Data($0.bytes).base64EncodedString() },
            root: Data(root.bytes).base64EncodedString(),
            verified: verified
        )
    }

    static func decode(_ row: AuditRow) throws -> AuditEntry {
        do {
            return try AuditEntry(leafBytes: Array(row.leaf))
        } catch {
            throw VaultError.integrity("audit entry \(row.seq) is not a canonical entry; run `cvault audit verify`")
        }
    }

    /// The customer whose entries a principal may see: nil (all) for auditors, their own for customers.
    func auditScope(_ customer: String?, _ principal: Principal, allowCustomer: Bool = true) throws -> String? {
        if principal.role == RoleName.customer.rawValue, allowCustomer {
            try requireOperation(.selfRead, principal)
            return principal.customerID
        }
        try requireOperation(.audit, principal)
        // No customer can have such an id, and it would be written into the log as this query's subject.
        if let customer, !CustomerRecord.isValidID(customer) {
            throw VaultError.invalid(.badCustomerId, "customer must be 1–128 letters, digits, '-', '_' or '.', as customer ids are")
        }
        return customer
    }
}
