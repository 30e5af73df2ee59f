import Foundation
import Logging
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultStore

/// Where the key hierarchy stands.
public struct KeyStatus: Sendable, Codable {
    /// KEK versions, oldest first.
    public let versions: [UInt32]
    /// The version new DEKs are wrapped under.
    public let current: UInt32
    /// Live customers per KEK version.
    public let customersByVersion: [String: Int]
    /// A rotation that has not finished (resume with `keys rotate`).
    public let rotationInProgress: UInt32?
}

extension Vault {
    /// Rotates the KEK: adds a version and rewraps every customer DEK under it in batches (no data
    /// is re-encrypted). Resumes an unfinished rotation instead of starting another. `progress`
    /// gets (rewrapped so far, total) and may throw to stop (the next call resumes).
    @discardableResult
    public func rotateKeys(by principal: Principal, batchSize: Int = 2000,
                           progress: @escaping @Sendable (Int, Int) throws -> Void = { _, _ in }) async throws -> KeyStatus {
        try requireOperation(.rotateKeys, principal)
        let now = clock.now()
        let (rotation, pending) = try await storage.read { tx in
            (try tx.latestRotation(), try tx.customerCountsByKEK())
        }
        let target: KeyEncryptionKey
        if let rotation, rotation.completedAt == nil {
            target = try keyring.kek(version: rotation.toVersion)
            logger.info("resuming key rotation", metadata: ["to_version": "\(rotation.toVersion)"])
        } else {
            let version = (try await storage.read { tx in try tx.keks().map(\.version).max() ?? 0 }) + 1
            let kek = KeyEncryptionKey.generate(version: version, using: random)
            let wrapped = try keys.wrap(kek, random: random)
            try await mutate { tx, audit in
                try tx.insertKEK(KEKRow(version: version, wrapped: Data(wrapped), createdAt: now))
                try tx.insertRotation(RotationRow(toVersion: version, startedAt: now, completedAt: nil))
                try audit.append(AuditDraft(principal: principal, op: "keys.rotate.start", decision: .allow, reason: "operator",
                                            details: ["kek_version": String(version)]))
            }
            keyring.add(kek)
            target = kek
            try await Task.sleep(for: peerRefreshWait)
        }
        let total = pending.filter { $0.key != target.version }.values.reduce(0, +)
        var done = 0
        try progress(done, total)
        while true {
            let batch = try await storage.read { tx in try tx.customersNotWrapped(under: target.version, limit: batchSize) }
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
                        try tx.updateWrappedKey(customerID: id, wrappedKey: wrapped, kekVersion: target.version)
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
            try tx.completeRotation(toVersion: target.version, at: self.clock.now())
            try audit.append(AuditDraft(principal: principal, op: "keys.rotate.complete", decision: .allow, reason: "operator",
                                        details: ["kek_version": String(target.version), "rewrapped": String(rewrapped)]))
        }
        return try await keyStatus(by: principal)
    }

    /// KEK versions, customers per version, and any unfinished rotation.
    public func keyStatus(by principal: Principal) async throws -> KeyStatus {
        try requireOperation(.rotateKeys, principal)
        return try await storage.read { tx in
            let versions = try tx.keks().map(\.version)
            let rotation = try tx.latestRotation()
            let counts = try tx.customerCountsByKEK()
            return KeyStatus(versions: versions, current: versions.max() ?? 0,
                             customersByVersion: Dictionary(uniqueKeysWithValues: counts.map { (String($0.key), $0.value) }),
                             rotationInProgress: rotation?.completedAt == nil ? rotation?.toVersion : nil)
        }
    }
}
