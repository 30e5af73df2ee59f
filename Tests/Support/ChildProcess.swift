import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to its end: what the tests use instead of Foundation's `Process`.
///
/// `Process.waitUntilExit()` polls a run loop on whichever thread calls it and learns of the
/// child's exit from Foundation's own monitor; called from Swift concurrency's threads under load
/// it has been seen to wait forever for a child that had already exited (a CI run hung that way,
/// right after its `psql` had done its work). This spawns with `posix_spawnp` and reaps with
/// `waitpid`, which returns when the child does. Output goes to files, not pipes, so a child
/// writing much to both streams cannot block on a pipe no one reads yet.
public enum ChildProcess {
    /// How a program ended and what it wrote.
    public struct Result: Sendable {
        /// The exit status, or 128 plus the signal that ended it.
        public let status: Int32
        /// Everything written to standard output.
        public let stdout: String
        /// Everything written to standard error.
        public let stderr: String
    }

    /// Runs `program` (found through `PATH` unless it holds a slash) with `arguments` and the
    /// given environment (this process's when nil), standard input from `/dev/null`.
    public static func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outPath = folder.appendingPathComponent("stdout").path
        let errPath = folder.appendingPathComponent("stderr").path

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + env { free(pointer) } }

        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, program, &actions, nil, argv, env)
        guard spawned == 0 else {
            throw TestDatabaseError(description: "could not start \(program): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw TestDatabaseError(description: "waiting for \(program) failed: \(String(cString: strerror(errno)))") }
        }
        // The W* macros are not imported: the low 7 bits are the signal, 0 for a normal exit.
        let signal = status & 0x7f
        let read = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
        return Result(status: signal == 0 ? (status >> 8) & 0xff : 128 + signal, stdout: read(outPath), stderr: read(errPath))
    }
}
