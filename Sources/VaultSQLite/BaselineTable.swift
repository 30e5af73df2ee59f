package import Foundation
import GRDB
package import VaultStore

/// Benchmark-only plain tables: the unencrypted, unaudited SQLite that `vault-bench` times beside
/// the vault. Never use it in the product: it stores plaintext.
///
/// A ratio is only fair when the baseline differs from the vault in nothing but what the vault
/// adds (encryption, policy, audit), so this opens its file with `SQLiteStorage.openPool` (WAL
/// through a GRDB `DatabasePool`, the same `synchronous`, `secure_delete` and `mmap_size`) and goes
/// through the same async pool calls.
package final class BaselineTable: Sendable {
    /// A customer's profile as the JSON Lines import format spells it.
    package struct JSONRow: Sendable {
        /// The customer id.
        package var id: String
        /// The customer's whole JSON line.
        package var json: String

        /// A row.
        package init(id: String, json: String) {
            self.id = id
            self.json = json
        }
    }

    /// One consent state, shaped like the vault's `consent` rows.
    package struct ConsentChange: Sendable {
        /// The customer id.
        package var customerID: String
        /// The purpose.
        package var purpose: String
        /// `granted`, `withdrawn` or `objected`.
        package var state: String
        /// When the customer chose.
        package var at: Date

        /// A change.
        package init(customerID: String, purpose: String, state: String, at: Date) {
            self.customerID = customerID
            self.purpose = purpose
            self.state = state
            self.at = at
        }
    }

    /// What an analytics GROUP BY needs of a customer, precomputed in plaintext.
    package struct Facts: Sendable {
        /// The customer id.
        package var id: String
        /// The group-by value.
        package var region: String
        /// Whether the customer consented to analytics.
        package var consents: Bool
        /// Purchase margin summed over the CLV window, in cents.
        package var windowMargin: Int64

        /// A customer's facts.
        package init(id: String, region: String, consents: Bool, windowMargin: Int64) {
            self.id = id
            self.region = region
            self.consents = consents
            self.windowMargin = windowMargin
        }
    }

    /// One group of `marginByRegion`.
    package struct RegionTotal: Sendable, Equatable {
        /// The region.
        package var region: String
        /// Consenting customers in it.
        package var customers: Int
        /// Their clamped window margins, summed, in cents.
        package var margin: Int64
    }

    private let pool: DatabasePool

    /// Opens (creating) plain tables in the file at `path`, configured like `SQLiteStorage`.
    package init(path: String, durability: StorageDurability) throws {
        do {
            pool = try SQLiteStorage.openPool(path: path, durability: durability, label: "baseline")
            try pool.write { db in
                try db.execute(sql: """
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
                    """)
            }
        } catch {
            throw SQLiteStorage.map(error, context: "opening the baseline \(path)")
        }
    }

    /// Inserts `rows` in one transaction.
    package func insert(_ rows: [JSONRow]) async throws {
        try await write { db in
            let statement = try db.cachedStatement(sql: "INSERT INTO customer_json (id, json) VALUES (?, ?)")
            for row in rows { try statement.execute(arguments: [row.id, row.json]) }
        }
    }

    /// The JSON line stored for `id`.
    package func json(id: String) async throws -> String? {
        try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT json FROM customer_json WHERE id = ?"), arguments: [id])
        }
    }

    /// Upserts `changes` in one transaction, as the vault's `consent` table does.
    package func setConsents(_ changes: [ConsentChange]) async throws {
        try await write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO consent (customer_id, purpose, state, at) VALUES (?, ?, ?, ?)
                ON CONFLICT (customer_id, purpose) DO UPDATE SET state = excluded.state, at = excluded.at
                """)
            for change in changes {
                try statement.execute(arguments: [change.customerID, change.purpose, change.state, millis(change.at)])
            }
        }
    }

    /// Inserts `rows` in one transaction.
    package func insert(_ rows: [Facts]) async throws {
        try await write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO customer_facts (id, region, analytics_consent, window_margin) VALUES (?, ?, ?, ?)
                """)
            for row in rows { try statement.execute(arguments: [row.id, row.region, row.consents, row.windowMargin]) }
        }
    }

    /// Consenting customers and their window margins clamped to `bounds`, per region: the plaintext
    /// GROUP BY that customer equity and mean CLV by region reduce to.
    package func marginByRegion(clampedTo bounds: ClosedRange<Int64>) async throws -> [RegionTotal] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT region, count(*), sum(min(max(window_margin, ?), ?)) FROM customer_facts
                WHERE analytics_consent = 1 GROUP BY region ORDER BY region
                """, arguments: [bounds.lowerBound, bounds.upperBound]).map {
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
