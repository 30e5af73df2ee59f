public import Foundation
import Logging
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultStore

#if canImport(Glibc)
import Glibc
#endif

/// A backup the vault made.
public struct BackupInfo: Sendable, Codable {
    /// Where it was written.
    public let path: String
    /// When.
    public let takenAt: Date
    /// The audit log's size in it.
    public let logSize: UInt64
    /// The signed checkpoint it ends with.
    public let checkpoint: String
    /// The key epochs its customer keys are wrapped under: it can be decrypted only while they live.
    public let keyEpochs: [UInt32]
    /// When the newest of them is due to be destroyed, and with it every way to decrypt the backup.
    public let undecryptableFrom: Date
}

/// What a restore did.
public struct RestoreReport: Sendable, Codable {
    /// The backup's audit log size: the log now continues from there.
    public let backupLogSize: UInt64
    /// When the backup was taken, if it says.
    public let backupTakenAt: Date?
    /// The size of the newest checkpoint the vault had signed before (from its anchor), if known:
    /// the entries from `backupLogSize` up to it are what the restore rolled back.
    public let previousLogSize: UInt64?
    /// Customers erased after the backup was taken, erased again from the erasure ledger.
    public let erasuresReapplied: Int
    /// Customers whose key epoch was destroyed: their data could not be decrypted, so they were erased.
    public let customersUnreadable: Int
    /// Live customers in the restored vault.
    public let customersRestored: Int
    /// ε charges spent after the backup, carried over from the replaced database so no budget comes
    /// back; nil when there was no readable database to take them from.
    public let chargesCarriedOver: Int?
    /// The new generation's checkpoint origin: witnesses must be told to accept it.
    public let origin: String
    /// Where the database that was replaced was kept, if there was one.
    public let replacedDatabase: String?
    /// The first signed checkpoint of the new generation.
    public let checkpoint: String
}

extension Vault {
    /// Takes an online, consistent backup of the database into a new file (SQLite's backup API).
    ///
    /// The backup holds customer keys wrapped under key epochs, never the epochs' keys (those stay
    /// in the key store): it can be restored only while its epochs live, and becomes undecryptable
    /// for everyone once they are destroyed — which is what lets erasure reach backups.
    public func backup(to destination: String, by principal: Principal) async throws -> BackupInfo {
        try requireOperation(.rotateKeys, principal)
        let takenAt = clock.now()
        if metadata.isServerDatabase {
            try await copyIntoNewFile(destination)
        } else {
            try await storage.backup(to: destination)
        }
        // What is in the copy, read from the copy itself; the taking time goes into it too.
        let copy = try await backends.backend(for: destination).openBackup(at: destination, durability: .full)
        let (size, latest, counts, rows) = try await copy.write { tx in
            try tx.setBackupTakenAt(takenAt)
            return (try tx.auditSize(), try tx.latestCheckpoint(), try tx.customerCountsByKEK(), try tx.keks())
        }
        try copy.close()
        let epochs = counts.keys.sorted()
        let newest = rows.filter { epochs.contains($0.version) }.map(\.createdAt).max() ?? rows.last?.createdAt
        let info = BackupInfo(
            path: destination,
            takenAt: takenAt,
            logSize: size,
            checkpoint: latest?.note ?? "",
            keyEpochs: epochs,
            undecryptableFrom: Self.rollDue(newest: newest, period: epochPeriod)
        )
        try await record { _, audit in
            try audit.append(
                AuditDraft(
                    principal: principal,
                    op: .vaultBackup,
                    decision: .allow,
                    reason: .byOperator,
                    details: [
                        "log_size": String(size), "kek_versions": epochs.map(String.init).joined(separator: ","),
                        "file": (destination as NSString).lastPathComponent,
                    ]
                )
            )
        }
        logger.notice("backup taken", metadata: ["log_size": "\(size)"])
        return info
    }

    /// Restores the database in `directory` from a backup — the one legitimate rollback of the log.
    ///
    /// The vault folder keeps its `vault.json`, root key and key store; the backup's database takes
    /// the place of the current one, which is kept aside. Nothing the backup cannot prove is
    /// accepted: its log must verify. Customers under destroyed key epochs cannot be decrypted and
    /// are erased; customers erased after the backup was taken are erased again from the erasure
    /// ledger. The log continues as a new generation under a new origin, and its first entry
    /// records what was restored, from which checkpoint, and what was rolled back.
    ///
    /// - Parameters:
    ///   - backupPath: a backup file `backup(to:by:)` made of this vault.
    ///   - directory: the vault folder; its database must be a file database (restore a server's into a copy, then move it).
    ///   - confirm: false: only check the backup and throw `confirmationRequired` with what would be rolled back.
    ///   - options: how to unlock the root key; holding it is the authority here, as no policy grant is asked.
    /// - Returns: what the restore did, with the new generation's origin, which witnesses must be told to accept.
    /// - Throws: `VaultError.Code.restoreNeedsFileDatabase`, `.backupOfAnotherVault`, `.backupUnverified`,
    ///   `.backupUndecryptable` or `.confirmationRequired` with nothing changed; `.vaultInUse` while another process
    ///   has the vault open; `.wrongRootKey` and the other unlock codes; `.integrityFailure` without a key store.
    public static func restore(
        from backupPath: String,
        into directory: URL,
        confirm: Bool,
        options: VaultOptions
    ) async throws -> RestoreReport {
        let metadata = try VaultMetadata.load(from: directory)
        guard !metadata.isServerDatabase else {
            throw VaultError.invalid(
                .restoreNeedsFileDatabase,
                "\(directory.path) keeps its data in a database server; restore the backup into a folder with a file database (a copy of this folder whose vault.json names vault.sqlite), then move it with `cvault storage copy`"
            )
        }
        let (keys, signingKey) = try unlock(metadata, in: directory, options: options)
        let keyStore = EpochKeyStore(directory: directory)
        let keks = try keyStore.keys(vaultID: metadata.vaultID, hierarchy: keys)
        guard !keks.isEmpty else {
            throw VaultError.integrity("the key store \(keyStore.path) is missing or empty: no backup can be decrypted without it")
        }
        let live = Set(keks.map(\.version))
        let now = options.clock.now()
        let stamp = AuditTimestamp(now).rfc3339.filter { $0.isNumber }
        let staging = directory.appendingPathComponent(".restore-\(stamp).sqlite").path
        let backend = try options.backends.backend(for: backupPath)
        try backend.copyBackup(from: backupPath, to: staging)
        var staged: (any VaultStorage)? = try await backend.openBackup(at: staging, durability: options.durability)
        defer {
            try? staged?.close()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: staging + suffix) }
        }

        // The backup must be this vault's and prove its own log.
        let publicKey = signingKey.publicKey
        let (storedID, generationRows, counts, takenAt, report, latest, policyRow) = try await staged!.read { tx in
            let generations = try tx.logGenerations()
            let all = [(UInt64(0), metadata.origin)] + generations.map { ($0.fromSize, $0.origin) }
            return (
                try tx.vaultID(), generations, try tx.customerCountsByKEK(), try tx.backupTakenAt(),
                try verify(tx, generations: all, publicKey: publicKey, external: nil, anchor: (nil, "")),
                try tx.latestCheckpoint(), try tx.activePolicy()
            )
        }
        guard storedID == metadata.vaultID else {
            throw VaultError.invalid(.backupOfAnotherVault, "\(backupPath) is a backup of another vault; nothing was changed")
        }
        guard report.ok, let latest, let policyRow else {
            throw VaultError.invalid(
                .backupUnverified,
                "\(backupPath) does not prove its own audit log (\(report.problems.first ?? "it has no signed checkpoint")); nothing was changed"
            )
        }
        let readable = counts.filter { live.contains($0.key) }.values.reduce(0, +)
        let unreadable = counts.filter { !live.contains($0.key) }.values.reduce(0, +)
        guard readable > 0 || unreadable == 0 else {
            throw VaultError.invalid(
                .backupUndecryptable,
                "nothing in \(backupPath) can be decrypted any more: it depends on key epoch(s) \(counts.keys.sorted().map(String.init).joined(separator: ", ")), which were destroyed; nothing was changed"
            )
        }
        let anchorPath = directory.appendingPathComponent(LocalAnchor.fileName).path
        let previous = (try? DurableFile.read(anchorPath)).flatMap { $0 }.flatMap { try? SignedCheckpoint.parse(String(decoding: $0, as: UTF8.self)) }
        guard confirm else {
            throw VaultError.invalid(
                .confirmationRequired,
                """
                restoring replaces the vault's database with the backup, whose audit log ends at size \(latest.size)\
                \(previous.map { " (the vault had signed up to size \($0.checkpoint.size))" } ?? ""): everything after it is rolled back, \
                except erasures, which are applied again. Confirm it explicitly; nothing was changed
                """
            )
        }

        // From here on no other process may have the vault open: an erasure committed into the
        // database about to be set aside would otherwise be missed.
        let exclusive = try lock(directory, exclusive: true)
        defer { exclusive.unlock() }
        let database = directory.appendingPathComponent(metadata.database).path
        let carried = await carryOverCharges(from: database, to: staged!, backend: backend)

        // The restore itself runs on the staged copy; the vault's files change only once it committed.
        let origin = "\(metadata.origin)/restored-\(stamp)"
        let generation = LogGenerationRow(fromSize: latest.size, origin: origin, createdAt: now)
        let policy = try parsePolicy(policyRow.text, fileName: policyRow.fileName, stored: true)
        let stagedAnchor = LocalAnchor(path: staging + ".anchor", logger: options.logger)
        let vault = Vault(
            directory: directory,
            metadata: metadata,
            storage: staged!,
            keys: keys,
            signingKey: signingKey,
            keyring: Keyring(keks),
            policy: ActivePolicy(policy: policy, fileName: policyRow.fileName),
            generations: generationRows + [generation],
            anchor: stagedAnchor,
            witnessClient: nil,
            options: options
        )
        let erased = try ErasureLedger(directory: directory).tags()
        var after: String?
        var reapplied: [String] = []
        var lost: [String] = []
        while true {
            let batch = try await staged!.read { [after] tx in try tx.liveCustomers(after: after, limit: 5000) }
            guard let last = batch.last else { break }
            for customer in batch {
                if !live.contains(customer.kekVersion) {
                    lost.append(customer.id)
                } else if erased.contains(keys.erasureTag(customerID: customer.id)) {
                    reapplied.append(customer.id)
                }
            }
            after = last.id
        }
        let replay = (reapplied: reapplied, lost: lost)
        let details = [
            "backup_log_size": String(latest.size), "backup_root": latest.root.base64EncodedString(),
            "backup_taken_at": takenAt.map { AuditTimestamp($0).rfc3339 } ?? "unknown",
            "previous_log_size": previous.map { String($0.checkpoint.size) } ?? "unknown",
            "previous_origin": previous?.checkpoint.origin ?? "unknown",
            "erasures_reapplied": String(reapplied.count), "customers_unreadable": String(lost.count),
            "origin": origin, "charges_carried_over": carried.map(String.init) ?? "unknown",
        ]
        let checkpoint = try await vault.record { tx, audit in
            try tx.insertLogGeneration(generation)
            // A backup from before key epochs holds its KEKs under the root: they must not come back.
            try tx.clearStoredKEKs()
            try audit.append(AuditDraft(principal: .localOperator, op: .vaultRestore, decision: .allow, reason: .byOperator, details: details))
            for id in replay.reapplied {
                try tx.eraseCustomer(id: id, at: now)
                try audit.append(
                    AuditDraft(principal: .localOperator, customer: id, op: .customerErase, decision: .allow, reason: .erasureReapplied)
                )
            }
            for id in replay.lost {
                try tx.eraseCustomer(id: id, at: now)
                try audit.append(
                    AuditDraft(principal: .localOperator, customer: id, op: .customerErase, decision: .allow, reason: .keyEpochDestroyed)
                )
            }
            try tx.bumpDataVersion()
            return try audit.checkpoint(origin: origin, signingKey: signingKey)
        }
        let remaining = try await staged!.read { tx in try tx.customerCounts().live }
        try await staged!.compact()
        try staged!.close()
        staged = nil
        await LocalAnchor.settle(timeout: .seconds(5))

        // Swap the files: the current database (if any) is kept aside, never deleted.
        var replaced: String?
        if FileManager.default.fileExists(atPath: database) {
            let aside = database + ".replaced-\(stamp)"
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: database + suffix) {
                try FileManager.default.moveItem(atPath: database + suffix, toPath: aside + suffix)
            }
            replaced = aside
        }
        try FileManager.default.moveItem(atPath: staging, toPath: database)
        try LocalAnchor(path: anchorPath, logger: options.logger).reset(to: checkpoint.note)
        try? FileManager.default.removeItem(atPath: stagedAnchor.path)
        options.logger.notice("restored the vault from a backup", metadata: ["backup_log_size": "\(latest.size)", "origin": "\(origin)"])
        return RestoreReport(
            backupLogSize: latest.size,
            backupTakenAt: takenAt,
            previousLogSize: previous?.checkpoint.size,
            erasuresReapplied: reapplied.count,
            customersUnreadable: lost.count,
            customersRestored: remaining,
            chargesCarriedOver: carried,
            origin: origin,
            replacedDatabase: replaced,
            checkpoint: checkpoint.note
        )
    }

    /// Backs a server database up into a new file of the file backend, through the storage protocol,
    /// from one snapshot of the database.
    private func copyIntoNewFile(_ destination: String) async throws {
        let backend = try backends.backend(for: destination)
        // Never over an existing file, and the owner's alone from its first byte.
        let fd = Glibc.open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw VaultError.conflict(
                .backupExists,
                errno == EEXIST
                    ? "\(destination) already exists; refusing to overwrite it (choose a new file name)"
                    : "cannot create the backup file \(destination): \(String(cString: strerror(errno)))"
            )
        }
        Glibc.close(fd)
        do {
            let copy = try await backend.openBackup(at: destination, durability: .full)
            defer { try? copy.close() }
            _ = try await StorageCopy.copy(from: storage, to: copy)
        } catch {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: destination + suffix) }
            throw error
        }
    }

    /// Copies into the restored database the ε charges the backup does not have, from the database
    /// it replaces: a restore must not hand analysts back privacy budget they spent. Nil when that
    /// database is missing or unreadable (the report says so).
    private static func carryOverCharges(from database: String, to staged: any VaultStorage, backend: any StorageBackend) async -> Int? {
        guard FileManager.default.fileExists(atPath: database), let current = try? await backend.openBackup(at: database, durability: .full) else {
            return nil
        }
        defer { try? current.close() }
        guard let charges = try? await current.read({ tx in try tx.charges() }) else { return nil }
        return try? await staged.write { tx in
            let known = Set(try tx.charges().map { "\($0.analyst)|\($0.microEpsilon)|\($0.at.timeIntervalSince1970)|\($0.queryKey)" })
            var added = 0
            for charge in charges
            where !known.contains("\(charge.analyst)|\(charge.microEpsilon)|\(charge.at.timeIntervalSince1970)|\(charge.queryKey)") {
                _ = try tx.insertCharge(charge)
                added += 1
            }
            return added
        }
    }
}
