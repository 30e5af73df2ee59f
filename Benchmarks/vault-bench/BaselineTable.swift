import Foundation
import GRDB
import VaultSQLite
import VaultStore

/// Benchmark-only plain tables: the unencrypted, unaudited SQLite that `vault-bench` times beside
/// the vault. Never use it in the product: it stores plaintext.
///
/// A ratio is only fair when the baseline differs from the vault in nothing but what the vault
/// adds (encryption, policy, audit), so this opens its file with `SQLiteStorage.openPool` (WAL
/// through a GRDB `DatabasePool`, the same `synchronous`, `secure_delete` and `mmap_size`) and goes
/// through the same async pool calls.
final class BaselineTable: Sendable {
    /// A customer's profile as the JSON Lines import format spells it.
    struct JSONRow: Sendable {
        /// The customer id.
        var id: String
        /// The customer's whole JSON line.
        var json: String

        /// A row.
        init(id: String, json: String) {
            self.id = id
            self.json = json
        }
    }

    /// One consent state, shaped like the vault's `consent` rows.
    struct ConsentChange: Sendable {
        /// The customer id.
        var customerID: String
        /// The purpose.
        var purpose: String
        /// `granted`, `withdrawn` or `objected`.
        var state: String
        /// When the customer chose.
        var at: Date

        /// A change.
        init(customerID: String, purpose: String, state: String, at: Date) {
            self.customerID = customerID
            self.purpose = purpose
            self.state = state
            self.at = at
        }
    }

    /// What an analytics GROUP BY needs of a customer, precomputed in plaintext.
    struct Facts: Sendable {
        /// The customer id.
        var id: String
        /// The group-by value.
        var region: String
        /// Whether the customer consented to analytics.
        var consents: Bool
        /// Purchase margin summed over the CLV window, in cents.
        var windowMargin: Int64

        /// A customer's facts.
        init(id: String, region: String, consents: Bool, windowMargin: Int64) {
            self.id = id
            self.region = region
            self.consents = consents
            self.windowMargin = windowMargin
        }
    }

    /// One group of `marginByRegion`.
    struct RegionTotal: Sendable, Equatable {
        /// The region.
        var region: String
        /// Consenting customers in it.
        var customers: Int
        /// Their clamped window margins, summed, in cents.
        var margin: Int64
    }

    private let pool: DatabasePool

    /// Opens (creating) plain tables in the file at `path`, configured like `SQLiteStorage`.
    init(path: String, durability: StorageDurability) throws {
        do {
            pool = try SQLiteStorage.openPool(path: path, durability: durability, label: "baseline")
            try pool.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS customer_json (id TEXT PRIMARY KEY NOT NULL, json TEXT NOT NULL);
                        CREATE TABLE IF NOT EXISTS consent (
                            customer_id TEXT NOT NULL,
                            purpose TEXT NOT NULL,
                            state TEXT NOT NULL,
                            at INTEGER NOT NULL,
                            PRIMARY KEY (customer_id, purpose)
                        ) WITHOUT ROWID;
                        CREATE TABLE IF NOT EXISTS customer_facts (
                            id TEXT PRIMARY KEY NOT NULL,
                            region TEXT NOT NULL,
                            analytics_consent INTEGER NOT NULL,
                            window_margin INTEGER NOT NULL
                        );
                        """
                )
            }
        } catch {
            throw SQLiteStorage.map(error, context: "opening the baseline \(path)")
        }
    }

    /// Inserts `rows` in one transaction.
    func insert(_ rows: [JSONRow]) async throws {
        try await write { db in
            let statement = try db.cachedStatement(sql: "INSERT INTO customer_json (id, json) VALUES (?, ?)")
            for row in rows { try statement.execute(arguments: [row.id, row.json]) }
        }
    }

    /// The JSON line stored for `id`.
    func json(id: String) async throws -> String? {
        try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT json FROM customer_json WHERE id = ?"), arguments: [id])
        }
    }

    /// Upserts `changes` in one transaction, as the vault's `consent` table does.
    func setConsents(_ changes: [ConsentChange]) async throws {
        try await write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO consent (customer_id, purpose, state, at) VALUES (?, ?, ?, ?)
                    ON CONFLICT (customer_id, purpose) DO UPDATE SET state = excluded.state, at = excluded.at
                    """
            )
            for change in changes {
                try statement.execute(arguments: [change.customerID, change.purpose, change.state, millis(change.at)])
            }
        }
    }

    /// Inserts `rows` in one transaction.
    func insert(_ rows: [Facts]) async throws {
        try await write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO customer_facts (id, region, analytics_consent, window_margin) VALUES (?, ?, ?, ?)
                    """
            )
            for row in rows { try statement.execute(arguments: [row.id, row.region, row.consents, row.windowMargin]) }
        }
    }

    /// Consenting customers and their window margins clamped to `bounds`, per region: the plaintext
    /// GROUP BY that customer equity and mean CLV by region reduce to.
    func marginByRegion(clampedTo bounds: ClosedRange<Int64>) async throws -> [RegionTotal] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT region, count(*), sum(min(max(window_margin, ?), ?)) FROM customer_facts
                    WHERE analytics_consent = 1 GROUP BY region ORDER BY region
                    """,
                arguments: [bounds.lowerBound, bounds.upperBound]
            ).map {
                RegionTotal(region: $0[0], customers: $0[1], margin: $0[2])
            }
        }
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw SQLiteStorage.map(error, context: "reading the baseline")
        }
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw SQLiteStorage.map(error, context: "writing the baseline")
        }
    }
}
