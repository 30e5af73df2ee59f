import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import Synchronization
import VaultAudit
import VaultStore

/// The newest checkpoint this vault signed, kept in a small file beside the database rather than
/// in it: someone who can only write the database (a DBA, an SQL injection, a restored file)
/// cannot roll it back, so a database that was rolled back or cut short on its own is caught when
/// the vault opens and by `audit verify`, even without a witness.
///
/// Written after every commit that signed a checkpoint (write to a temporary file, then rename,
/// so a crash leaves the old or the new file); not synced to disk on every commit, so after a power
/// cut it may trail the database by the last commits — which is safe, as the check is only that
/// the database extends it. Several processes may write it: each writes only checkpoints larger
/// than the last one it wrote, and a stale write from a slower process is at worst behind.
final class LocalAnchor: Sendable {
    /// The file's name in the vault folder.
    static let fileName = "checkpoint.anchor"

    let path: String
    private let logger: Logger
    private let lastWritten = Mutex<UInt64>(0)

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    /// The stored checkpoint note, or nil if there is none yet.
    func read() throws -> String? {
        guard let data = FileManager.default.contents(atPath: path) else {
            guard !FileManager.default.fileExists(atPath: path) else {
                throw VaultError(.unavailable, code: "anchor_unreadable", "cannot read \(path): check its permissions")
            }
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Keeps `row` as the newest checkpoint if it is newer than what this process wrote last.
    /// A failure is logged, not thrown: the commit it follows has happened.
    func record(_ row: CheckpointRow) {
        let newer = lastWritten.withLock { last -> Bool in
            guard row.size > last else { return false }
            last = row.size
            return true
        }
        guard newer else { return }
        do {
            try write(row.note)
        } catch {
            logger.error("could not keep the newest checkpoint outside the database", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// Replaces the file with `note` (a deliberate reset: vault creation or a restore).
    func write(_ note: String) throws {
        let temporary = path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(note.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw VaultError(.unavailable, code: "write_failed", "cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw VaultError(.unavailable, code: "write_failed", "cannot move \(temporary) into place")
        }
    }
}
