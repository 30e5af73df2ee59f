public import Foundation
public import Synchronization
import VaultSQLite
public import VaultStore

/// SQLite with the faults a test can switch on: a write that commits and then loses its answer, as
/// when a connection drops during COMMIT; or writes refused before their commit, as when a disk or
/// database server goes away mid-request (every statement runs on the real database, then the
/// transaction fails with the error a read-only database gives and rolls back).
public final class FaultyBackend: StorageBackend {
    private let base = SQLiteBackend()
    /// Which write from now on loses its answer (1 = the next one); nil: none.
    public let losing = Mutex<Int?>(nil)
    /// While true, every write transaction fails before its commit.
    public let refusing = Mutex(false)

    /// A backend with no fault switched on.
    public init() {}

    /// Whether `database` is an SQLite location.
    public func accepts(_ database: String) -> Bool { base.accepts(database) }

    /// Opens the database, with the faults wrapped around its writes.
    public func open(_ database: String, in folder: URL, durability: StorageDurability) async throws -> any VaultStorage {
        Storage(base: try await base.open(database, in: folder, durability: durability), backend: self)
    }

    /// Opens a backup, without faults.
    public func openBackup(at path: String, durability: StorageDurability) async throws -> any VaultStorage {
        try await base.openBackup(at: path, durability: durability)
    }

    /// Copies a backup, without faults.
    public func copyBackup(from source: String, to destination: String) throws { try base.copyBackup(from: source, to: destination) }

    /// True exactly for the write that is to lose its answer.
    fileprivate func writeCommitted() -> Bool {
        losing.withLock { countdown in
            guard let left = countdown else { return false }
            countdown = left == 1 ? nil : left - 1
            return left == 1
        }
    }

    private struct Storage: VaultStorage {
        let base: any VaultStorage
        let backend: FaultyBackend

        func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T { try await base.read(body) }

        func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T {
            let value = try await base.write { [backend] writer in
                let value = try body(writer)
                if backend.refusing.withLock({ $0 }) {
                    throw StoreError.unavailable("the database file cannot be opened or written (test); check its path and permissions")
                }
                return value
            }
            if backend.writeCommitted() { throw StoreError.unavailable("the answer to COMMIT was lost (test)") }
            return value
        }

        func backup(to destination: String) async throws { try await base.backup(to: destination) }
        func compact() async throws { try await base.compact() }
        func close() throws { try base.close() }
        func changeNotifications() -> AsyncStream<Void>? { base.changeNotifications() }
        func authenticationToken(hash: Data) async throws -> TokenRow? { try await base.authenticationToken(hash: hash) }
    }
}
