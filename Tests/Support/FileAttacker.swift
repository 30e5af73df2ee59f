import Foundation
import GRDB

/// Someone holding a vault's SQLite file: raw SQL through a connection of their own, with no vault
/// code on the way, as the tampering tests' attacker.
public enum FileAttacker {
    /// Runs `sql` on the database at `path`, outside any transaction (so PRAGMAs work too).
    public static func execute(_ sql: String, onDatabaseAt path: String) throws {
        var configuration = Configuration()
        // The vault may be finishing a write of its own.
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in try db.execute(sql: sql) }
        try queue.close()
    }
}
