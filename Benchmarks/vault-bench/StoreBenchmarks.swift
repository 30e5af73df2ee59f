import Foundation
import Vault
import VaultSQLite
import VaultStore

/// The encrypted profile store end to end (issue 4): bulk import, a purpose-bound point read
/// (policy + decrypt + audit entry), and key rotation, each beside the same rows as plaintext JSON
/// in a plain SQLite table written and read by this program with the same batch size and
/// durability, and — when Debian's `sqlcipher` is installed — beside SQLCipher importing the same
/// rows, the peer a user would otherwise pick.
///
///     vault-bench store [--customers 100000] [--reads 5000] [--rounds 3] [--quick] [--postgres postgres://USER@HOST:PORT/DB]
///
/// With `--postgres`, the vault is measured on that PostgreSQL server too (a new database per
/// round, dropped after; the password from `PGPASSWORD` or `.pgpass`), in the same run and against
/// the same plain-SQLite baseline, so its rows compare with the SQLite vault's directly.
///
/// The vault gets parsed records and the baselines get finished JSON lines, both made untimed:
/// the vault's timed work includes encoding its fields, the baselines' does not.
enum StoreBenchmarks {
    /// What support may read for `service` under the default policy: all three sealed records.
    static let readFields = ["name", "email", "phone", "postcode", "region", "preferred_channel", "purchases"]

    @MainActor
    static func run(_ options: BenchOptions) async throws {
        let customers = options.value("customers", default: options.quick ? 2_000 : 100_000)
        let reads = options.value("reads", default: options.quick ? 200 : 5_000)
        let rounds = options.value("rounds", default: options.quick ? 1 : 3)
        let batch = 1_000

        let records = BenchVault.records(0..<customers)
        let lines = Array(try Vault.syntheticJSONLines(count: customers, seed: BenchVault.seed, asOf: BenchVault.asOf))
        precondition(lines[0].contains("\"\(records[0].id)\""), "the JSON lines and the records must be the same customers")
        let rows = zip(records, lines).map { BaselineTable.JSONRow(id: $0.id, json: $1) }
        let jsonBytes = lines.reduce(0) { $0 + $1.utf8.count } / customers
        let sqlcipher = SQLCipher.find()

        var table: [String] = []
        let setups: [(durability: StorageDurability, postgres: PostgresServer?)] =
            [(.full, nil), (.normal, nil)] + (options.postgres.map { [(.full, $0), (.normal, $0)] } ?? [])
        for setup in setups {
            let durability = setup.durability
            let name = (setup.postgres == nil ? "SQLite " : "PostgreSQL ") + durability.rawValue
            let cipher = setup.postgres == nil ? sqlcipher : nil
            // Import: fresh vault and fresh files each round, rounds interleaved so noise hits all alike.
            var kept: BenchVault?
            var vaultImport = Double.infinity
            var plainImport = Double.infinity
            var cipherImport = Double.infinity
            var plain: BaselineTable?
            var plainFolders: [URL] = []
            let script = try cipher.map { try $0.script(rows, durability: durability, batch: batch) }
            for _ in 0..<rounds {
                kept?.remove()
                let bench = try await BenchVault.create(durability: durability, postgres: setup.postgres)
                vaultImport = min(
                    vaultImport,
                    try await Timing.time {
                        _ = try await bench.vault.importCustomers(records, by: .localOperator, batchSize: batch)
                    }
                )
                kept = bench

                let folder = BenchVault.temporaryFolder("plain")
                plainFolders.append(folder)
                let baseline = try BaselineTable(path: folder.appendingPathComponent("plain.sqlite").path, durability: durability)
                plainImport = min(
                    plainImport,
                    try await Timing.time {
                        for start in stride(from: 0, to: rows.count, by: batch) {
                            try await baseline.insert(Array(rows[start..<min(start + batch, rows.count)]))
                        }
                    }
                )
                plain = baseline

                if let cipher, let script {
                    cipherImport = min(cipherImport, try cipher.run(script: script, expectedRows: customers))
                }
            }
            if let script { try? FileManager.default.removeItem(at: script.deletingLastPathComponent()) }
            defer { for folder in plainFolders { try? FileManager.default.removeItem(at: folder) } }
            guard let bench = kept, let plain else { continue }
            let vaultRate = Double(customers) / vaultImport
            let plainRate = Double(customers) / plainImport
            table.append(
                row(
                    "import \(Timing.grouped(customers)) customers",
                    name,
                    Timing.rate(vaultRate),
                    Timing.rate(plainRate),
                    vaultRate / plainRate,
                    goal: 0.5
                )
            )
            if let cipher {
                let cipherRate = Double(customers) / cipherImport
                table.append(
                    row(
                        "import vs SQLCipher \(cipher.version) CLI (same JSON rows, per-batch transactions, incl. process start + KDF)",
                        name,
                        Timing.rate(vaultRate),
                        Timing.rate(cipherRate),
                        vaultRate / cipherRate,
                        goal: nil
                    )
                )
            }

            // Point reads of random customers, after a short warm-up of both.
            let ids = records.map(\.id)
            let vault = bench.vault
            let support = bench.support
            let check = try await vault.readCustomer(ids[0], purpose: "service", fields: readFields, by: support)
            precondition(check.values.count == readFields.count, "support must be allowed every field it reads for service")
            for index in 0..<min(100, customers) {
                _ = try await vault.readCustomer(ids[index], purpose: "service", fields: readFields, by: support)
                _ = try await plain.json(id: ids[index])
            }
            let picks = (0..<reads).map { _ in ids.randomElement()! }
            let vaultOne = try await Timing.latencies(reads) { index in
                _ = try await vault.readCustomer(picks[index], purpose: "service", fields: readFields, by: support)
            }
            let plainOne = try await Timing.latencies(reads) { index in
                guard try await plain.json(id: picks[index]) != nil else { fatalError("a stored row is missing") }
            }
            // Audited reads commit before they return; concurrent ones share a commit (group commit).
            var concurrent: [(readers: Int, vault: Double, plain: Double)] = []
            for readers in [2, 8] {
                let vaultRate = try await concurrentRate(readers: readers, reads: reads) { id in
                    _ = try await vault.readCustomer(id, purpose: "service", fields: readFields, by: support)
                } picks: {
                    picks
                }
                let plainRate = try await concurrentRate(readers: readers, reads: reads) { id in
                    _ = try await plain.json(id: id)
                } picks: {
                    picks
                }
                concurrent.append((readers, vaultRate, plainRate))
            }
            table.append(
                row(
                    "point read p50 / p99 (1 reader)",
                    name,
                    "\(Timing.duration(vaultOne.p50)) / \(Timing.duration(vaultOne.p99))",
                    "\(Timing.duration(plainOne.p50)) / \(Timing.duration(plainOne.p99))",
                    nil,
                    goal: nil
                )
            )
            table.append(
                row(
                    "point read rate (1 reader)",
                    name,
                    Timing.rate(vaultOne.rate),
                    Timing.rate(plainOne.rate),
                    vaultOne.rate / plainOne.rate,
                    goal: 0.25
                )
            )
            for (readers, vaultRate, plainRate) in concurrent {
                table.append(
                    row(
                        "point read rate (\(readers) concurrent readers)",
                        name,
                        Timing.rate(vaultRate),
                        Timing.rate(plainRate),
                        vaultRate / plainRate,
                        goal: 0.25
                    )
                )
            }

            // Key rotation: every DEK rewrapped under a new KEK version, once per round.
            let rotation = try await Timing.best(of: rounds) { _ in
                try await Timing.time { try await vault.rollKeyEpoch(by: .localOperator) }
            }
            table.append(
                row(
                    "key rotation (rewrap \(Timing.grouped(customers)) DEKs)",
                    name,
                    Timing.rate(Double(customers) / rotation, " DEKs/s") + " (\(Timing.duration(rotation)))",
                    "—",
                    nil,
                    goal: nil
                )
            )
            bench.remove()
        }

        print("## Store (issue 4): \(Timing.grouped(customers)) customers, ~\(jsonBytes) B of JSON each, batches of \(batch), best of \(rounds)\n")
        print("Durability `.full` (SQLite `synchronous=FULL`, PostgreSQL `synchronous_commit=on`) is the vault's default; `.normal` is")
        print("shown beside it. PostgreSQL rows: the vault on the server given by `--postgres`, over TCP. Baseline: the same")
        print("customers as plaintext JSON lines in a plain SQLite table (`id` primary key), same process, same GRDB pool")
        print("settings, same batch size and durability; reads are `SELECT json … WHERE id = ?`. Vault reads ask for \(readFields.count)")
        print("fields of all three sealed records (support, purpose `service`); each read commits its audit entry.\n")
        print("| measurement | storage, durability | vault | plain SQLite (or peer) | vault ÷ baseline | goal |")
        print("|---|---|---:|---:|---:|---|")
        for line in table { print(line) }
        if sqlcipher == nil {
            print("\nSQLCipher: not measured — no `sqlcipher` binary (Debian: `apt-get install sqlcipher`).")
        }
        print("")
    }

    /// Reads/second with `readers` tasks splitting `picks()`.
    nonisolated(nonsending) private static func concurrentRate(
        readers: Int,
        reads: Int,
        _ body: @escaping @Sendable (String) async throws -> Void,
        picks: () -> [String]
    ) async throws -> Double {
        let all = picks()
        let wall = try await Timing.time {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for reader in 0..<readers {
                    let mine = stride(from: reader, to: all.count, by: readers).map { all[$0] }
                    group.addTask { for id in mine { try await body(id) } }
                }
                try await group.waitForAll()
            }
        }
        return Double(all.count) / wall
    }

    private static func row(
        _ what: String,
        _ durability: String,
        _ vault: String,
        _ baseline: String,
        _ ratio: Double?,
        goal: Double?
    ) -> String {
        let ratioText = ratio.map(Timing.ratio) ?? ""
        let goalText = goal.map { goal in "≥ \(goal)× " + Timing.verdict((ratio ?? 0) >= goal) } ?? ""
        return "| \(what) | \(durability) | \(vault) | \(baseline) | \(ratioText) | \(goalText) |"
    }
}

/// Debian's `sqlcipher` shell, driven with a SQL script and timed around the whole process.
private struct SQLCipher {
    let path: String
    let version: String

    static func find() -> SQLCipher? {
        guard let path = ["/usr/bin/sqlcipher", "/usr/local/bin/sqlcipher"].first(where: FileManager.default.isExecutableFile(atPath:)),
            let output = try? shell(path, database: ":memory:", sql: "PRAGMA key = 'probe';\nPRAGMA cipher_version;\n")
        else { return nil }
        let version = output.trimmingCharacters(in: .whitespacesAndNewlines)
        return SQLCipher(path: path, version: version.isEmpty ? "?" : version)
    }

    /// The rows as one SQL script: the same table as the plain baseline, WAL, the given
    /// durability, one transaction per `batch` rows.
    func script(_ rows: [BaselineTable.JSONRow], durability: StorageDurability, batch: Int) throws -> URL {
        var text = """
            PRAGMA key = 'vault-bench passphrase';
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL");
            CREATE TABLE customer_json (id TEXT PRIMARY KEY NOT NULL, json TEXT NOT NULL);

            """
        text.reserveCapacity(rows.reduce(0) { $0 + $1.json.utf8.count + 64 })
        for start in stride(from: 0, to: rows.count, by: batch) {
            text += "BEGIN;\n"
            for row in rows[start..<min(start + batch, rows.count)] {
                text +=
                    "INSERT INTO customer_json VALUES ('\(row.id.replacingOccurrences(of: "'", with: "''"))', '\(row.json.replacingOccurrences(of: "'", with: "''"))');\n"
            }
            text += "COMMIT;\n"
        }
        let url = BenchVault.temporaryFolder("sqlcipher").appendingPathComponent("import.sql")
        try Data(text.utf8).write(to: url)
        return url
    }

    /// Seconds the import takes in a fresh database file; checks the row count afterwards, untimed.
    func run(script: URL, expectedRows: Int) throws -> Double {
        let database = BenchVault.temporaryFolder("sqlcipher-db").appendingPathComponent("cipher.db").path
        let started = Date()
        _ = try Self.shell(path, arguments: [database], input: script)
        let seconds = Date().timeIntervalSince(started)
        let count = try Self.shell(path, database: database, sql: "PRAGMA key = 'vault-bench passphrase';\nSELECT count(*) FROM customer_json;\n")
        guard Int(count.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last ?? "") == expectedRows else {
            throw BenchFailure("sqlcipher stored \(count.trimmingCharacters(in: .whitespacesAndNewlines)) rows, expected \(expectedRows)")
        }
        try? FileManager.default.removeItem(atPath: (database as NSString).deletingLastPathComponent)
        return seconds
    }

    /// Runs `path` with `input` on standard input; returns standard output, throws on a non-zero exit.
    static func shell(_ path: String, arguments: [String], input: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdin = try FileHandle(forReadingFrom: input)
        defer { try? stdin.close() }
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchFailure("\(path) exited with status \(process.terminationStatus)") }
        return String(decoding: output, as: UTF8.self)
    }

    /// Runs `path` on `database` with a short SQL text.
    static func shell(_ path: String, database: String, sql: String) throws -> String {
        let file = BenchVault.temporaryFolder("sqlcipher-sql").appendingPathComponent("query.sql")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try Data(sql.utf8).write(to: file)
        return try shell(path, arguments: [database], input: file)
    }
}

/// A benchmark that cannot produce a meaningful number stops with this.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
