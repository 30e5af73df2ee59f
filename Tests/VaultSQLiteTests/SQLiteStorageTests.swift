import Foundation
import Testing
import VaultStore

@testable import VaultSQLite

@Suite("SQLite durability")
struct DurabilityTests {
    @Test("the chosen synchronous level is in force on the writer", arguments: [(StorageDurability.full, 2), (.normal, 1)])
    func synchronousLevel(durability: StorageDurability, expected: Int) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-durability-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let storage = try SQLiteStorage(path: folder.appendingPathComponent("v.sqlite").path, durability: durability)
        #expect(try storage.writerPragma("synchronous") == expected)
    }
}
