public import Foundation
import Logging
import VaultAudit
import VaultCrypto
public import VaultStore

/// What `cvault storage copy` copied and what it proved about the copy.
public struct StorageCopyReport: Sendable, Codable {
    /// The database the vault now uses, or the folder of the new vault.
    public let destination: String
    /// Customers, live and erased, in both.
    public let customers: Int
    /// Live customers whose key and every record opened in the copy.
    public let customersReadable: Int
    /// Audit entries in both.
    public let auditSize: UInt64
    /// The Merkle root of the copy's log, recomputed from its entries (base64).
    public let auditRoot: String
    /// The newest signed checkpoint, the same in both.
    public let checkpoint: String
    /// ε charges in both.
    public let charges: Int
    /// Contests in both.
    public let contests: Int
    /// Whether this run went on from an interrupted one.
    public let resumed: Bool
}

extension Vault {
    /// Moves the vault in `directory` into another database (`postgres://…`): copies everything from
    /// one snapshot, proves the copy, and only then points `vault.json` at it.
    ///
    /// No other process may have the vault open meanwhile (a write after the snapshot would be lost
    /// in the move). The old database is left as it was, never deleted: it holds customer keys
    /// wrapped under the current key epochs, and becomes undecryptable with them, like a backup.
    ///
    /// - Parameters:
    ///   - directory: the vault folder; its database must be a file database.
    ///   - database: the database to move into, one a backend in `options` accepts: empty, or holding an interrupted move.
    ///   - options: how to unlock the root key, and the backends; holding the root key is the authority here.
    ///   - progress: called with the step and its counts as the copy goes on.
    /// - Returns: what was copied and what the proof found, and whether it resumed; `vault.json` then names `database`.
    /// - Throws: `VaultError.Code.moveFromServer`, `.sameDatabase` or `.vaultInUse`, with nothing changed; the unlock
    ///   codes such as `.wrongRootKey`; `.integrityFailure` when the copy does not prove equal to its source.
    public static func moveStorage(
        of directory: URL,
        to database: String,
        options: VaultOptions,
        progress: @escaping @Sendable (StorageCopy.Progress) -> Void = { _ in }
    ) async throws -> StorageCopyReport {
        var metadata = try VaultMetadata.load(from: directory)
        // A server database may have instances on other hosts, which a lock on this folder cannot stop.
        guard !metadata.isServerDatabase else {
            throw VaultError.invalid(
                .moveFromServer,
                "the vault already lives in a database server; moves go from a file database (copy it to a folder as an SQLite file first)"
            )
        }
        guard database != metadata.database else {
            throw VaultError.invalid(.sameDatabase, "the vault already uses \(database); name another database to copy it into")
        }
        let backend = try options.backends.backend(for: database)
        let (keys, _) = try unlock(metadata, in: directory, options: options)
        let keks = try EpochKeyStore(directory: directory).keys(vaultID: metadata.vaultID, hierarchy: keys)
        let exclusive: FileLock
        do {
            exclusive = try lock(directory, exclusive: true)
        } catch VaultError.Code.vaultInUse {
            throw VaultError.conflict(
                .vaultInUse,
                "the vault at \(directory.path) is open in another process (`cvault serve`, or a command still running): stop it first, then move it; nothing was changed"
            )
        }
        defer { exclusive.unlock() }
        let source = try await options.backends.backend(for: metadata.database).open(metadata.database, in: directory, durability: options.durability)
        defer { try? source.close() }
        let copy = FacadeStorage(base: try await backend.open(database, in: directory, durability: options.durability))
        defer { try? copy.close() }
        let summary = try await StorageCopy.copy(from: FacadeStorage(base: source), to: copy, progress: progress)
        let proof = try await prove(copy, matches: FacadeStorage(base: source), metadata: metadata, keyring: Keyring(keks))
        metadata.database = database
        try metadata.write(to: directory)
        options.logger.notice(
            "moved the vault into another database",
            metadata: ["customers": "\(proof.customers)", "audit_size": "\(proof.auditSize)"]
        )
        return StorageCopyReport(
            destination: database,
            customers: proof.customers,
            customersReadable: proof.readable,
            auditSize: proof.auditSize,
            auditRoot: proof.root,
            checkpoint: proof.checkpoint,
            charges: proof.charges,
            contests: proof.contests,
            resumed: summary.resumed
        )
    }

    /// What a proof found: both databases hold the same, and the copy's log and customers open.
    struct CopyProof {
        var customers: Int
        var readable: Int
        var auditSize: UInt64
        var root: String
        var checkpoint: String
        var charges: Int
        var contests: Int
    }

    /// Holds `copy` to `source`: the same log (recomputed and verified against its signed
    /// checkpoints), the same customers, budgets and contests, and every live customer's key and
    /// records open under the vault's keys.
    static func prove(_ copy: any VaultStorage, matches source: any VaultStorage, metadata: VaultMetadata, keyring: Keyring) async throws -> CopyProof
    {
        let publicKey = try Ed25519.PublicKey(rawRepresentation: Array(Data(base64Encoded: metadata.publicKey) ?? Data()))
        @Sendable func facts(_ tx: any StorageReader) throws -> [String] {
            let counts = try tx.customerCounts()
            return [
                "vault \(try tx.vaultID() ?? "none")", "customers \(counts.live) live, \(counts.erased) erased",
                "audit size \(try tx.auditSize())", "newest checkpoint \(try tx.latestCheckpoint()?.note ?? "none")",
                "checkpoints \(try tx.checkpoints().count)",
                "charges \(try tx.charges().map { "\($0.analyst) \($0.microEpsilon) \($0.at.timeIntervalSince1970)" })",
                "contests \(try tx.contests(customerID: nil, statuses: nil).map { "\($0.id) \($0.status.rawValue)" })",
                // A revocation the copy missed would bring a token back to life.
                "tokens \(try tx.tokens().map { "\($0.id) \($0.revokedAt?.timeIntervalSince1970 ?? -1) \($0.expiresAt?.timeIntervalSince1970 ?? -1)" }.sorted())",
                "policies \(try tx.policies().map(\.hash))", "key epochs \(try tx.keks().map { "\($0.version) \($0.destroyedAt != nil)" })",
                "data version \(try tx.dataVersion())",
            ]
        }
        let expected = try await source.read(facts)
        let (found, report, counts) = try await copy.read { tx in
            let generations = [(UInt64(0), metadata.origin)] + (try tx.logGenerations().map { ($0.fromSize, $0.origin) })
            return (
                try facts(tx), try verify(tx, generations: generations, publicKey: publicKey, external: nil, anchor: (nil, "")),
                (
                    customers: try tx.customerCounts(), charges: try tx.charges().count,
                    contests: try tx.contests(customerID: nil, statuses: nil).count, checkpoint: try tx.latestCheckpoint()?.note ?? ""
                )
            )
        }
        if let difference = zip(expected, found).first(where: { $0 != $1 }) {
            throw VaultError.integrity(
                "the copy differs from its source (source: \(difference.0); copy: \(difference.1)); the vault still uses its old database"
            )
        }
        guard report.ok else {
            throw VaultError.integrity(
                "the copy's audit log does not verify (\(report.problems.first ?? "unknown")); the vault still uses its old database"
            )
        }
        // Every live customer's key and records open in the copy; one the source could not open
        // either (a damaged row, a destroyed epoch) stays so.
        let (readable, unreadable) = try await openCounts(copy, keyring: keyring)
        let sourceUnreadable = try await openCounts(source, keyring: keyring).unreadable
        guard unreadable == sourceUnreadable else {
            throw VaultError.integrity(
                "\(unreadable) customers do not open in the copy, \(sourceUnreadable) in the source; the vault still uses its old database"
            )
        }
        return CopyProof(
            customers: counts.customers.live + counts.customers.erased,
            readable: readable,
            auditSize: report.entries,
            root: report.root,
            checkpoint: counts.checkpoint,
            charges: counts.charges,
            contests: counts.contests
        )
    }

    /// How many live customers of `storage` open (key and every record) under `keyring`, and how many do not.
    private static func openCounts(_ storage: any VaultStorage, keyring: Keyring) async throws -> (readable: Int, unreadable: Int) {
        var after: String?
        var counts = (readable: 0, unreadable: 0)
        while true {
            let page = try await storage.read { [after] tx in
                try tx.liveCustomers(after: after, limit: 500).map { customer in
                    (customer.id, try tx.customer(id: customer.id)?.wrappedKey, try tx.records(customerID: customer.id))
                }
            }
            guard let last = page.last else { return counts }
            for (id, wrapped, records) in page {
                do {
                    guard let wrapped else { throw VaultError.integrity("no key") }
                    let dek = try keyring.dek(customerID: id, wrapped: Array(wrapped))
                    for record in records { _ = try RecordSealer.open(record, customerID: id, dek: dek) }
                    counts.readable += 1
                } catch {
                    counts.unreadable += 1
                }
            }
            after = last.0
        }
    }
}

extension Vault {
    /// Copies the vault in `directory` into a new vault folder `target` with its own SQLite file — a
    /// copy to investigate on a laptop — from one snapshot, while the vault goes on serving.
    ///
    /// The copy is a backup restored into `target`: it must prove its own log, customers erased
    /// since are erased again, and its log continues as a new generation under its own origin, so
    /// nothing it records can pass for the original's log. It gets the key store and the erasure
    /// ledger, and the root key file when that lives in the vault folder; no witnesses.
    ///
    /// - Parameters:
    ///   - directory: the vault folder to copy; it may stay open elsewhere.
    ///   - target: the new folder; it must not exist or be empty, and is removed again if the copy fails.
    ///   - options: how to unlock the root key; the backup is taken as the local operator, whose role needs `rotate_keys`.
    /// - Returns: the restore's report on the copy, whose origin is the copy's own.
    /// - Throws: `VaultError.Code.vaultExists` for a `target` in use; the errors of `backup(to:by:)` and of
    ///   `restore(from:into:confirm:options:)`.
    public static func copyToNewFolder(from directory: URL, into target: URL, options: VaultOptions) async throws -> RestoreReport {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: target.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, (try? fileManager.contentsOfDirectory(atPath: target.path))?.isEmpty == true else {
                throw VaultError.conflict(
                    .vaultExists,
                    "\(target.path) already exists and is not an empty folder; choose a new folder for the copy"
                )
            }
        }
        var metadata = try VaultMetadata.load(from: directory)
        // A failed copy removes what it wrote, but not an empty folder the caller made for it.
        let targetExisted = fileManager.fileExists(atPath: target.path)
        try fileManager.createDirectory(at: target, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        do {
            let staging = target.appendingPathComponent(".copy-\(UUID().uuidString).sqlite").path
            defer { for suffix in ["", "-wal", "-shm"] { try? fileManager.removeItem(atPath: staging + suffix) } }
            let vault = try await open(at: directory, options: options)
            do {
                _ = try await vault.backup(to: staging, by: .localOperator)
            } catch {
                try? vault.close()
                throw error
            }
            try vault.close()
            for name in [EpochKeyStore.fileName, ErasureLedger.fileName]
            where fileManager.fileExists(atPath: directory.appendingPathComponent(name).path) {
                try fileManager.copyItem(at: directory.appendingPathComponent(name), to: target.appendingPathComponent(name))
            }
            if metadata.rootKey.kind == "file", let path = metadata.rootKey.path, !path.hasPrefix("/") {
                try fileManager.copyItem(at: directory.appendingPathComponent(path), to: target.appendingPathComponent(path))
            }
            metadata.database = "vault.sqlite"
            metadata.witnesses = nil
            try metadata.write(to: target)
            return try await restore(from: staging, into: target, confirm: true, options: options)
        } catch {
            if targetExisted {
                for item in (try? fileManager.contentsOfDirectory(atPath: target.path)) ?? [] {
                    try? fileManager.removeItem(at: target.appendingPathComponent(item))
                }
            } else {
                try? fileManager.removeItem(at: target)
            }
            throw error
        }
    }
}
