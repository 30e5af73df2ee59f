import Foundation
import Synchronization
import VaultSQLite
import VaultStore

/// SQLite that can be told to refuse writes, as a database does when its disk or server goes away
/// mid-request: each write transaction runs every statement on the real database, then fails with
/// the error a read-only database gives and rolls back.
final class WriteRefusingBackend: StorageBackend {
    private let base = SQLiteBackend()
    /// While true, every write transaction fails before its commit.
    let refusing = Mutex(false)

    func accepts(_ database: String) -> Bool { base.accepts(database) }

    func open(_ database: String, in folder: URL, durability: StorageDurability) async throws -> any VaultStorage {
        Storage(base: try await base.open(database, in: folder, durability: durability), backend: self)
    }

    func openBackup(at path: String, durability: StorageDurability) async throws -> any VaultStorage {
        try await base.openBackup(at: path, durability: durability)
    }

    func copyBackup(from source: String, to destination: String) throws { try base.copyBackup(from: source, to: destination) }

    private struct Storage: VaultStorage {
        let base: any VaultStorage
        let backend: WriteRefusingBackend

        func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T { try await base.read(body) }

        func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T {
            try await base.write { [backend] writer in
                let value = try body(writer)
                if backend.refusing.withLock({ $0 }) {
                    throw StoreError.unavailable("the database file cannot be opened or written (test); check its path and permissions")
                }
                return value
            }
        }

        func backup(to destination: String) async throws { try await base.backup(to: destination) }
        func compact() async throws { try await base.compact() }
        func close() throws { try base.close() }
        func changeNotifications() -> AsyncStream<Void>? { base.changeNotifications() }
        func authenticationToken(hash: Data) async throws -> TokenRow? { try await base.authenticationToken(hash: hash) }
    }
}
