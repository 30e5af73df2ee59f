import Foundation
import VaultStore

/// Where a vault's PostgreSQL database is, as `vault.json` names it: `postgres://user@host:port/db`.
///
/// The URL never holds the password — `vault.json` is not a secret and argv and logs are seen by
/// others — so a URL with one is refused; the password comes from `PGPASSWORD` or a `.pgpass` file,
/// the way libpq finds it.
struct PostgresLocation: Equatable, Sendable {
    var user: String
    var host: String
    var port: Int
    var database: String
    /// `require` (the default: TLS with the server's certificate verified), `prefer` or `disable`,
    /// from `?sslmode=`.
    var sslMode: String

    /// Whether `text` is spelled as a PostgreSQL URL at all (the backend's `accepts`).
    static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `postgres://user@host[:port]/database[?sslmode=disable|prefer|require]`.
    init(_ text: String) throws(StoreError) {
        let example = "write it as postgres://USER@HOST:PORT/DATABASE"
        guard Self.isPostgresURL(text), let url = URLComponents(string: text) else {
            // The text is not repeated: a malformed URL may still hold a password.
            throw StoreError.conflict("the database is not a PostgreSQL URL that can be read; \(example)")
        }
        guard url.password == nil else {
            throw StoreError.conflict(
                "the PostgreSQL URL holds a password; remove it and set PGPASSWORD or a .pgpass file instead (vault.json, argv and logs are not secret)"
            )
        }
        guard let user = url.user, !user.isEmpty else { throw StoreError.conflict("the PostgreSQL URL names no user; \(example)") }
        guard let host = url.host, !host.isEmpty else { throw StoreError.conflict("the PostgreSQL URL names no host; \(example)") }
        let database = String(url.path.dropFirst())
        guard !database.isEmpty, !database.contains("/") else { throw StoreError.conflict("the PostgreSQL URL names no database; \(example)") }
        let port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw StoreError.conflict("the PostgreSQL URL's port \(port) is out of range") }
        var sslMode = "require"
        for item in url.queryItems ?? [] {
            guard item.name == "sslmode", let value = item.value, ["disable", "prefer", "require"].contains(value) else {
                throw StoreError.conflict("the PostgreSQL URL's option \(item.name) is not supported; only sslmode=disable|prefer|require is")
            }
            sslMode = value
        }
        self.user = user
        self.host = host
        self.port = port
        self.database = database
        self.sslMode = sslMode
    }

    /// The URL again, without any secret.
    var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (sslMode == "require" ? "" : "?sslmode=\(sslMode)")
    }

    /// The password for this location: `PGPASSWORD`, else the first matching line of the file
    /// `PGPASSFILE` names or `~/.pgpass` (ignored, as libpq does, unless only its owner can read it);
    /// nil when neither has one (trust or peer authentication).
    func password(environment: [String: String] = ProcessInfo.processInfo.environment) throws(StoreError) -> String? {
        if let password = environment["PGPASSWORD"] { return password }
        let path = environment["PGPASSFILE"] ?? (environment["HOME"].map { $0 + "/.pgpass" } ?? "")
        guard !path.isEmpty, let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw StoreError.unavailable("the password file \(path) can be read by others than its owner; run chmod 600 \(path)")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = Self.pgpassFields(line)
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields, wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// Splits a `.pgpass` line at unescaped colons (`\:` and `\\` stand for themselves).
    private static func pgpassFields(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
