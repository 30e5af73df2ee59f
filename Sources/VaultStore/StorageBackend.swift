public import Foundation

/// How hard a commit waits for the disk before it returns.
public enum StorageDurability: String, Sendable {
    /// A committed audit entry survives power loss (SQLite `synchronous=FULL`).
    case full
    /// The database stays consistent on power loss but may lose the last commits.
    case normal
}

/// A kind of database a vault can live in, picked by the `database` its `vault.json` names.
///
/// The facade knows backends only through this protocol: the program that opens a vault hands it
/// the backends it was built with (`VaultOptions.backends`), and the vault uses the first that
/// accepts its database. Backups are single files in the format of a backend that accepts a file
/// path, whatever the live database is.
public protocol StorageBackend: Sendable {
    /// Whether `database` (as `vault.json` or a backup path spells it) is a database of this kind.
    func accepts(_ database: String) -> Bool
    /// Opens the database `database` of the vault in `folder`, creating it (owner-only) and
    /// bringing its schema up to date as needed.
    func open(_ database: String, in folder: URL, durability: StorageDurability) async throws -> any VaultStorage
    /// Opens a backup file made by `VaultStorage.backup(to:)` for reading and changing it in place.
    func openBackup(at path: String, durability: StorageDurability) async throws -> any VaultStorage
    /// Copies the backup file at `source` into a new file at `destination`, leaving `source` as it was.
    func copyBackup(from source: String, to destination: String) throws
}

extension [any StorageBackend] {
    /// The first backend that accepts `database`, or `StoreError.unavailable` naming what is missing.
    public func backend(for database: String) throws(StoreError) -> any StorageBackend {
        guard let backend = first(where: { $0.accepts(database) }) else {
            throw StoreError.unavailable("no storage backend in this program accepts the database \(database)")
        }
        return backend
    }
}
