import Foundation
import Testing
import VaultStore

@testable import VaultPostgres

@Suite("PostgreSQL locations and passwords")
struct PostgresLocationTests {
    @Test("a URL names user, host, port and database; one with a password, or without a part, is refused with what to do")
    func parsing() throws {
        let location = try PostgresLocation("postgres://cvault@db.example:6543/vault?sslmode=require")
        #expect(location.user == "cvault" && location.host == "db.example" && location.port == 6543)
        #expect(location.database == "vault" && location.sslMode == "require")
        #expect(location.description == "postgres://cvault@db.example:6543/vault")
        #expect(try PostgresLocation("postgres://a@h/d").sslMode == "require", "TLS unless the URL says otherwise")
        #expect(try PostgresLocation("postgresql://a@h/d").port == 5432)
        #expect(
            throws: StoreError.conflict(
                "the PostgreSQL URL holds a password; remove it and set PGPASSWORD or a .pgpass file instead (vault.json, argv and logs are not secret)"
            )
        ) {
            try PostgresLocation("postgres://cvault:hunter2@db/vault")
        }
        for bad in [
            "postgres://db/vault", "postgres://u@/vault", "postgres://u@db", "postgres://u@db/a/b", "postgres://u@db/v?sslmode=verify-full",
            "postgres://u@db/v?password=x",
        ] {
            #expect(throws: StoreError.self, "\(bad)") { try PostgresLocation(bad) }
        }
    }

    @Test("the password comes from PGPASSWORD, else the first matching .pgpass line; a .pgpass others can read is refused")
    func passwords() throws {
        let location = try PostgresLocation("postgres://cvault@db.example:5432/vault")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgpass-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("pgpass").path
        try """
        # comment
        other.example:5432:vault:cvault:wrong
        db.example:5432:other:cvault:wrong
        db.example:*:vault:cvault:pa\\:ss\\\\word
        *:*:*:*:fallback
        """.write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        #expect(try location.password(environment: ["PGPASSFILE": file]) == "pa:ss\\word")
        #expect(try location.password(environment: ["PGPASSFILE": file, "PGPASSWORD": "env"]) == "env")
        #expect(try location.password(environment: ["PGPASSFILE": folder.appendingPathComponent("missing").path]) == nil)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        #expect(throws: StoreError.self) { try location.password(environment: ["PGPASSFILE": file]) }
    }

    @Test("an unreachable server is 'unavailable' at once, and the error names no password")
    func unreachable() async throws {
        let started = ContinuousClock.now
        await #expect {
            _ = try await PostgresBackend().open(
                "postgres://cvault@127.0.0.1:1/vault?sslmode=disable",
                in: FileManager.default.temporaryDirectory,
                durability: .full
            )
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.kind == .unavailable && !error.description.contains("secret-password")
        }
        // The pool alone would retry for about a minute; the vault answers after its 5 s wait (more
        // on a loaded machine).
        #expect(ContinuousClock.now - started < .seconds(45))
    }
}
