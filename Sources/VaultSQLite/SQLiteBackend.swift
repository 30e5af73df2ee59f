public import Foundation
public import VaultStore

/// The embedded backend: a vault's database is one SQLite file inside its folder.
public struct SQLiteBackend: StorageBackend {
    /// The backend.
    public init() {}

    /// Any name without a URL scheme is a file.
    public func accepts(_ database: String) -> Bool { !database.contains("://") }

    /// Opens `folder/database`, which must be a plain file name: `vault.json` could otherwise point anywhere.
    public func open(_ database: String, in folder: URL, durability: StorageDurability) async throws -> any VaultStorage {
        guard !database.isEmpty, database != ".", database != "..", !database.contains("/"), !database.contains("\0") else {
            throw StoreError.conflict("the database must be a plain file name inside the vault folder, such as vault.sqlite")
        }
        let path = folder.appendingPathComponent(database).path
        // The database holds only ciphertext, but it is the owner's alone; SQLite gives its WAL and
        // shared-memory files the same mode as the database file.
        if !FileManager.default.fileExists(atPath: path),
            !FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        {
            throw StoreError.unavailable("cannot create \(path)")
        }
        return try SQLiteStorage(path: path, durability: durability)
    }

    /// Opens a backup file.
    public func openBackup(at path: String, durability: StorageDurability) async throws -> any VaultStorage {
        try SQLiteStorage(path: path, durability: durability)
    }

    /// Copies with SQLite's backup API.
    public func copyBackup(from source: String, to destination: String) throws {
        try SQLiteStorage.copy(from: source, to: destination)
    }
}
