import Dispatch
import Foundation
import Synchronization
import Vault
import VaultPostgres
import VaultSQLite
import VaultStore

/// A vault in a fresh temporary folder on the default policy, with staff principals from real
/// tokens, filled with the synthetic customers `cvault generate` writes.
struct BenchVault: Sendable {
    let vault: Vault
    let folder: URL
    let support: Principal
    let auditor: Principal
    let analyst: Principal
    /// The PostgreSQL database the vault lives in (dropped by `remove`), or nil for SQLite.
    let database: (server: PostgresServer, name: String)?

    /// Today (UTC midnight): purchases fall in the three years before it, and the vault's system
    /// clock is on the same day, so every generated purchase lies inside the CLV window of an
    /// aggregate run now (unless the run crosses midnight, which only the sanity check would notice).
    static let asOf = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
    static let seed: UInt64 = 1
    static let generator = SyntheticCustomers(seed: seed, asOf: asOf)

    /// A new vault, in SQLite, or in a new database on `postgres`.
    static func create(durability: StorageDurability, postgres: PostgresServer? = nil) async throws -> BenchVault {
        let folder = temporaryFolder("vault")
        var options = VaultOptions(backends: [SQLiteBackend(), PostgresBackend()])
        options.durability = durability
        let database = try postgres.map { server in (server: server, name: try server.createDatabase()) }
        let vault = try await Vault.create(
            at: folder.appendingPathComponent("vault"),
            rootKey: .keyFile(nil),
            database: database.map { $0.server.url(database: $0.name) } ?? "vault.sqlite",
            options: options
        )
        func staff(_ role: String) async throws -> Principal {
            let token = try await vault.issueToken(role: role, customerID: nil, name: "bench-\(role)", expiresIn: nil, by: .localOperator)
            return try await vault.authenticate(token: token.secret)
        }
        return BenchVault(
            vault: vault,
            folder: folder,
            support: try await staff("support"),
            auditor: try await staff("auditor"),
            analyst: try await staff("analyst"),
            database: database
        )
    }

    /// A customer principal as a customer token would authenticate; issuing thousands of tokens
    /// would add thousands of write transactions to a setup that measures something else.
    static func customer(_ id: String) -> Principal {
        Principal(actor: "token:bench-\(id)", role: "customer", subject: id, customerID: id)
    }

    /// Imports customers `range` in chunks (generated on all cores, untimed); returns the seconds
    /// spent inside `importCustomers` only.
    func importSynthetic(_ range: Range<Int>, chunk: Int = 50_000, visit: ([CustomerRecord]) -> Void = { _ in }) async throws -> Double {
        var seconds = 0.0
        for start in stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
            let records = Self.records(start..<min(start + chunk, range.upperBound))
            visit(records)
            let clock = ContinuousClock()
            let began = clock.now
            _ = try await vault.importCustomers(records, by: .localOperator)
            seconds += Timing.seconds(clock.now - began)
        }
        return seconds
    }

    /// Synthetic customers `range`, generated on every core.
    static func records(_ range: Range<Int>) -> [CustomerRecord] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, range.count / 1000))
        let per = (range.count + workers - 1) / workers
        let parts = Mutex<[[CustomerRecord]]>(Array(repeating: [], count: workers))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let low = range.lowerBound + worker * per
            let part = (low..<min(low + per, range.upperBound)).map { generator.customer($0) }
            parts.withLock { $0[worker] = part }
        }
        return parts.withLock { $0.flatMap { $0 } }
    }

    func remove() {
        try? vault.close()
        try? FileManager.default.removeItem(at: folder)
        if let database { database.server.dropDatabase(database.name) }
    }

    /// Every folder of a run lives under this one, so a failing run can remove them all at once.
    static let root = FileManager.default.temporaryDirectory.appendingPathComponent("vault-bench-\(UUID().uuidString.prefix(8))")

    static func temporaryFolder(_ name: String) -> URL {
        let folder = root.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Removes every folder this run made (vaults of several GB at full size) and exits with `status`.
    static func finish(_ status: Int32) -> Never {
        try? FileManager.default.removeItem(at: root)
        exit(status)
    }
}

/// The one large vault of a run (1,000,000 customers by default): importing it takes minutes, so
/// the aggregate and audit-log suites share it when they ask for the same size.
@MainActor
enum LargeVault {
    struct Built: Sendable {
        let bench: BenchVault
        let customers: Int
        let importSeconds: Double
    }

    private static var built: Built?

    static func get(customers: Int) async throws -> Built {
        if let built, built.customers == customers { return built }
        built?.bench.remove()
        built = nil
        FileHandle.standardError.write(
            Data("vault-bench: importing \(customers) customers into a fresh vault (shared by the aggregate and auditlog suites)…\n".utf8)
        )
        let bench = try await BenchVault.create(durability: .full)
        let seconds = try await bench.importSynthetic(0..<customers)
        let result = Built(bench: bench, customers: customers, importSeconds: seconds)
        built = result
        return result
    }
}
