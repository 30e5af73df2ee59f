import Foundation
import Logging
import Synchronization
import VaultAudit
import VaultStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The newest checkpoint this vault signed, kept in a small file beside the database rather than
/// in it: someone who can only write the database (a DBA, an SQL injection, a restored file)
/// cannot roll it back, so a database that was rolled back or cut short on its own is caught when
/// the vault opens and by `audit verify`, even without a witness.
///
/// Written in the background right after every commit that signed a checkpoint — never in the
/// commit's own path, where a file system transaction would cost as much as the commit — by a
/// writer that skips to the newest checkpoint and writes at most every 20 ms while commits keep
/// coming, so it trails the database by at most that; a process settles it before it exits
/// (`Vault.settle`). Each write is durable (synced, then renamed into place) and happens under a
/// lock shared by every process using the vault, and only if the file does not already hold a
/// larger checkpoint: several processes never move it backwards.
final class LocalAnchor: Sendable {
    /// The file's name in the vault folder.
    static let fileName = "checkpoint.anchor"

    let path: String
    private let lockPath: String
    private let logger: Logger

    private struct State {
        var pending: CheckpointRow?
        var written: UInt64 = 0
        var writing = false
    }

    private let state = Mutex(State())
    /// Background writes under way in this process, across vaults.
    private static let inFlight = Mutex(0)

    init(path: String, logger: Logger) {
        self.path = path
        self.lockPath = path + ".lock"
        self.logger = logger
    }

    /// The stored checkpoint note, or nil if there is none yet. An empty file is not "none": it is
    /// returned as it is, and fails the checks.
    func read() throws -> String? {
        try DurableFile.withLock(lockPath, shared: true) {
            try DurableFile.read(path).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Has `row` written as the newest checkpoint, in the background, if it is newer than anything
    /// this process wrote or is about to write. A failure is logged: the commit it follows happened.
    func record(_ row: CheckpointRow) {
        let start = state.withLock { state -> Bool in
            guard row.size > max(state.written, state.pending?.size ?? 0) else { return false }
            state.pending = row
            guard !state.writing else { return false }
            state.writing = true
            return true
        }
        guard start else { return }
        Self.inFlight.withLock { $0 += 1 }
        Task.detached(priority: .utility) { await self.drain() }
    }

    /// At most one write per this interval while commits keep coming: each write costs a file
    /// system transaction that would otherwise compete with the database's own.
    static let pace: Duration = .milliseconds(20)

    private func drain() async {
        let clock = ContinuousClock()
        var last: ContinuousClock.Instant?
        while true {
            if let last, clock.now < last.advanced(by: Self.pace) { try? await Task.sleep(until: last.advanced(by: Self.pace)) }
            guard
                let row = state.withLock({ state -> CheckpointRow? in
                    guard let next = state.pending else {
                        state.writing = false
                        return nil
                    }
                    state.pending = nil
                    return next
                })
            else { break }
            last = clock.now
            do {
                try advance(to: row)
                state.withLock { $0.written = max($0.written, row.size) }
            } catch {
                logger.error("could not keep the newest checkpoint outside the database", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
        Self.inFlight.withLock { $0 -= 1 }
    }

    /// Waits (up to `timeout`) until every checkpoint recorded in this process is on disk.
    static func settle(timeout: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while inFlight.withLock({ $0 > 0 }), clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Writes `row` unless the file already holds a checkpoint of the same log at least as large.
    private func advance(to row: CheckpointRow) throws {
        try DurableFile.withLock(lockPath) {
            if let bytes = try DurableFile.read(path), let current = try? SignedCheckpoint.parse(String(decoding: bytes, as: UTF8.self)),
                let incoming = try? SignedCheckpoint.parse(row.note), current.checkpoint.origin == incoming.checkpoint.origin,
                current.checkpoint.size >= row.size
            {
                return
            }
            try DurableFile.replace(path, with: Array(row.note.utf8), scrubbingOld: false)
        }
    }

    /// Replaces the file with `note` whatever it holds: a new vault, a missing anchor, a restore.
    func reset(to note: String) throws {
        try DurableFile.withLock(lockPath) {
            try DurableFile.replace(path, with: Array(note.utf8), scrubbingOld: false)
        }
    }
}
