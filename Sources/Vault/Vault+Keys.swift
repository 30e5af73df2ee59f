public import Foundation
import Logging
import VaultAudit
import VaultCrypto
public import VaultPolicy
import VaultStore

/// Where the key hierarchy stands.
public struct KeyStatus: Sendable, Codable {
    /// One key epoch.
    public struct Epoch: Sendable, Codable {
        /// Its version.
        public let version: UInt32
        /// When it was created.
        public let createdAt: Date
        /// When its key was destroyed (nil while it lives).
        public let destroyedAt: Date?
    }

    /// Live key epochs (KEK versions), oldest first.
    public let versions: [UInt32]
    /// The epoch new customer keys are wrapped under.
    public let current: UInt32
    /// Live customers per epoch.
    public let customersByVersion: [String: Int]
    /// A roll that has not finished (resume with `keys roll`).
    public let rotationInProgress: UInt32?
    /// Every epoch the vault ever had, destroyed ones included.
    public let epochs: [Epoch]
    /// How long an epoch lives (ISO 8601).
    public let epochPeriod: String
    /// When the current epoch's life ends and the next roll is due.
    public let nextRollDue: Date
}

extension Vault {
    /// Rolls to a new key epoch: claims the next version in the database, puts its KEK in the key
    /// store, rewraps every customer key under it in batches (no data is re-encrypted), and then
    /// destroys every older epoch — in the key store, the only place its key ever was, and so for
    /// every backup made while it was current. Resumes an unfinished roll instead of starting
    /// another. `progress` gets (rewrapped so far, total) and may throw to stop (the next call resumes).
    @discardableResult
    public func rollKeyEpoch(by principal: Principal, batchSize: Int = 2000,
                             progress: @escaping @Sendable (Int, Int) throws -> Void = { _, _ in }) async throws -> KeyStatus {
        try requireOperation(.rotateKeys, principal)
        try await roll(by: principal, batchSize: batchSize, progress: progress)
        return try await keyStatus(by: principal)
    }

    private func roll(by principal: Principal, batchSize: Int, progress: @escaping @Sendable (Int, Int) throws -> Void) async throws {
        let now = clock.now()
        let rotation = try await storage.read { tx in try tx.latestRotation() }
        let version: UInt32
        if let rotation, rotation.completedAt == nil {
            version = rotation.toVersion
            logger.info("resuming a key epoch roll", metadata: ["to_version": "\(version)"])
        } else {
            // The database claims the version (its primary key admits one claimant), before any
            // key exists; only then does the key store get the key.
            version = try await mutate { tx, audit in
                let version = (try tx.keks().map(\.version).max() ?? 0) + 1
                try tx.insertKEK(KEKRow(version: version, createdAt: now))
                try tx.insertRotation(RotationRow(toVersion: version, startedAt: now, completedAt: nil))
                try audit.append(AuditDraft(principal: principal, op: "keys.roll.start", decision: .allow, reason: "operator",
                                            details: ["kek_version": String(version)]))
                return version
            }
        }
        let target = try epochKey(version, createdAt: now)
        keyring.add(target)
        // Peers (a running `cvault serve`) must know the new epoch before customers are wrapped under it.
        try await Task.sleep(for: peerRefreshWait)

        let total = try await storage.read { tx in try tx.customerCountsByKEK().filter { $0.key != version }.values.reduce(0, +) }
        var done = 0
        try progress(done, total)
        while true {
            let batch = try await storage.read { tx in try tx.customersNotWrapped(under: version, limit: batchSize) }
            if batch.isEmpty { break }
            var rewrapped: [(String, Data)] = []
            rewrapped.reserveCapacity(batch.count)
            for customer in batch {
                let dek = try keyring.dek(customerID: customer.id, wrapped: Array(customer.wrappedKey!))
                rewrapped.append((customer.id, Data(try target.wrap(dek, customerID: customer.id, random: random).serialized)))
            }
            let items = rewrapped
            try await storage.write { tx in
                for (id, wrapped) in items {
                    // A customer erased meanwhile simply has nothing left to rewrap.
                    do {
                        try tx.updateWrappedKey(customerID: id, wrappedKey: wrapped, kekVersion: version)
                    } catch let error as StoreError where error.code == "not_found" {
                        continue
                    }
                }
            }
            done += batch.count
            try progress(min(done, total), total)
        }
        let rewrapped = done
        try await mutate { tx, audit in
            try tx.completeRotation(toVersion: version, at: self.clock.now())
            try audit.append(AuditDraft(principal: principal, op: "keys.roll.complete", decision: .allow, reason: "operator",
                                        details: ["kek_version": String(version), "rewrapped": String(rewrapped)]))
        }
        try await destroyRetiredEpochs(by: principal)
    }

    /// Rolls when the current epoch has outlived the vault's epoch period, or finishes a roll that
    /// stopped half-way; does nothing otherwise. Returns whether it rolled.
    ///
    /// This is the vault keeping its own schedule, which erasure receipts promise: it needs no
    /// grant from the policy, and its audit entries name `vault:key-schedule` as the actor.
    @discardableResult
    public func rollKeyEpochIfDue(progress: @escaping @Sendable (Int, Int) throws -> Void = { _, _ in }) async throws -> Bool {
        let (rows, rotation) = try await storage.read { tx in (try tx.keks(), try tx.latestRotation()) }
        let pending = rotation.map { $0.completedAt == nil } ?? false
        guard pending || Self.rollDue(newest: rows.last?.createdAt, period: epochPeriod) <= clock.now() else { return false }
        logger.notice("rolling the key epoch", metadata: ["reason": "\(pending ? "an unfinished roll" : "the epoch period ended")"])
        try await roll(by: .keySchedule, batchSize: 2000, progress: progress)
        return true
    }

    /// When an epoch created at `newest` is due to be replaced.
    static func rollDue(newest: Date?, period: ISO8601Duration) -> Date {
        newest.map { period.adding(to: $0) } ?? .distantPast
    }

    /// The KEK of epoch `version` from the key store, generating and storing it if the epoch was
    /// claimed but its key never written (a roll that stopped in between).
    private func epochKey(_ version: UInt32, createdAt: Date) throws -> KeyEncryptionKey {
        let vaultID = metadata.vaultID
        let wrapped = try keyStore.update(vaultID: vaultID) { contents -> [UInt8] in
            if let epoch = contents.epochs.first(where: { $0.version == version }), let wrapped = Data(base64Encoded: epoch.wrapped) {
                return Array(wrapped)
            }
            let kek = KeyEncryptionKey.generate(version: version, using: random)
            let wrapped = try keys.wrapEpoch(kek, random: random)
            contents.epochs.append(.init(version: version, createdAt: createdAt, wrapped: Data(wrapped).base64EncodedString()))
            return wrapped
        }
        do {
            return try keys.unwrapEpoch(wrapped, version: version)
        } catch {
            throw VaultError.integrity("key epoch \(version) in \(keyStore.path) failed its integrity check")
        }
    }

    /// Destroys every epoch older than the newest once no live customer key depends on it: the
    /// database marks it first (from then on nothing can be wrapped under it), then its key leaves
    /// the key store and memory. Also finishes a destruction a crash interrupted. Erasure-ledger
    /// records that no live backup can need any more are dropped.
    func destroyRetiredEpochs(by principal: Principal) async throws {
        let (rows, rotation) = try await storage.read { tx in (try tx.keks(), try tx.latestRotation()) }
        guard let newest = rows.last?.version, rotation?.completedAt != nil || rotation == nil else { return }
        var destroyed: [UInt32] = []
        if rows.contains(where: { $0.version < newest && $0.destroyedAt == nil }) {
            let now = clock.now()
            destroyed = try await record { tx, audit in
                // Decided again inside the transaction: a key wrapped meanwhile keeps its epoch alive.
                let counts = try tx.customerCountsByKEK()
                var destroyed: [UInt32] = []
                for row in try tx.keks() where row.version < newest && row.destroyedAt == nil && (counts[row.version] ?? 0) == 0 {
                    try tx.markEpochDestroyed(version: row.version, at: now)
                    destroyed.append(row.version)
                }
                if !destroyed.isEmpty {
                    try audit.append(AuditDraft(principal: principal, op: "keys.epoch.destroy", decision: .allow, reason: "operator",
                                                details: ["kek_versions": destroyed.map(String.init).joined(separator: ",")]))
                }
                return destroyed
            }
        }
        let dead = Set(rows.filter { $0.destroyedAt != nil }.map(\.version)).union(destroyed)
        let vaultID = metadata.vaultID
        if try keyStore.load(vaultID: vaultID)?.epochs.contains(where: { dead.contains($0.version) }) == true {
            try keyStore.update(vaultID: vaultID) { contents in
                contents.epochs.removeAll { dead.contains($0.version) }
            }
        }
        for version in dead where keyring.contains(version: version) { keyring.remove(version: version) }
        if let oldestLive = rows.map(\.version).filter({ !dead.contains($0) }).min() {
            // A record stays one epoch longer than strictly needed: an erasure may have raced a roll.
            try erasureLedger.prune(keepingFrom: oldestLive > 0 ? oldestLive - 1 : 0)
        }
        if !destroyed.isEmpty {
            logger.notice("destroyed key epochs", metadata: ["kek_versions": "\(destroyed.map(String.init).joined(separator: ","))"])
        }
    }

    /// Key epochs, customers per epoch, any unfinished roll, and when the next roll is due.
    public func keyStatus(by principal: Principal) async throws -> KeyStatus {
        try requireOperation(.rotateKeys, principal)
        let period = epochPeriod
        return try await storage.read { tx in
            let rows = try tx.keks()
            let live = rows.filter { $0.destroyedAt == nil }.map(\.version)
            let rotation = try tx.latestRotation()
            let counts = try tx.customerCountsByKEK()
            return KeyStatus(versions: live, current: rows.last?.version ?? 0,
                             customersByVersion: Dictionary(uniqueKeysWithValues: counts.map { (String($0.key), $0.value) }),
                             rotationInProgress: rotation?.completedAt == nil ? rotation?.toVersion : nil,
                             epochs: rows.map { KeyStatus.Epoch(version: $0.version, createdAt: $0.createdAt, destroyedAt: $0.destroyedAt) },
                             epochPeriod: period.description, nextRollDue: Self.rollDue(newest: rows.last?.createdAt, period: period))
        }
    }
}
