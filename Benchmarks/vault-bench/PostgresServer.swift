import Foundation

/// A PostgreSQL server the benchmarks make throwaway databases on, with the client tools
/// (`createdb`, `dropdb`) and the password in `PGPASSWORD` or `.pgpass`, as a vault would use it.
struct PostgresServer: Sendable {
    /// What `--postgres` gave: `postgres://USER@HOST:PORT/ANY[?sslmode=…]`.
    let base: String

    init(_ base: String) { self.base = base }

    private var components: URLComponents {
        guard let components = URLComponents(string: base), components.scheme == "postgres" || components.scheme == "postgresql",
            components.host != nil, components.user != nil
        else {
            FileHandle.standardError.write(Data("vault-bench: --postgres wants postgres://USER@HOST:PORT/DB\n".utf8))
            BenchVault.finish(2)
        }
        return components
    }

    /// The URL of database `name` on this server, with the same user, port and options.
    func url(database name: String) -> String {
        var components = components
        components.path = "/" + name
        return components.string!
    }

    /// Makes a new empty database and returns its name.
    func createDatabase() throws -> String {
        let name = "vault_bench_" + UUID().uuidString.prefix(8).lowercased()
        try client("createdb", name)
        return name
    }

    /// Drops a database this run made, even with connections still open.
    func dropDatabase(_ name: String) {
        try? client("dropdb", "--force", "--if-exists", name)
    }

    private func client(_ tool: String, _ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool, "-h", components.host!, "-p", String(components.port ?? 5432), "-U", components.user!] + arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(tool) failed with status \(process.terminationStatus)"])
        }
    }
}
