public import Foundation

/// The kinds of sealed record a customer has; each is bound into its ciphertext's associated data.
public enum RecordKind: String, Sendable, CaseIterable, Codable {
    /// Who the customer is (C in the customer information file).
    case characteristics
    /// The customer's responses to the firm (R).
    case responses
    /// Purchase history (P).
    case purchases
}

/// A customer: the wrapped DEK, or the tombstone left by erasure.
public struct CustomerRow: Sendable, Equatable {
    /// The customer id (pseudonymous, chosen by the importer).
    public var id: String
    /// The DEK wrapped under a KEK; nil once erased.
    public var wrappedKey: Data?
    /// Version of the KEK that wrapped `wrappedKey`.
    public var kekVersion: UInt32?
    /// When the customer was first stored.
    public var createdAt: Date
    /// When the customer was erased (crypto-shredded).
    public var erasedAt: Date?

    /// A live customer.
    public init(id: String, wrappedKey: Data, kekVersion: UInt32, createdAt: Date) {
        self.id = id
        self.wrappedKey = wrappedKey
        self.kekVersion = kekVersion
        self.createdAt = createdAt
        self.erasedAt = nil
    }

    /// A row as a backend reads it back, live or erased.
    package init(id: String, wrappedKey: Data?, kekVersion: UInt32?, createdAt: Date, erasedAt: Date?) {
        self.id = id
        self.wrappedKey = wrappedKey
        self.kekVersion = kekVersion
        self.createdAt = createdAt
        self.erasedAt = erasedAt
    }
}

/// One sealed record of a customer.
public struct RecordRow: Sendable, Equatable {
    /// Which part of the profile.
    public var kind: RecordKind
    /// Incremented on every write; bound into the associated data.
    public var version: UInt64
    /// AES-256-GCM combined box under the customer's DEK.
    public var ciphertext: Data
    /// When this version was written (drives retention).
    public var updatedAt: Date

    /// A record as stored.
    public init(kind: RecordKind, version: UInt64, ciphertext: Data, updatedAt: Date) {
        self.kind = kind
        self.version = version
        self.ciphertext = ciphertext
        self.updatedAt = updatedAt
    }
}

/// A customer's consent (or objection) for one purpose.
public struct ConsentRow: Sendable, Equatable, Codable {
    /// The state of a purpose for one customer.
    public enum State: String, Sendable, Codable {
        /// Consent given.
        case granted
        /// Consent taken back.
        case withdrawn
        /// Objection to processing under legitimate interest.
        case objected
    }

    /// Who set a consent state.
    public enum Source: String, Sendable, Codable {
        /// The customer, through `me consent` or the API: an import never overwrites it.
        case customer
        /// A bulk import.
        case `import`
        /// An operator who overrode the customer's own choice on purpose (audited as such).
        case operatorOverride = "operator_override"
    }

    /// The purpose's name.
    public var purpose: String
    /// The state now.
    public var state: State
    /// When the state was set.
    public var at: Date
    /// Who set it.
    public var source: Source

    /// A consent state.
    public init(purpose: String, state: State, at: Date, source: Source) {
        self.purpose = purpose
        self.state = state
        self.at = at
        self.source = source
    }
}

/// A bearer token, stored only as its keyed hash.
public struct TokenRow: Sendable, Equatable {
    /// Public token id (safe to show and log).
    public var id: String
    /// HMAC-SHA256 of the secret under the token subkey.
    public var hash: Data
    /// The policy role the token acts as.
    public var role: String
    /// Who the token acts for: a customer id for customers, a staff name otherwise.
    public var subject: String
    /// The customer a customer token is bound to.
    public var customerID: String?
    /// When it was issued.
    public var createdAt: Date
    /// When it stops working, if ever.
    public var expiresAt: Date?
    /// When it was revoked, if it was.
    public var revokedAt: Date?

    /// A token row.
    public init(id: String, hash: Data, role: String, subject: String, customerID: String?, createdAt: Date, expiresAt: Date?, revokedAt: Date? = nil)
    {
        self.id = id
        self.hash = hash
        self.role = role
        self.subject = subject
        self.customerID = customerID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }
}

/// A key epoch: its KEK lives in the key store outside the database; the row records its life.
public struct KEKRow: Sendable, Equatable {
    /// The epoch's (KEK's) version.
    public var version: UInt32
    /// Empty: only vaults from before key epochs kept the KEK here, sealed under the root.
    public var wrapped: Data
    /// When it was created.
    public var createdAt: Date
    /// When its key was destroyed, if it was.
    public var destroyedAt: Date?

    /// A KEK row.
    public init(version: UInt32, wrapped: Data = Data(), createdAt: Date, destroyedAt: Date? = nil) {
        self.version = version
        self.wrapped = wrapped
        self.createdAt = createdAt
        self.destroyedAt = destroyedAt
    }
}

/// A generation of the audit log: a restore starts a new one, under a new origin.
public struct LogGenerationRow: Sendable, Equatable {
    /// Checkpoints of trees larger than this carry `origin`.
    public var fromSize: UInt64
    /// The checkpoint origin (and signing key name) of the generation.
    public var origin: String
    /// When the generation started.
    public var createdAt: Date

    /// A generation row.
    public init(fromSize: UInt64, origin: String, createdAt: Date) {
        self.fromSize = fromSize
        self.origin = origin
        self.createdAt = createdAt
    }
}

/// A key rotation: started, and completed once every DEK is rewrapped.
public struct RotationRow: Sendable, Equatable {
    /// The KEK version DEKs move to.
    public var toVersion: UInt32
    /// When it started.
    public var startedAt: Date
    /// When the last DEK was rewrapped.
    public var completedAt: Date?

    /// A rotation row.
    public init(toVersion: UInt32, startedAt: Date, completedAt: Date?) {
        self.toVersion = toVersion
        self.startedAt = startedAt
        self.completedAt = completedAt
    }
}

/// A policy version that was in force.
public struct PolicyRow: Sendable, Equatable {
    /// SHA-256 of the policy's canonical form (hex).
    public var hash: String
    /// The YAML text as applied.
    public var text: String
    /// The file name it came from.
    public var fileName: String
    /// When it was applied.
    public var appliedAt: Date

    /// A policy row.
    public init(hash: String, text: String, fileName: String, appliedAt: Date) {
        self.hash = hash
        self.text = text
        self.fileName = fileName
        self.appliedAt = appliedAt
    }
}

/// One audit log entry: its exact leaf bytes and its position.
public struct AuditRow: Sendable, Equatable {
    /// Leaf index in the Merkle tree (0-based).
    public var seq: UInt64
    /// The canonical JSON bytes hashed into the tree; never rewritten.
    public var leaf: Data
    /// The customer the entry concerns, for per-customer listing.
    public var customerID: String?
    /// When it was appended, as stored beside the leaf (nil where a query did not read it).
    public var at: Date?

    /// An audit row.
    public init(seq: UInt64, leaf: Data, customerID: String?, at: Date? = nil) {
        self.seq = seq
        self.leaf = leaf
        self.customerID = customerID
        self.at = at
    }
}

/// A signed checkpoint of the audit log.
public struct CheckpointRow: Sendable, Equatable {
    /// Tree size the checkpoint commits to.
    public var size: UInt64
    /// Root hash at that size.
    public var root: Data
    /// The signed note, as published.
    public var note: String
    /// When it was signed.
    public var at: Date

    /// A checkpoint row.
    public init(size: UInt64, root: Data, note: String, at: Date) {
        self.size = size
        self.root = root
        self.note = note
        self.at = at
    }
}

/// A contest of one field by its customer.
public struct ContestRow: Sendable, Equatable {
    /// Contest states (GDPR Art. 16 rectification with Art. 18 restriction meanwhile).
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Awaiting staff.
        case open
        /// Staff asked the customer for more information.
        case infoRequested = "info_requested"
        /// The correction was applied.
        case accepted
        /// Staff rejected it, with a reason.
        case rejected
        /// The customer withdrew it.
        case withdrawn

        /// Whether the field stays disputed in this state.
        public var isPending: Bool { self == .open || self == .infoRequested }
    }

    /// Contest id.
    public var id: String
    /// The contesting customer.
    public var customerID: String
    /// The contested field's name.
    public var field: String
    /// The proposed value and reason, sealed under the customer's DEK.
    public var sealedRequest: Data
    /// Where it stands.
    public var status: Status
    /// When it was opened.
    public var openedAt: Date
    /// When staff must have answered.
    public var deadline: Date
    /// When it left the pending states.
    public var resolvedAt: Date?
    /// The staff member who resolved it.
    public var resolver: String?
    /// Staff's reason, sealed under the customer's DEK.
    public var sealedResolution: Data?

    /// A contest row.
    public init(
        id: String,
        customerID: String,
        field: String,
        sealedRequest: Data,
        status: Status,
        openedAt: Date,
        deadline: Date,
        resolvedAt: Date? = nil,
        resolver: String? = nil,
        sealedResolution: Data? = nil
    ) {
        self.id = id
        self.customerID = customerID
        self.field = field
        self.sealedRequest = sealedRequest
        self.status = status
        self.openedAt = openedAt
        self.deadline = deadline
        self.resolvedAt = resolvedAt
        self.resolver = resolver
        self.sealedResolution = sealedResolution
    }
}

/// One ε charge against the privacy budget.
public struct ChargeRow: Sendable, Equatable {
    /// The analyst charged.
    public var analyst: String
    /// ε in millionths.
    public var microEpsilon: Int64
    /// When it was charged.
    public var at: Date
    /// Canonical query key.
    public var queryKey: String

    /// A charge row.
    public init(analyst: String, microEpsilon: Int64, at: Date, queryKey: String) {
        self.analyst = analyst
        self.microEpsilon = microEpsilon
        self.at = at
        self.queryKey = queryKey
    }
}

/// A customer's sealed data as the analytics scan sees it.
public struct ScannedCustomer: Sendable {
    /// The customer id.
    public var id: String
    /// The wrapped DEK.
    public var wrappedKey: Data
    /// Sealed records of the requested kinds.
    public var records: [RecordRow]
    /// The customer's consent state for the scanned purpose, if they made a choice.
    public var consent: ConsentRow?

    /// A scanned customer, as a backend reads it.
    package init(id: String, wrappedKey: Data, records: [RecordRow], consent: ConsentRow?) {
        self.id = id
        self.wrappedKey = wrappedKey
        self.records = records
        self.consent = consent
    }
}

/// The newest checkpoint one witness cosigned for this vault.
public struct WitnessCosignatureRow: Sendable, Equatable {
    /// The witness's verifier key (`name+id+base64`).
    public var witness: String
    /// The tree size it cosigned.
    public var size: UInt64
    /// The checkpoint with the vault's signature and the witness's cosignature.
    public var note: String
    /// When the vault received it.
    public var at: Date

    /// A cosignature row.
    public init(witness: String, size: UInt64, note: String, at: Date) {
        self.witness = witness
        self.size = size
        self.note = note
        self.at = at
    }
}

/// One trained next-best-product model: noisy counts only, no customer's data.
public struct ModelRow: Sendable, Equatable {
    /// The model's version, 1 for the first trained.
    public var version: Int64
    /// When it was trained.
    public var trainedAt: Date
    /// The audit entry that records its training and the SHA-256 of `body`.
    public var auditSeq: UInt64
    /// The model as canonical JSON.
    public var body: Data

    /// A model row.
    public init(version: Int64, trainedAt: Date, auditSeq: UInt64, body: Data) {
        self.version = version
        self.trainedAt = trainedAt
        self.auditSeq = auditSeq
        self.body = body
    }
}

/// A one-time sign-in to the customer portal: a short code and a link, both stored only as keyed
/// hashes, valid once, until `expiresAt`, for a bounded number of wrong guesses.
public struct SignInCodeRow: Sendable, Equatable {
    /// A public id naming the sign-in in audit entries (not a secret).
    public var id: String
    /// The customer it signs in.
    public var customerID: String
    /// The keyed hash of the code the customer types.
    public var codeHash: Data
    /// The keyed hash of the link's secret.
    public var linkHash: Data
    /// When it was issued.
    public var createdAt: Date
    /// When it stops working.
    public var expiresAt: Date
    /// Wrong codes tried against it.
    public var attempts: Int
    /// When it was used (or given up after too many wrong codes); nil while it may still work.
    public var usedAt: Date?

    /// A sign-in row.
    public init(
        id: String,
        customerID: String,
        codeHash: Data,
        linkHash: Data,
        createdAt: Date,
        expiresAt: Date,
        attempts: Int = 0,
        usedAt: Date? = nil
    ) {
        self.id = id
        self.customerID = customerID
        self.codeHash = codeHash
        self.linkHash = linkHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.attempts = attempts
        self.usedAt = usedAt
    }
}

/// A signed-in portal session: its secret lives only in the customer's cookie; the vault keeps its
/// keyed hash.
public struct PortalSessionRow: Sendable, Equatable {
    /// A public id naming the session in audit entries (not a secret).
    public var id: String
    /// The keyed hash of the cookie's secret.
    public var secretHash: Data
    /// The customer signed in.
    public var customerID: String
    /// When it began.
    public var createdAt: Date
    /// When it was last used (the idle expiry counts from here).
    public var lastSeenAt: Date
    /// When it ends whatever its use (the absolute expiry).
    public var expiresAt: Date
    /// When the customer signed out (or the session was ended); nil while open.
    public var endedAt: Date?

    /// A session row.
    public init(id: String, secretHash: Data, customerID: String, createdAt: Date, lastSeenAt: Date, expiresAt: Date, endedAt: Date? = nil) {
        self.id = id
        self.secretHash = secretHash
        self.customerID = customerID
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
        self.endedAt = endedAt
    }
}
