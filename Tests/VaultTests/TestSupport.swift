import Foundation
import Logging
import Synchronization
import Testing
import VaultCrypto
import VaultPostgres
import VaultSQLite
import VaultStore
import VaultTestSupport

@testable import Vault

/// A clock tests can move.
final class TestClock: VaultClock, @unchecked Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_795_392_000)) { current = Mutex(start) }  // 2026-11-23

    func now() -> Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// The backends the tests' vaults may use.
let testBackends: [any StorageBackend] = [SQLiteBackend(), PostgresBackend()]

/// Whether the facade tests run on a database file (some tests play an attacker who edits it).
let onSQLite = !TestDatabases.facadeOnPostgres

/// A vault in a fresh temporary folder, removed when the test ends.
struct TestVault {
    let vault: Vault
    let folder: URL
    let clock: TestClock
    let customers: [CustomerRecord]
    /// What `vault.json` names: the SQLite file's name, or the PostgreSQL test database's URL.
    let database: String

    var databasePath: String { folder.appendingPathComponent("vault.sqlite").path }

    static func make(
        customers count: Int = 40,
        seed: UInt64 = 11,
        logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
        policyText: String? = nil
    ) async throws -> TestVault {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-test-\(UUID().uuidString)")
        let clock = TestClock()
        var options = VaultOptions(backends: testBackends)
        options.clock = clock
        options.durability = .normal
        options.logger = logger
        options.peerRefreshWait = .zero
        let database = TestDatabases.facadeOnPostgres ? try TestDatabases.freshPostgresDatabase() : "vault.sqlite"
        let vault = try await Vault.create(at: folder, policyText: policyText, database: database, options: options)
        let generator = SyntheticCustomers(seed: seed, asOf: clock.now())
        let customers = (0..<count).map(generator.customer)
        if count > 0 { _ = try await vault.importCustomers(customers, by: .localOperator, batchSize: 16) }
        return TestVault(vault: vault, folder: folder, clock: clock, customers: customers, database: database)
    }

    /// Reopens the same folder (a new process would do this).
    func reopen(keySource: VaultOptions.KeySource = .recorded) async throws -> Vault {
        var options = VaultOptions(backends: testBackends)
        options.clock = clock
        options.durability = .normal
        options.keySource = keySource
        options.peerRefreshWait = .zero
        return try await Vault.open(at: folder, options: options)
    }

    func principal(_ role: String, name: String = "staff") async throws -> Principal {
        let token = try await vault.issueToken(role: role, customerID: nil, name: name, expiresIn: nil, by: .localOperator)
        return try await vault.authenticate(token: token.secret)
    }

    func customerPrincipal(_ id: String) async throws -> Principal {
        let token = try await vault.issueToken(role: "customer", customerID: id, name: nil, expiresIn: nil, by: .localOperator)
        return try await vault.authenticate(token: token.secret)
    }

    /// Runs raw SQL on the database file, as an attacker with file access would.
    func tamper(_ sql: String) throws {
        guard TestDatabases.facadeOnPostgres else { return try FileAttacker.execute(sql, onDatabaseAt: databasePath) }
        // Someone with a login to the database server, going around the vault.
        // SQLite's zeroblob(n) and X'…' are PostgreSQL's n zero bytes and '\x…'::bytea.
        let portable =
            sql
            .replacingOccurrences(of: #"zeroblob\(((?:[^()]|\([^()]*\))*)\)"#, with: "decode(repeat('00', $1), 'hex')", options: .regularExpression)
            .replacingOccurrences(of: #"\bX'([0-9A-Fa-f]*)'"#, with: #"'\\x$1'::bytea"#, options: .regularExpression)
        guard try ChildProcess.run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", portable, database]).status == 0 else {
            throw TestDatabaseError(description: "psql failed on the tampering statement")
        }
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

/// Collects log lines in memory, to prove they never carry personal data.
final class LogCapture: @unchecked Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    var logger: Logger {
        var logger = Logger(label: "capture") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.lines.withLock { $0.append("\(event.level) \(event.message) \(all)") }
        }
    }
}

/// The plain values of a customer's fields that must never show up in storage or logs: strings of
/// six characters or more that are not words of the policy itself (a segment name such as `active`
/// is public vocabulary, stored with the policy).
func distinctiveValues(of customer: CustomerRecord) -> [String] {
    customer.fields.values.flatMap { value -> [String] in
        switch value {
        case .string(let s): [s]
        case .stringList(let list): list
        default: []
        }
    }.filter { $0.utf8.count >= 6 && !Vault.defaultPolicyText.contains($0) }
}
