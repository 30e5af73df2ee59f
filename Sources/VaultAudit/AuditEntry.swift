/// One audit log entry: who did what to which customer's fields, why, and what the policy decided.
///
/// Entries hold identifiers and codes, never a customer's values. An entry is immutable: its
/// `leafBytes` are what the log stores and hashes, and `init(leafBytes:)` gets it back.
package struct AuditEntry: Sendable, Hashable {
    /// The policy's verdict.
    package enum Decision: String, Sendable, Hashable, CaseIterable {
        /// The operation was carried out.
        case allow
        /// The operation was refused.
        case deny
    }

    /// Version of the leaf layout; bumped if the set of keys ever changes.
    package static let formatVersion: Int64 = 1

    /// Position in the log: the entry's 0-based leaf index.
    package let seq: UInt64
    /// When the operation was decided.
    package let at: AuditTimestamp
    /// Who asked (a token's subject or a staff identity).
    package let actor: String
    /// The actor's role under the policy.
    package let role: String
    /// The declared purpose, if the operation has one.
    package let purpose: String?
    /// The customer concerned, if any (an id, never a name).
    package let customer: String?
    /// Field names touched, sorted by UTF-8 bytes and without duplicates.
    package let fields: [String]
    /// The operation, e.g. `profile.read`.
    package let op: String
    /// Allowed or denied.
    package let decision: Decision
    /// A stable reason code, e.g. `no_consent`.
    package let reason: String
    /// Hex hash of the policy in force.
    package let policy: String
    /// Small extra facts (query shape, ε, contest id, key version), never values; empty if none.
    package let details: [String: String]

    /// An entry; `fields` are sorted and de-duplicated. `seq` is at most `Int64.max`, like every
    /// integer SQLite stores.
    package init(
        seq: UInt64,
        at: AuditTimestamp,
        actor: String,
        role: String,
        purpose: String?,
        customer: String?,
        fields: [String],
        op: String,
        decision: Decision,
        reason: String,
        policy: String,
        details: [String: String] = [:]
    ) {
        precondition(seq <= UInt64(Int64.max), "audit sequence number beyond Int64.max")
        self.seq = seq
        self.at = at
        self.actor = actor
        self.role = role
        self.purpose = purpose
        self.customer = customer
        self.fields = Set(fields).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        self.op = op
        self.decision = decision
        self.reason = reason
        self.policy = policy
        self.details = details
    }
}
