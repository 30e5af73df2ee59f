import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX file operations the key store and the erasure ledger need: replacing a file so that
/// a crash leaves the old or the new one and the old bytes are overwritten, durable appends, and a
/// lock shared by every process that updates the same file.
enum DurableFile {
    /// Replaces `path` with `contents` (mode 0600): written and synced under a temporary name, renamed
    /// into place, the folder synced. The old file's bytes are then overwritten with zeros through a
    /// descriptor kept open across the rename — on file systems that rewrite in place this destroys
    /// them; on copy-on-write or flash storage old blocks may survive, which the README states.
    static func replace(_ path: String, with contents: [UInt8], scrubbingOld: Bool = true) throws {
        let temporary = path + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw failure("cannot create", temporary) }
        do {
            try writeAll(fd, contents, temporary)
            guard fsync(fd) == 0 else { throw failure("cannot sync", temporary) }
            close(fd)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        let old = scrubbingOld ? open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW) : -1
        defer { if old >= 0 { close(old) } }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw failure("cannot move into place", temporary)
        }
        syncFolder(of: path)
        if old >= 0 {
            var info = stat()
            if fstat(old, &info) == 0, info.st_size > 0 {
                let zeros = [UInt8](repeating: 0, count: Int(info.st_size))
                _ = zeros.withUnsafeBytes { pwrite(old, $0.baseAddress, $0.count, 0) }
                _ = fsync(old)
            }
        }
    }

    /// Appends `bytes` to `path` (created 0600 if absent) and syncs before returning.
    static func append(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw failure("cannot open", path) }
        defer { close(fd) }
        try writeAll(fd, bytes, path)
        guard fsync(fd) == 0 else { throw failure("cannot sync", path) }
    }

    /// The file's bytes, or nil if it does not exist.
    static func read(_ path: String) throws -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else {
            guard !FileManager.default.fileExists(atPath: path) else { throw failure("cannot read", path) }
            return nil
        }
        return Array(data)
    }

    /// Runs `body` holding a lock on `lockPath` (created 0600): exclusive to change a file, shared to
    /// read it, so that processes sharing the vault folder never read a file another is replacing.
    static func withLock<T>(_ lockPath: String, shared: Bool = false, _ body: () throws -> T) throws -> T {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw failure("cannot open the lock file", lockPath) }
        defer { close(fd) }
        guard flock(fd, shared ? LOCK_SH : LOCK_EX) == 0 else { throw failure("cannot lock", lockPath) }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], _ path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress!.advanced(by: offset), buffer.count - offset)
                guard written > 0 else { throw failure("cannot write", path) }
                offset += written
            }
        }
    }

    private static func syncFolder(of path: String) {
        let folder = (path as NSString).deletingLastPathComponent
        let fd = open(folder.isEmpty ? "." : folder, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    private static func failure(_ what: String, _ path: String) -> VaultError {
        VaultError(
            .unavailable,
            code: .fileError,
            "\(what) \(path): \(String(cString: strerror(errno))); check the vault folder's permissions and free space"
        )
    }
}

/// An advisory lock on a file, held until released or until the process ends (the kernel then
/// drops it, so a crash never leaves a vault locked).
final class FileLock: @unchecked Sendable {
    private let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw VaultError(.unavailable, code: .fileError, "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// Takes the lock if nobody holds it in a conflicting mode; returns whether it did.
    func tryLock(exclusive: Bool) -> Bool {
        flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0
    }

    /// Takes the lock, waiting (without blocking a thread) for whoever holds it.
    func lock(exclusive: Bool) async {
        while !tryLock(exclusive: exclusive) {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Releases the lock.
    func unlock() {
        flock(fd, LOCK_UN)
    }
}
