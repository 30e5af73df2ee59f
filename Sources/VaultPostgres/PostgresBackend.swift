public import Foundation
public import VaultStore

/// A vault whose database is PostgreSQL, named in `vault.json` as `postgres://user@host:port/db`:
/// many `cvault serve` instances, each with the vault folder's keys, share one database.
public struct PostgresBackend: StorageBackend {
    /// The backend.
    public init() {}

    /// `postgres://…` or `postgresql://…`.
    public func accepts(_ database: String) -> Bool { PostgresLocation.isPostgresURL(database) }

    /// Connects, creating the schema in an empty database; the database itself must exist.
    public func open(_ database: String, in folder: URL, durability: StorageDurability) async throws -> any VaultStorage {
        try await PostgresStorage.open(try PostgresLocation(database), durability: durability)
    }

    /// Backups are files; a PostgreSQL backend has none to open.
    public func openBackup(at path: String, durability: StorageDurability) async throws -> any VaultStorage {
        throw StoreError.unavailable("\(path) is not a backup file")
    }

    /// Backups are files; a PostgreSQL backend has none to copy.
    public func copyBackup(from source: String, to destination: String) throws {
        throw StoreError.unavailable("\(source) is not a backup file")
    }
}
