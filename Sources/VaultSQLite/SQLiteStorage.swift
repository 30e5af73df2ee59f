import Foundation
package import GRDB
package import VaultStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedded default: one SQLite file through GRDB's `DatabasePool` (WAL, one writer, pooled
/// readers), holding ciphertext, wrapped keys, keyed hashes and audit leaves — never a plaintext
/// profile value.
package final class SQLiteStorage: VaultStorage {
    private let pool: DatabasePool
    /// The database file.
    package let path: String

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    package init(path: String, durability: StorageDurability = .full) throws {
        do {
            pool = try Self.openPool(path: path, durability: durability, label: "cvault")
            try Schema.migrator.migrate(pool)
        } catch {
            throw Self.map(error, context: "opening \(path)")
        }
        self.path = path
    }

    /// Runs `body` in a read-only snapshot.
    package func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T {
        do {
            return try await pool.read { db in try body(SQLiteTransaction(db)) }
        } catch {
            throw Self.map(error, context: "reading")
        }
    }

    /// Runs `body` in the single write transaction.
    package func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T {
        do {
            return try await pool.write { db in try body(SQLiteTransaction(db)) }
        } catch {
            throw Self.map(error, context: "writing")
        }
    }

    /// Copies the whole database, online and consistent (SQLite's backup API reading one snapshot),
    /// into a new file at `destination` (mode 0600); refuses to overwrite anything.
    package func backup(to destination: String) async throws {
        let fd = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError.unavailable(
                errno == EEXIST
                    ? "\(destination) already exists; refusing to overwrite it (choose a new file name)"
                    : "cannot create the backup file \(destination): \(String(cString: strerror(errno)))"
            )
        }
        #if canImport(Glibc)
        Glibc.close(fd)
        #else
        Darwin.close(fd)
        #endif
        do {
            let copy = try DatabaseQueue(path: destination)
            try pool.backup(to: copy)
            try copy.close()
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw Self.map(error, context: "backing up to \(destination)")
        }
    }

    /// A WAL pool as the vault uses it (the benchmarks' plain baseline opens its file the same way).
    package static func openPool(path: String, durability: StorageDurability, label: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.label = label
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = max(2, ProcessInfo.processInfo.activeProcessorCount)
        configuration.prepareDatabase { db in
            // Memory-mapped reads spare a pread per page on full scans (analytics, audit verify).
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            // Deleted rows (erasure) are overwritten with zeros, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets synchronous=NORMAL on the writer when it enables WAL, after prepareDatabase:
        // set the chosen level again on the (single, persistent) writer connection.
        let synchronous = durability == .full ? "FULL" : "NORMAL"
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        return pool
    }

    /// Copies the database file at `source` (a backup) into a new file at `destination` with
    /// SQLite's backup API, reading it without changing it.
    package static func copy(from source: String, to destination: String) throws {
        guard FileManager.default.fileExists(atPath: source) else { throw StoreError.notFound("backup file \(source)") }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let original = try DatabaseQueue(path: source, configuration: configuration)
            // The copy becomes a vault's database: the owner's alone from its first byte.
            guard FileManager.default.createFile(atPath: destination, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw StoreError.unavailable("cannot create \(destination)")
            }
            let copy = try DatabaseQueue(path: destination)
            try original.backup(to: copy)
            try copy.close()
            try original.close()
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw map(error, context: "reading the backup \(source)")
        }
    }

    /// Makes deleted rows unrecoverable from the database's own files: moves the WAL into the main
    /// file (where `secure_delete` has zeroed them) and truncates it, so older page images that
    /// still held them are gone.
    package func compact() async throws {
        try checkpointWAL()
    }

    /// Checkpoints the WAL into the main file and truncates it.
    package func checkpointWAL() throws {
        do {
            try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        } catch {
            throw Self.map(error, context: "checkpointing the WAL")
        }
    }

    /// Closes the database; later calls fail.
    package func close() throws {
        try pool.close()
    }

    /// An integer PRAGMA as the writer connection sees it (tests check durability with it).
    package func writerPragma(_ name: String) throws -> Int? {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    /// Translates a database error into a `StoreError` without SQL or arguments; other errors pass.
    package static func map(_ error: any Error, context: String) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_CONSTRAINT:
            return StoreError.conflict("a schema constraint refused the change while \(context)")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return StoreError.corrupted("the database file is damaged or is not a cvault database (\(context))")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError.unavailable("the database is locked by another process (\(context)); try again")
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN:
            return StoreError.unavailable("the database file cannot be opened or written (\(context)); check its path and permissions")
        case .SQLITE_FULL:
            return StoreError.unavailable("the disk is full (\(context))")
        default:
            return StoreError.unavailable("SQLite error \(error.resultCode.rawValue) while \(context)")
        }
    }
}
