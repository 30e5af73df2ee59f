public import Foundation
import Logging
import VaultAudit
import VaultCrypto
import VaultPolicy
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
    /// another; waits while another process rolls. `progress` gets (rewrapped so far, total) and may
    /// throw to stop (the next call resumes).
    ///
    /// - Parameters:
    ///   - principal: a role the policy grants `rotate_keys`.
    ///   - batchSize: customer keys rewrapped per transaction.
    ///   - progress: called with (keys rewrapped so far, keys to rewrap); an error it throws stops the roll.
    /// - Returns: the key epochs and customers per epoch after the roll, and when the next one is due.
    /// - Throws: kind `.denied` without `rotate_keys`; `VaultError.Code.integrityFailure` for an epoch key in the key
    ///   store that fails its check; whatever `progress` throws.
    @discardableResult
    public func rollKeyEpoch(
        by principal: Principal,
        batchSize: Int = 2000,
        progress: @escaping @Sendable (Int, Int) throws -> Void = { _, _ in }
    ) async throws -> KeyStatus {
        try requireOperation(.rotateKeys, principal)
        let lock = try FileLock(path: keyStore.rollLockPath)
        await lock.lock(exclusive: true)
        defer { lock.unlock() }
        try await roll(by: principal, batchSize: batchSize, progress: progress)
        return try await keyStatus(by: principal)
    }

    /// Rolls when the current epoch has outlived the vault's epoch period, or finishes a roll that
    /// stopped half-way; does nothing otherwise, or while another process rolls. Returns whether it rolled.
    ///
    /// This is the vault keeping its own schedule, which erasure receipts promise: it needs no
    /// grant from the policy, and its audit entries name `vault:key-schedule` as the actor. The
    /// schedule is read from the key store, outside the database, so editing the database cannot
    /// postpone it.
    @discardableResult
    public func rollKeyEpochIfDue(progress: @escaping @Sendable (Int, Int) throws -> Void = { _, _ in }) async throws -> Bool {
        let rotation = try await storage.read { tx in try tx.latestRotation() }
        let pending = rotation.map { $0.completedAt == nil } ?? false
        let newest = try keyStore.newest(vaultID: metadata.vaultID)
        guard pending || Self.rollDue(newest: newest?.createdAt, period: epochPeriod) <= clock.now() else { return false }
        let lock = try FileLock(path: keyStore.rollLockPath)
        guard lock.tryLock(exclusive: true) else { return false }
        defer { lock.unlock() }
        logger.notice("rolling the key epoch", metadata: ["reason": "\(pending ? "an unfinished roll" : "the epoch period ended")"])
        try await roll(by: .keySchedule, batchSize: 2000, progress: progress)
        return true
    }

    /// When an epoch created at `newest` is due to be replaced.
    static func rollDue(newest: Date?, period: ISO8601Duration) -> Date {
        newest.map { period.adding(to: $0) } ?? .distantPast
    }

    /// The roll itself; the caller holds the roll lock.
    private func roll(by principal: Principal, batchSize: Int, progress: @escaping @Sendable (Int, Int) throws -> Void) async throws {
        // Another process may have rolled since this one loaded its keys: the key store decides.
        try syncKeyring()
        let now = clock.now()
        let inStore = try keyStore.load(vaultID: metadata.vaultID)?.epochs.map(\.version).max() ?? 0
        // Claimed inside the write transaction: a roll left unfinished is joined, never doubled.
        let (version, resumed) = try await mutate { tx, audit -> (UInt32, Bool) in
            if let rotation = try tx.latestRotation(), rotation.completedAt == nil { return (rotation.toVersion, true) }
            let version = max(try tx.keks().map(\.version).max() ?? 0, inStore) + 1
            try tx.insertKEK(KEKRow(version: version, createdAt: now))
            try tx.insertRotation(RotationRow(toVersion: version, startedAt: now, completedAt: nil))
            try audit.append(
                AuditDraft(
                    principal: principal,
                    op: .keysRollStart,
                    decision: .allow,
                    reason: .byOperator,
                    details: ["kek_version": String(version)]
                )
            )
            return (version, false)
        }
        if resumed { logger.info("resuming a key epoch roll", metadata: ["to_version": "\(version)"]) }
        let target = try epochKey(version, createdAt: now)
        keyring.add(target)
        // Peers (a running `cvault serve`) must know the new epoch before customers are wrapped under it.
        try await Task.sleep(for: peerRefreshWait)

        let total = try await storage.read { tx in try tx.customerCountsByKEK().filter { $0.key != version }.values.reduce(0, +) }
        try progress(0, total)
        let (rewrapped, unreadable) = try await rewrap(to: target, batchSize: batchSize) { try progress(min($0, total), total) }
        try await mutate { tx, audit in
            try tx.completeRotation(toVersion: version, at: self.clock.now())
            try audit.append(
                AuditDraft(
                    principal: principal,
                    op: .keysRollComplete,
                    decision: .allow,
                    reason: .byOperator,
                    details: ["kek_version": String(version), "rewrapped": String(rewrapped), "unreadable": String(unreadable)]
                )
            )
        }
        if unreadable > 0 {
            logger.critical(
                "customer keys that no key epoch opens were left as they are: run `cvault audit verify`",
                metadata: ["count": "\(unreadable)"]
            )
        }
        try await destroyRetiredEpochs(by: principal)
    }

    /// Rewraps, in id order, every live customer key not yet under `target`; a key that no epoch
    /// opens (a damaged row) is skipped and counted, so one bad row cannot hold the schedule up.
    private func rewrap(to target: KeyEncryptionKey, batchSize: Int, progress: (Int) throws -> Void) async throws -> (rewrapped: Int, unreadable: Int)
    {
        var after: String?
        var done = 0
        var unreadable = 0
        while true {
            let batch = try await storage.read { [after] tx in try tx.customersNotWrapped(under: target.version, after: after, limit: batchSize) }
            guard let last = batch.last else { break }
            after = last.id
            var rewrapped: [(id: String, old: Data, new: Data)] = []
            rewrapped.reserveCapacity(batch.count)
            for customer in batch {
                guard let dek = try unwrapForRoll(customer) else {
                    unreadable += 1
                    continue
                }
                rewrapped.append((customer.id, customer.wrappedKey!, Data(try target.wrap(dek, customerID: customer.id, random: random).serialized)))
            }
            let items = rewrapped
            try await storage.write { tx in
                for item in items {
                    // A customer erased meanwhile has nothing left to rewrap; one given a new key
                    // meanwhile (a retention sweep) must keep it, and is picked up by the next pass.
                    do {
                        try tx.updateWrappedKey(customerID: item.id, replacing: item.old, wrappedKey: item.new, kekVersion: target.version)
                    } catch let error as StoreError where error.kind == .notFound {
                        continue
                    }
                }
            }
            done += batch.count
            try progress(done)
        }
        return (done - unreadable, unreadable)
    }

    /// The customer's DEK, or nil when the stored key is damaged (no epoch could ever open it).
    /// A key under an epoch this process does not hold is not damage: the roll stops rather than
    /// count it as lost and let its epoch be destroyed.
    private func unwrapForRoll(_ customer: CustomerRow) throws -> SymmetricKey? {
        guard let wrapped = customer.wrappedKey, let key = try? WrappedKey(serialized: wrapped) else { return nil }
        let kek = try keyring.kek(version: key.kekVersion)
        return try? kek.unwrap(key, customerID: customer.id)
    }

    /// Makes the keys in memory those of the key store: epochs added by a roll elsewhere are
    /// loaded, destroyed ones forgotten. Returns whether anything changed.
    @discardableResult
    func syncKeyring() throws -> Bool {
        let held = keyring.versions
        let live = try keyStore.keys(vaultID: metadata.vaultID, hierarchy: keys)
        var changed = false
        for kek in live where !held.contains(kek.version) {
            keyring.add(kek)
            logger.notice("loaded a new key epoch", metadata: ["kek_version": "\(kek.version)"])
            changed = true
        }
        for version in held.subtracting(live.map(\.version)) {
            keyring.remove(version: version)
            logger.notice("forgot a destroyed key epoch", metadata: ["kek_version": "\(version)"])
            changed = true
        }
        return changed
    }

    /// The KEK of epoch `version` from the key store, generating and storing it if the epoch was
    /// claimed but its key never written (a roll that stopped in between).
    private func epochKey(_ version: UInt32, createdAt: Date) throws -> KeyEncryptionKey {
        let vaultID = metadata.vaultID
        let (wrapped, fresh) = try keyStore.update(vaultID: vaultID) { contents -> ([UInt8], KeyEncryptionKey?) in
            if let epoch = contents.epochs.first(where: { $0.version == version }), let wrapped = Data(base64Encoded: epoch.wrapped) {
                return (Array(wrapped), nil)
            }
            let kek = KeyEncryptionKey.generate(version: version, using: random)
            let wrapped = try keys.wrapEpoch(kek, random: random)
            contents.epochs.append(.init(version: version, createdAt: createdAt, wrapped: Data(wrapped).base64EncodedString()))
            return (wrapped, kek)
        }
        if let fresh { return fresh }
        do {
            return try keys.unwrapEpoch(wrapped, version: version)
        } catch {
            throw VaultError.integrity("key epoch \(version) in \(keyStore.path) failed its integrity check")
        }
    }

    /// Destroys every epoch in the key store older than its newest, once the roll to the newest is
    /// complete and no live customer key it opens remains under it (stragglers a late peer wrapped
    /// are rewrapped first): the database marks it first (from then on nothing can be wrapped under
    /// it), then its key leaves the key store and memory. What to destroy is decided from the key
    /// store and from the keys themselves — never from the database's say-so, which someone who can
    /// write only the database could set to make the vault shred every key it has. Erasure-ledger
    /// records that no live backup can need any more are dropped.
    func destroyRetiredEpochs(by principal: Principal) async throws {
        let vaultID = metadata.vaultID
        try syncKeyring()
        guard let stored = try keyStore.load(vaultID: vaultID), let newest = stored.epochs.map(\.version).max() else { return }
        let retired = stored.epochs.map(\.version).filter { $0 < newest }
        guard !retired.isEmpty, try await storage.read({ tx in try tx.latestRotation().map { $0.completedAt != nil } ?? true }) else { return }
        guard let target = try? keyring.kek(version: newest) else { return }
        var destroyed: [UInt32] = []
        for version in retired {
            for _ in 0..<3 {
                // Keys a peer wrapped under the old epoch after the roll's pass move over first.
                _ = try await rewrap(to: target, batchSize: 2000) { _ in }
                let epoch = version
                let marked: Bool = try await record { tx, audit in
                    // Decided in the transaction that marks the epoch: a key wrapped meanwhile keeps it.
                    var after: String?
                    while let page = Optional(try tx.customersNotWrapped(under: target.version, after: after, limit: 1000)), let last = page.last {
                        guard try page.allSatisfy({ try self.unwrapForRoll($0) == nil }) else { return false }
                        after = last.id
                    }
                    try tx.markEpochDestroyed(version: epoch, at: self.clock.now())
                    try audit.append(
                        AuditDraft(
                            principal: principal,
                            op: .keysEpochDestroy,
                            decision: .allow,
                            reason: .byOperator,
                            details: ["kek_version": String(epoch)]
                        )
                    )
                    return true
                }
                if marked {
                    destroyed.append(version)
                    break
                }
            }
        }
        guard !destroyed.isEmpty else { return }
        let gone = Set(destroyed)
        try keyStore.update(vaultID: vaultID) { contents in contents.epochs.removeAll { gone.contains($0.version) } }
        for version in gone { keyring.remove(version: version) }
        if let oldestLive = stored.epochs.map(\.version).filter({ !gone.contains($0) }).min() {
            // A record stays one epoch longer than strictly needed: an erasure may have raced a roll.
            try erasureLedger.prune(keepingFrom: oldestLive > 0 ? oldestLive - 1 : 0)
        }
        logger.notice("destroyed key epochs", metadata: ["kek_versions": "\(destroyed.map(String.init).joined(separator: ","))"])
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
            return KeyStatus(
                versions: live,
                current: rows.last?.version ?? 0,
                customersByVersion: Dictionary(uniqueKeysWithValues: counts.map { (String($0.key), $0.value) }),
                rotationInProgress: rotation?.completedAt == nil ? rotation?.toVersion : nil,
                epochs: rows.map { KeyStatus.Epoch(version: $0.version, createdAt: $0.createdAt, destroyedAt: $0.destroyedAt) },
                epochPeriod: period.description,
                nextRollDue: Self.rollDue(newest: rows.last?.createdAt, period: period)
            )
        }
    }
}
