public import Foundation

/// Where the vault keeps its ciphertext, wrapped keys, blind indexes, consents, tokens and audit log.
///
/// The facade depends on this protocol only. A body runs inside one transaction: everything it
/// writes commits together or not at all. Bodies are synchronous because they only sequence
/// statements; the transaction itself is awaited, so an implementation over an async driver
/// (PostgreSQL) can run bodies on its own connection thread.
public protocol VaultStorage: Sendable {
    /// Runs `body` in a read-only snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T
    /// Runs `body` in the single write transaction; the audit log's sequencer lives here.
    func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T
    /// An online, consistent copy of everything into a new file at `destination`.
    func backup(to destination: String) async throws
    /// Makes rows deleted so far unrecoverable from the storage's own files (an erasure calls it).
    func compact() async throws
    /// Closes the storage; later calls fail.
    func close() throws
    /// Yields whenever another process committed a new policy or a key change, or nil when this
    /// backend cannot tell (its callers then poll).
    func changeNotifications() -> AsyncStream<Void>?
    /// The token with this keyed hash, looked up for authenticating a request (every request does).
    func authenticationToken(hash: Data) async throws -> TokenRow?
}

/// Queries available inside any transaction.
public protocol StorageReader {
    /// The vault id recorded at creation (guards against pairing a database with the wrong keys).
    func vaultID() throws -> String?

    /// Every KEK, oldest first.
    func keks() throws -> [KEKRow]
    /// The most recent key rotation, if any.
    func latestRotation() throws -> RotationRow?
    /// Every key rotation, oldest first.
    func rotations() throws -> [RotationRow]
    /// Up to `limit` live customers, in id order after `id`, whose wrapped DEK names (in its own
    /// bytes, not only its column) another key epoch than `version`.
    func customersNotWrapped(under version: UInt32, after id: String?, limit: Int) throws -> [CustomerRow]
    /// Live customers per KEK version.
    func customerCountsByKEK() throws -> [UInt32: Int]
    /// Up to `limit` live customers with ids after `id` (nil: from the start), in id order, with
    /// their KEK version.
    func liveCustomers(after id: String?, limit: Int) throws -> [(id: String, kekVersion: UInt32)]
    /// The generations of the audit log after the first, oldest first.
    func logGenerations() throws -> [LogGenerationRow]
    /// When this database was taken as a backup, if it is one.
    func backupTakenAt() throws -> Date?
    /// When the last retention sweep finished, and how many values it removed.
    func lastRetentionSweep() throws -> (at: Date, valuesRemoved: Int)?
    /// The newest cosigned checkpoint of every witness that cosigned one.
    func witnessCosignatures() throws -> [WitnessCosignatureRow]

    /// Up to `limit` customers, live and erased, with ids after `id` (nil: from the start), in id order.
    func customers(after id: String?, limit: Int) throws -> [CustomerRow]
    /// The customer row, live or erased.
    func customer(id: String) throws -> CustomerRow?
    /// Everything a decision about the customer needs (row, records, consents, disputed fields),
    /// or nil if no customer has this id.
    func customerSnapshot(id: String) throws -> CustomerSnapshot?
    /// The snapshots of those of `ids` that exist, in no particular order.
    func customerSnapshots(ids: [String]) throws -> [CustomerSnapshot]
    /// The customer's blind index entries.
    func blindIndexes(customerID: String) throws -> [(field: String, digest: Data)]
    /// The customer's sealed records.
    func records(customerID: String) throws -> [RecordRow]
    /// Customers whose blind index for `field` equals `digest`.
    func customerIDs(field: String, digest: Data) throws -> [String]
    /// Live and erased customer counts.
    func customerCounts() throws -> (live: Int, erased: Int)
    /// Up to `count − 1` ascending customer ids that cut all customers into `count` id ranges of
    /// about equal size, for `CustomerIDRange.partition`.
    func customerSplitPoints(_ count: Int) throws -> [String]
    /// Calls `body` for every live customer whose id lies in `ids`, in id order, with the records
    /// of `kinds` and the customer's consent state for `purpose`.
    func scanCustomers(
        in ids: CustomerIDRange,
        kinds: Set<RecordKind>,
        consentFor purpose: String,
        _ body: (ScannedCustomer) throws -> Void
    ) throws
    /// A counter that moves whenever customer data, consents, contests or the policy change.
    func dataVersion() throws -> Int64
    /// What an unfinished `StorageCopy` into this database recorded about its source, if one is under way.
    func copyMarker() throws -> String?

    /// The customer's consent states.
    func consents(customerID: String) throws -> [ConsentRow]

    /// The token with this keyed hash.
    func token(hash: Data) throws -> TokenRow?
    /// The token with this public id.
    func token(id: String) throws -> TokenRow?
    /// The tokens of these ids that exist, in any order.
    func tokens(ids: [String]) throws -> [TokenRow]
    /// All tokens, newest first.
    func tokens() throws -> [TokenRow]

    /// The policy in force.
    func activePolicy() throws -> PolicyRow?
    /// Every policy ever applied, oldest first.
    func policies() throws -> [PolicyRow]

    /// Number of audit entries (= Merkle tree size).
    func auditSize() throws -> UInt64
    /// The log's size, newest checkpoint and checkpoint-history start, as an appender starts from.
    func auditHead() throws -> AuditHead
    /// A stored perfect-subtree hash.
    func auditNode(level: Int, index: UInt64) throws -> Data?
    /// Stored perfect-subtree hashes, in the order asked (nil where none is stored).
    func auditNodes(_ positions: [(level: Int, index: UInt64)]) throws -> [Data?]
    /// Up to `limit` entries from `seq`, optionally for one customer.
    func auditEntries(from seq: UInt64, limit: Int, customerID: String?) throws -> [AuditRow]
    /// Streams entries in order from `seq` until `body` returns false.
    func forEachAuditEntry(from seq: UInt64, _ body: (AuditRow) throws -> Bool) throws
    /// Streams stored level-0 nodes (leaf hashes) in order from `index`.
    func forEachAuditNode(level: Int, from index: UInt64, _ body: (UInt64, Data) throws -> Bool) throws
    /// The newest checkpoint.
    func latestCheckpoint() throws -> CheckpointRow?
    /// Every checkpoint, smallest first.
    func checkpoints() throws -> [CheckpointRow]
    /// The log size from which every checkpoint at a multiple of the history interval is kept (0 for
    /// vaults that always kept them; the log's size when an older vault was upgraded).
    func checkpointHistoryStart() throws -> UInt64

    /// One contest.
    func contest(id: String) throws -> ContestRow?
    /// Contests, filtered by customer and/or status, oldest first.
    func contests(customerID: String?, statuses: Set<ContestRow.Status>?) throws -> [ContestRow]

    /// Every ε charge, oldest first.
    func charges() throws -> [ChargeRow]
    /// Sum of ε charged (millionths) since `since`, for one analyst or (nil) everyone.
    func chargedMicroEpsilon(analyst: String?, since: Date) throws -> Int64
    /// The next-best-product model with this version, or the newest when `version` is nil.
    func recommendationModel(version: Int64?) throws -> ModelRow?
    /// Every trained next-best-product model, oldest first.
    func recommendationModels() throws -> [ModelRow]

    /// The portal sign-in whose link has this keyed hash.
    func signInCode(linkHash: Data) throws -> SignInCodeRow?
    /// The customer's portal sign-ins issued since `since`, newest first.
    func signInCodes(customerID: String, since: Date) throws -> [SignInCodeRow]
    /// The portal session whose cookie secret has this keyed hash.
    func portalSession(secretHash: Data) throws -> PortalSessionRow?
    /// Portal attempts recorded under `bucket` (a keyed hash of an address or a client) since `since`.
    func portalAttempts(bucket: Data, since: Date) throws -> Int

    /// The cached answer to an aggregate query, however old (the key names the data it was computed
    /// from), and until when it may be given.
    func cachedAnswer(queryKey: String) throws -> (answer: Data, validUntil: Date?)?
}

/// Mutations, available inside the write transaction.
public protocol StorageWriter: StorageReader {
    /// Records the vault id (once, at creation).
    func setVaultID(_ id: String) throws
    /// Moves the data version on (aggregate answers cached for the old one are not reused).
    func bumpDataVersion() throws
    /// Sets the data version (a copy takes its source's).
    func setDataVersion(_ version: Int64) throws
    /// Sets the log size from which the checkpoint history is dense (a copy takes its source's).
    func setCheckpointHistoryStart(_ size: UInt64) throws
    /// Records (or, with nil, clears) what a copy under way into this database copies from.
    func setCopyMarker(_ marker: String?) throws

    /// Stores a new KEK version.
    func insertKEK(_ row: KEKRow) throws
    /// Records the start of a rotation.
    func insertRotation(_ row: RotationRow) throws
    /// Marks the rotation to `version` complete.
    func completeRotation(toVersion version: UInt32, at: Date) throws
    /// Marks a key epoch destroyed: from now on no customer key can be wrapped under it.
    func markEpochDestroyed(version: UInt32, at: Date) throws
    /// Forgets the KEKs kept in the database by vaults from before key epochs (their rows stay).
    func clearStoredKEKs() throws
    /// Starts a new generation of the audit log.
    func insertLogGeneration(_ row: LogGenerationRow) throws
    /// Marks this database as a backup taken at `date`.
    func setBackupTakenAt(_ date: Date) throws
    /// Records a finished retention sweep.
    func setLastRetentionSweep(at: Date, valuesRemoved: Int) throws
    /// Keeps a witness's cosigned checkpoint if it is newer than the one kept.
    func putWitnessCosignature(_ row: WitnessCosignatureRow) throws
    /// Replaces a customer's wrapped DEK if it is still `replacing` (what the caller read):
    /// `StoreError.notFound` otherwise, so a rewrap never puts back a key another writer replaced.
    func updateWrappedKey(customerID: String, replacing: Data, wrappedKey: Data, kekVersion: UInt32) throws

    /// Stores a new customer (or an erased one's tombstone, copying a vault); `StoreError.duplicate`
    /// if the id exists (live or erased).
    func insertCustomer(_ row: CustomerRow) throws
    /// Stores new customers with their records, blind indexes and consents;
    /// `StoreError.duplicate` if any id exists (live or erased).
    func insertCustomers(_ customers: [NewCustomer]) throws
    /// Inserts or replaces one sealed record.
    func putRecord(customerID: String, _ row: RecordRow) throws
    /// Replaces the customer's blind indexes.
    func replaceBlindIndexes(customerID: String, _ entries: [(field: String, digest: Data)]) throws
    /// Crypto-shreds a customer: deletes the wrapped DEK, records, indexes, consents and contests,
    /// revokes the customer's tokens, and leaves a tombstone so reads answer "erased".
    func eraseCustomer(id: String, at: Date) throws

    /// Sets a customer's consent state for a purpose.
    func setConsent(customerID: String, _ row: ConsentRow) throws

    /// Stores a token.
    func insertToken(_ row: TokenRow) throws
    /// Revokes a token; returns false if none had that id or it was already revoked.
    func revokeToken(id: String, at: Date) throws -> Bool

    /// Records a policy as the one in force.
    func insertPolicy(_ row: PolicyRow) throws

    /// Appends the next audit entry; its `seq` must equal the current size.
    func appendAuditEntry(_ row: AuditRow, at: Date) throws
    /// Stores what a transaction adds to the audit log: its entries (the first at the current
    /// size), their tree nodes and checkpoints, and deletes the checkpoint they replace.
    func appendAudit(_ append: AuditAppend) throws
    /// Stores perfect-subtree hashes completed by an append.
    func putAuditNodes(_ nodes: [(level: Int, index: UInt64, hash: Data)]) throws
    /// Stores a signed checkpoint.
    func insertCheckpoint(_ row: CheckpointRow) throws
    /// Removes a checkpoint that a newer one replaces.
    func deleteCheckpoint(size: UInt64) throws

    /// Stores a new contest.
    func insertContest(_ row: ContestRow) throws
    /// Replaces a contest's status and resolution columns.
    func updateContest(_ row: ContestRow) throws
    /// Replaces a pending contest's sealed request and status (a customer's reply).
    func updateContestRequest(_ row: ContestRow) throws
    /// Replaces a contest's sealed request and resolution, pending or not (a customer's new DEK).
    func replaceContestCiphertexts(_ row: ContestRow) throws

    /// Records an ε charge and returns its id.
    func insertCharge(_ row: ChargeRow) throws -> Int64
    /// Takes back a charge whose query released nothing.
    func deleteCharge(id: Int64) throws
    /// Stores a portal sign-in.
    func insertSignInCode(_ row: SignInCodeRow) throws
    /// Records a wrong code against a sign-in, or its use (`usedAt`).
    func updateSignInCode(id: String, attempts: Int, usedAt: Date?) throws
    /// Stores a portal session.
    func insertPortalSession(_ row: PortalSessionRow) throws
    /// Moves a session's last use on (`endedAt` set: ends it); an ended session is never reopened.
    func updatePortalSession(id: String, lastSeenAt: Date, endedAt: Date?) throws
    /// Counts one portal attempt under `bucket`.
    func recordPortalAttempt(bucket: Data, at: Date) throws
    /// Forgets sign-ins, sessions and attempts that ended before `before`.
    func prunePortal(before: Date) throws
    /// Stores a trained next-best-product model; `StoreError.duplicate` if its version exists.
    func insertRecommendationModel(_ row: ModelRow) throws
    /// Caches an aggregate answer, to be given again until `validUntil` (nil: while the key matches).
    func putCachedAnswer(queryKey: String, answer: Data, at: Date, validUntil: Date?) throws
}
