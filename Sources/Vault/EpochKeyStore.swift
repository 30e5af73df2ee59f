import Foundation
import VaultCrypto

/// The KEKs of the live key epochs, each wrapped under a root-derived key, in a file beside the
/// database — never inside it. A backup of the database therefore holds customer keys wrapped
/// under epochs, but not the epochs: once the vault destroys an epoch (here, and so everywhere it
/// keeps it), no backup made while it was current can be decrypted, even with the root key.
///
/// Every change goes through `update`, under a lock shared by all processes using the vault folder,
/// and replaces the file durably (see `DurableFile.replace`).
final class EpochKeyStore: Sendable {
    /// The file's name in the vault folder.
    static let fileName = "epoch.keys"

    /// One live epoch.
    struct Epoch: Codable, Sendable {
        var version: UInt32
        var createdAt: Date
        /// Base64 of the KEK sealed under the root's epoch-wrapping key.
        var wrapped: String
    }

    /// The file's contents.
    struct Contents: Codable, Sendable {
        var format = 1
        var vaultID: String
        var epochs: [Epoch]
    }

    let path: String
    private let lockPath: String
    /// Held by the one process rolling the key epoch.
    let rollLockPath: String

    init(directory: URL) {
        path = directory.appendingPathComponent(Self.fileName).path
        lockPath = path + ".lock"
        rollLockPath = path + ".roll.lock"
    }

    /// The store, or nil if the file does not exist.
    func load(vaultID: String) throws -> Contents? {
        try DurableFile.withLock(lockPath, shared: true) { try unlockedLoad(vaultID: vaultID) }
    }

    /// The newest epoch's version and creation time, if any.
    func newest(vaultID: String) throws -> Epoch? {
        try load(vaultID: vaultID)?.epochs.max { $0.version < $1.version }
    }

    private func unlockedLoad(vaultID: String) throws -> Contents? {
        guard let bytes = try DurableFile.read(path) else { return nil }
        guard let contents = try? JSONDecoder.vault.decode(Contents.self, from: Data(bytes)), contents.format == 1 else {
            throw VaultError.integrity("\(path) is not a cvault key store: restore it from its own backup")
        }
        guard contents.vaultID == vaultID else {
            throw VaultError.integrity("\(path) belongs to another vault: put this vault's key store back")
        }
        return contents
    }

    /// The live epochs' KEKs, unwrapped.
    func keys(vaultID: String, hierarchy: KeyHierarchy) throws -> [KeyEncryptionKey] {
        try (load(vaultID: vaultID)?.epochs ?? []).map { epoch in
            guard let wrapped = Data(base64Encoded: epoch.wrapped),
                let kek = try? hierarchy.unwrapEpoch(Array(wrapped), version: epoch.version)
            else { throw VaultError.integrity("key epoch \(epoch.version) in \(path) failed its integrity check") }
            return kek
        }
    }

    /// Reads, changes and durably rewrites the store under the lock; `body` gets an empty store when
    /// the file does not exist yet.
    @discardableResult
    func update<T>(vaultID: String, _ body: (inout Contents) throws -> T) throws -> T {
        try DurableFile.withLock(lockPath) {
            var contents = try unlockedLoad(vaultID: vaultID) ?? Contents(vaultID: vaultID, epochs: [])
            let result = try body(&contents)
            try DurableFile.replace(path, with: Array(try JSONEncoder.vault.encode(contents)))
            return result
        }
    }
}

/// Which customers were erased while the key epochs a backup may depend on still exist, kept beside
/// the database as keyed tags (never ids). A restore erases those customers again, so an old
/// backup cannot bring an erased customer back while its epoch lives; once the epoch is destroyed
/// the backup cannot be decrypted at all, and its tags are dropped.
///
/// Each record is 36 bytes: the newest epoch at the time of erasure (4, big-endian) and the tag.
final class ErasureLedger: Sendable {
    /// The file's name in the vault folder.
    static let fileName = "erasure.ledger"
    private static let recordSize = 36

    let path: String
    private let lockPath: String

    init(directory: URL) {
        path = directory.appendingPathComponent(Self.fileName).path
        lockPath = path + ".lock"
    }

    /// Records an erasure durably; call it before the erasure commits, so none is ever missing
    /// (a failed erasure leaves a tag for a customer who asked to be erased, which a restore honours).
    func record(epoch: UInt32, tag: [UInt8]) throws {
        precondition(tag.count == 32, "an erasure tag is an HMAC-SHA256")
        try DurableFile.withLock(lockPath) {
            // A torn record from a crash would misalign every later one: cut it off first.
            if let bytes = try DurableFile.read(path), bytes.count % Self.recordSize != 0 {
                try DurableFile.replace(path, with: Array(bytes.prefix(bytes.count / Self.recordSize * Self.recordSize)))
            }
            try DurableFile.append(path, epoch.bigEndianBytes + tag)
        }
    }

    /// Every tag the ledger holds.
    func tags() throws -> Set<[UInt8]> {
        try DurableFile.withLock(lockPath, shared: true) { Set(try records().map(\.tag)) }
    }

    /// Drops the records of destroyed epochs: backups that depended on them are undecryptable now.
    func prune(keepingFrom oldestLive: UInt32) throws {
        try DurableFile.withLock(lockPath) {
            let all = try records()
            let kept = all.filter { $0.epoch >= oldestLive }
            guard kept.count < all.count else { return }
            try DurableFile.replace(path, with: kept.flatMap { $0.epoch.bigEndianBytes + $0.tag })
        }
    }

    private func records() throws -> [(epoch: UInt32, tag: [UInt8])] {
        guard let bytes = try DurableFile.read(path) else { return [] }
        return stride(from: 0, to: bytes.count / Self.recordSize * Self.recordSize, by: Self.recordSize).map { start in
            let epoch = bytes[start..<start + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return (epoch, Array(bytes[start + 4..<start + Self.recordSize]))
        }
    }
}
