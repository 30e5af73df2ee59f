import Foundation
import Synchronization
import VaultSQLite
import VaultStore

/// SQLite whose storage can be told to lose the answer of a coming write: the write commits, then
/// the caller is told the database is unavailable, as when a connection is lost during COMMIT.
final class AnswerLosingBackend: StorageBackend {
    private let base = SQLiteBackend()
    /// Which write from now on loses its answer (1 = the next one); nil: none.
    let losing = Mutex<Int?>(nil)

    func accepts(_ database: String) -> Bool { base.accepts(database) }

    func open(_ database: String, in folder: URL, durability: StorageDurability) async throws -> any VaultStorage {
        Storage(base: try await base.open(database, in: folder, durability: durability), backend: self)
    }

    func openBackup(at path: String, durability: StorageDurability) async throws -> any VaultStorage {
        try await base.openBackup(at: path, durability: durability)
    }

    func copyBackup(from source: String, to destination: String) throws { try base.copyBackup(from: source, to: destination) }

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
        let backend: AnswerLosingBackend

        func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T { try await base.read(body) }

        func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T {
            let value = try await base.write(body)
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
