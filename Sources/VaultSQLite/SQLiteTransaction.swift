import Foundation
import GRDB
import VaultStore

/// Reads and writes over one GRDB connection inside one transaction.
struct SQLiteTransaction: StorageWriter {
    let db: Database

    init(_ db: Database) { self.db = db }

    // MARK: meta

    func vaultID() throws -> String? {
        try String.fetchOne(try db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'vault_id'"))
    }

    func setVaultID(_ id: String) throws {
        try db.cachedStatement(sql: "INSERT INTO meta (key, value) VALUES ('vault_id', ?)").execute(arguments: [id])
    }

    func dataVersion() throws -> Int64 {
        Int64(try String.fetchOne(try db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'data_version'")) ?? "0") ?? 0
    }

    func setDataVersion(_ version: Int64) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO meta (key, value) VALUES ('data_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """
        ).execute(arguments: [String(version)])
    }

    func setCheckpointHistoryStart(_ size: UInt64) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO meta (key, value) VALUES ('checkpoint_history_from', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """
        ).execute(arguments: [String(size)])
    }

    func copyMarker() throws -> String? {
        try String.fetchOne(try db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'copy_source'"))
    }

    func setCopyMarker(_ marker: String?) throws {
        if let marker {
            try db.cachedStatement(
                sql: """
                    INSERT INTO meta (key, value) VALUES ('copy_source', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """
            ).execute(arguments: [marker])
        } else {
            try db.cachedStatement(sql: "DELETE FROM meta WHERE key = 'copy_source'").execute()
        }
    }

    func bumpDataVersion() throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO meta (key, value) VALUES ('data_version', '1')
                ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)
                """
        ).execute()
    }

    // MARK: keys

    func keks() throws -> [KEKRow] {
        try Row.fetchAll(try db.cachedStatement(sql: "SELECT version, wrapped, created_at, destroyed_at FROM kek ORDER BY version")).map {
            KEKRow(version: try u32($0[0]), wrapped: $0[1], createdAt: date($0[2]), destroyedAt: ($0[3] as Int64?).map(date))
        }
    }

    func insertKEK(_ row: KEKRow) throws {
        try insert(
            "key version",
            sql: "INSERT INTO kek (version, wrapped, created_at, destroyed_at) VALUES (?, ?, ?, ?)",
            arguments: [Int64(row.version), row.wrapped, millis(row.createdAt), row.destroyedAt.map(millis)]
        )
    }

    func markEpochDestroyed(version: UInt32, at: Date) throws {
        try db.cachedStatement(sql: "UPDATE kek SET destroyed_at = ? WHERE version = ? AND destroyed_at IS NULL").execute(arguments: [
            millis(at), Int64(version),
        ])
    }

    func clearStoredKEKs() throws {
        try db.execute(sql: "UPDATE kek SET wrapped = X''")
    }

    func liveCustomers(after id: String?, limit: Int) throws -> [(id: String, kekVersion: UInt32)] {
        try Row.fetchAll(
            try db.cachedStatement(
                sql: """
                    SELECT id, kek_version FROM customer WHERE wrapped_dek IS NOT NULL AND id > ? ORDER BY id LIMIT ?
                    """
            ),
            arguments: [id ?? "", limit]
        ).map { ($0[0], try u32($0[1])) }
    }

    func logGenerations() throws -> [LogGenerationRow] {
        try Row.fetchAll(try db.cachedStatement(sql: "SELECT from_size, origin, created_at FROM log_generation ORDER BY from_size")).map {
            LogGenerationRow(fromSize: try u64($0[0]), origin: $0[1], createdAt: date($0[2]))
        }
    }

    func backupTakenAt() throws -> Date? {
        try String.fetchOne(try db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'backup_taken_at'")).flatMap(Int64.init).map(date)
    }

    func setBackupTakenAt(_ at: Date) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO meta (key, value) VALUES ('backup_taken_at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """
        ).execute(arguments: [String(millis(at))])
    }

    func lastRetentionSweep() throws -> (at: Date, valuesRemoved: Int)? {
        guard let text = try String.fetchOne(try db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'retention_sweep'")) else { return nil }
        let parts = text.split(separator: ",")
        guard parts.count == 2, let at = Int64(parts[0]), let removed = Int(parts[1]) else {
            throw StoreError.corrupted("the retention sweep record is malformed")
        }
        return (date(at), removed)
    }

    func setLastRetentionSweep(at: Date, valuesRemoved: Int) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO meta (key, value) VALUES ('retention_sweep', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """
        ).execute(arguments: ["\(millis(at)),\(valuesRemoved)"])
    }

    func witnessCosignatures() throws -> [WitnessCosignatureRow] {
        try Row.fetchAll(try db.cachedStatement(sql: "SELECT witness, size, note, at FROM witness_cosignature ORDER BY witness")).map {
            WitnessCosignatureRow(witness: $0[0], size: try u64($0[1]), note: $0[2], at: date($0[3]))
        }
    }

    func putWitnessCosignature(_ row: WitnessCosignatureRow) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO witness_cosignature (witness, size, note, at) VALUES (?, ?, ?, ?)
                ON CONFLICT (witness) DO UPDATE SET size = excluded.size, note = excluded.note, at = excluded.at
                WHERE excluded.size >= witness_cosignature.size
                """
        ).execute(arguments: [row.witness, Int64(row.size), row.note, millis(row.at)])
    }

    func insertLogGeneration(_ row: LogGenerationRow) throws {
        try insert(
            "log generation",
            sql: "INSERT INTO log_generation (from_size, origin, created_at) VALUES (?, ?, ?)",
            arguments: [Int64(row.fromSize), row.origin, millis(row.createdAt)]
        )
    }

    func latestRotation() throws -> RotationRow? {
        try Row.fetchOne(
            try db.cachedStatement(sql: "SELECT to_version, started_at, completed_at FROM key_rotation ORDER BY to_version DESC LIMIT 1")
        ).map {
            RotationRow(toVersion: try u32($0[0]), startedAt: date($0[1]), completedAt: ($0[2] as Int64?).map(date))
        }
    }

    func rotations() throws -> [RotationRow] {
        try Row.fetchAll(try db.cachedStatement(sql: "SELECT to_version, started_at, completed_at FROM key_rotation ORDER BY to_version")).map {
            RotationRow(toVersion: try u32($0[0]), startedAt: date($0[1]), completedAt: ($0[2] as Int64?).map(date))
        }
    }

    func insertRotation(_ row: RotationRow) throws {
        try insert(
            "key rotation",
            sql: "INSERT INTO key_rotation (to_version, started_at, completed_at) VALUES (?, ?, ?)",
            arguments: [Int64(row.toVersion), millis(row.startedAt), row.completedAt.map(millis)]
        )
    }

    func completeRotation(toVersion version: UInt32, at: Date) throws {
        try db.cachedStatement(sql: "UPDATE key_rotation SET completed_at = ? WHERE to_version = ? AND completed_at IS NULL").execute(
            arguments: [millis(at), Int64(version)])
    }

    func customersNotWrapped(under version: UInt32, after id: String?, limit: Int) throws -> [CustomerRow] {
        // The blob is `format ‖ version (4 bytes, big-endian) ‖ sealed key`: its own version counts.
        let bytes = Data([UInt8(version >> 24), UInt8(version >> 16 & 0xff), UInt8(version >> 8 & 0xff), UInt8(version & 0xff)])
        return try Row.fetchAll(
            try db.cachedStatement(
                sql: """
                    SELECT id, wrapped_dek, kek_version, created_at, erased_at FROM customer
                    WHERE wrapped_dek IS NOT NULL AND id > ? AND (kek_version IS NOT ? OR substr(wrapped_dek, 2, 4) <> ?)
                    ORDER BY id LIMIT ?
                    """
            ),
            arguments: [id ?? "", Int64(version), bytes, limit]
        ).map(customerRow)
    }

    func customerCountsByKEK() throws -> [UInt32: Int] {
        var result: [UInt32: Int] = [:]
        for row in try Row.fetchAll(
            try db.cachedStatement(sql: "SELECT kek_version, count(*) FROM customer WHERE wrapped_dek IS NOT NULL GROUP BY kek_version")
        ) {
            result[try u32(row[0])] = row[1]
        }
        return result
    }

    func updateWrappedKey(customerID: String, replacing: Data, wrappedKey: Data, kekVersion: UInt32) throws {
        try db.cachedStatement(sql: "UPDATE customer SET wrapped_dek = ?, kek_version = ? WHERE id = ? AND wrapped_dek = ?").execute(
            arguments: [wrappedKey, Int64(kekVersion), customerID, replacing])
        guard db.changesCount == 1 else { throw StoreError.notFound("live customer with that key") }
    }

    // MARK: customers

    func customer(id: String) throws -> CustomerRow? {
        try Row.fetchOne(
            try db.cachedStatement(sql: "SELECT id, wrapped_dek, kek_version, created_at, erased_at FROM customer WHERE id = ?"),
            arguments: [id]
        ).map(customerRow)
    }

    func customers(after id: String?, limit: Int) throws -> [CustomerRow] {
        try Row.fetchAll(
            try db.cachedStatement(sql: "SELECT id, wrapped_dek, kek_version, created_at, erased_at FROM customer WHERE id > ? ORDER BY id LIMIT ?"),
            arguments: [id ?? "", limit]
        ).map(customerRow)
    }

    func blindIndexes(customerID: String) throws -> [(field: String, digest: Data)] {
        try Row.fetchAll(
            try db.cachedStatement(sql: "SELECT field, digest FROM blind_index WHERE customer_id = ? ORDER BY field, digest"),
            arguments: [customerID]
        ).map { ($0[0], $0[1]) }
    }

    func insertCustomer(_ row: CustomerRow) throws {
        try insert(
            "customer",
            sql: "INSERT INTO customer (id, wrapped_dek, kek_version, created_at, erased_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [row.id, row.wrappedKey, row.kekVersion.map { Int64($0) }, millis(row.createdAt), row.erasedAt.map(millis)]
        )
    }

    func records(customerID: String) throws -> [RecordRow] {
        try Row.fetchAll(
            try db.cachedStatement(sql: "SELECT kind, version, ciphertext, updated_at FROM record WHERE customer_id = ?"),
            arguments: [customerID]
        ).map(recordRow)
    }

    func putRecord(customerID: String, _ row: RecordRow) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO record (customer_id, kind, version, ciphertext, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (customer_id, kind) DO UPDATE SET version = excluded.version,
                    ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
                """
        ).execute(arguments: [customerID, row.kind.rawValue, Int64(row.version), row.ciphertext, millis(row.updatedAt)])
    }

    func customerIDs(field: String, digest: Data) throws -> [String] {
        try String.fetchAll(
            try db.cachedStatement(
                sql: """
                    SELECT b.customer_id FROM blind_index b JOIN customer c ON c.id = b.customer_id
                    WHERE b.field = ? AND b.digest = ? AND c.wrapped_dek IS NOT NULL ORDER BY b.customer_id
                    """
            ),
            arguments: [field, digest]
        )
    }

    func replaceBlindIndexes(customerID: String, _ entries: [(field: String, digest: Data)]) throws {
        try db.cachedStatement(sql: "DELETE FROM blind_index WHERE customer_id = ?").execute(arguments: [customerID])
        let statement = try db.cachedStatement(sql: "INSERT OR IGNORE INTO blind_index (field, digest, customer_id) VALUES (?, ?, ?)")
        for entry in entries {
            try statement.execute(arguments: [entry.field, entry.digest, customerID])
        }
    }

    func customerCounts() throws -> (live: Int, erased: Int) {
        let row = try Row.fetchOne(try db.cachedStatement(sql: "SELECT count(wrapped_dek), count(erased_at) FROM customer"))
        return (row?[0] ?? 0, row?[1] ?? 0)
    }

    func customerSplitPoints(_ count: Int) throws -> [String] {
        guard count > 1 else { return [] }
        let total = try Int.fetchOne(try db.cachedStatement(sql: "SELECT count(*) FROM customer")) ?? 0
        // A tiny table can repeat a split point; the range between two equal points is empty.
        return try (1..<count).compactMap { index in
            try String.fetchOne(
                try db.cachedStatement(sql: "SELECT id FROM customer ORDER BY id LIMIT 1 OFFSET ?"),
                arguments: [total * index / count]
            )
        }
    }

    func scanCustomers(
        in ids: CustomerIDRange,
        kinds: Set<RecordKind>,
        consentFor purpose: String,
        _ body: (ScannedCustomer) throws -> Void
    ) throws {
        // customer, record and consent are all clustered by customer id, so three ordered scans
        // merged here read each table sequentially instead of seeking into record and consent
        // once per customer.
        var range = "customer_id >= ?"
        var arguments: StatementArguments = [ids.lowerBound ?? ""]
        if let high = ids.upperBound {
            range += " AND customer_id < ?"
            arguments += [high]
        }
        let kindList = kinds.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")
        let customers = try Row.fetchCursor(
            try db.cachedStatement(
                sql: """
                    SELECT id, wrapped_dek FROM customer WHERE wrapped_dek IS NOT NULL AND \(range.replacingOccurrences(of: "customer_id", with: "id")) ORDER BY id
                    """
            ),
            arguments: arguments
        )
        let records = try Row.fetchCursor(
            try db.cachedStatement(
                sql: """
                    SELECT customer_id, kind, version, ciphertext, updated_at FROM record
                    WHERE \(range) AND kind IN (\(kindList)) ORDER BY customer_id, kind
                    """
            ),
            arguments: arguments
        )
        let consents = try Row.fetchCursor(
            try db.cachedStatement(
                sql: """
                    SELECT customer_id, state, at FROM consent WHERE purpose = ? AND \(range) ORDER BY customer_id
                    """
            ),
            arguments: [purpose] + arguments
        )

        var pendingRecord = try records.next().map(recordEntry)
        var pendingConsent = try consents.next().map(consentEntry)
        while let row = try customers.next() {
            let id: String = row[0]
            var customer = ScannedCustomer(id: id, wrappedKey: row[1], records: [], consent: nil)
            // Rows of erased customers were deleted with them, so anything before `id` is skipped.
            while let entry = pendingRecord, Self.precedes(entry.customer, id) || entry.customer == id {
                if entry.customer == id { customer.records.append(try entry.row()) }
                pendingRecord = try records.next().map(recordEntry)
            }
            while let entry = pendingConsent, Self.precedes(entry.customer, id) || entry.customer == id {
                if entry.customer == id { customer.consent = try entry.row(purpose) }
                pendingConsent = try consents.next().map(consentEntry)
            }
            try body(customer)
        }
    }

    /// Customer ids are compared as SQLite compares TEXT (bytes), not as Swift orders strings.
    private static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    private struct RecordEntry {
        let customer: String
        let kind: String
        let version: Int64
        let ciphertext: Data
        let updatedAt: Int64

        func row() throws -> RecordRow {
            guard let kind = RecordKind(rawValue: kind) else { throw StoreError.corrupted("unknown record kind") }
            return RecordRow(kind: kind, version: try u64(version), ciphertext: ciphertext, updatedAt: date(updatedAt))
        }
    }

    private struct ConsentEntry {
        let customer: String
        let state: String
        let at: Int64

        func row(_ purpose: String) throws -> ConsentRow {
            guard let state = ConsentRow.State(rawValue: state) else { throw StoreError.corrupted("unknown consent state") }
            // The scan decides whether a purpose holds: who set the state does not matter there.
            return ConsentRow(purpose: purpose, state: state, at: date(at), source: .customer)
        }
    }

    private func recordEntry(_ row: Row) -> RecordEntry {
        RecordEntry(customer: row[0], kind: row[1], version: row[2], ciphertext: row[3], updatedAt: row[4])
    }

    private func consentEntry(_ row: Row) -> ConsentEntry {
        ConsentEntry(customer: row[0], state: row[1], at: row[2])
    }

    func eraseCustomer(id: String, at: Date) throws {
        try deleteDependents(of: id)
        try db.cachedStatement(sql: "UPDATE token SET revoked_at = ? WHERE customer_id = ? AND revoked_at IS NULL").execute(arguments: [
            millis(at), id,
        ])
        try db.cachedStatement(
            sql: "UPDATE customer SET wrapped_dek = NULL, kek_version = NULL, erased_at = ? WHERE id = ? AND wrapped_dek IS NOT NULL"
        ).execute(
            arguments: [millis(at), id])
        guard db.changesCount == 1 else { throw StoreError.notFound("live customer") }
    }

    private func deleteDependents(of id: String) throws {
        // A portal sign-in or session must not outlive the customer either.
        for table in ["record", "blind_index", "consent", "contest", "portal_sign_in", "portal_session"] {
            try db.cachedStatement(sql: "DELETE FROM \(table) WHERE customer_id = ?").execute(arguments: [id])
        }
    }

    // MARK: consent

    func consents(customerID: String) throws -> [ConsentRow] {
        try Row.fetchAll(
            try db.cachedStatement(sql: "SELECT purpose, state, at, source FROM consent WHERE customer_id = ? ORDER BY purpose"),
            arguments: [customerID]
        ).map {
            guard let state = ConsentRow.State(rawValue: $0[1]), let source = ConsentRow.Source(rawValue: $0[3]) else {
                throw StoreError.corrupted("unknown consent state or source")
            }
            return ConsentRow(purpose: $0[0], state: state, at: date($0[2]), source: source)
        }
    }

    func setConsent(customerID: String, _ row: ConsentRow) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO consent (customer_id, purpose, state, at, source) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (customer_id, purpose) DO UPDATE SET state = excluded.state, at = excluded.at, source = excluded.source
                """
        ).execute(arguments: [customerID, row.purpose, row.state.rawValue, millis(row.at), row.source.rawValue])
    }

    // MARK: tokens

    func token(hash: Data) throws -> TokenRow? {
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT \(Self.tokenColumns) FROM token WHERE hash = ?"), arguments: [hash]).map(tokenRow)
    }

    func token(id: String) throws -> TokenRow? {
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT \(Self.tokenColumns) FROM token WHERE id = ?"), arguments: [id]).map(tokenRow)
    }

    func tokens() throws -> [TokenRow] {
        try Row.fetchAll(try db.cachedStatement(sql: "SELECT \(Self.tokenColumns) FROM token ORDER BY created_at DESC, id")).map(tokenRow)
    }

    func insertToken(_ row: TokenRow) throws {
        try insert(
            "token",
            sql: """
                INSERT INTO token (id, hash, role, subject, customer_id, created_at, expires_at, revoked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                row.id, row.hash, row.role, row.subject, row.customerID, millis(row.createdAt),
                row.expiresAt.map(millis), row.revokedAt.map(millis),
            ]
        )
    }

    func revokeToken(id: String, at: Date) throws -> Bool {
        try db.cachedStatement(sql: "UPDATE token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").execute(arguments: [millis(at), id])
        return db.changesCount == 1
    }

    private static let tokenColumns = "id, hash, role, subject, customer_id, created_at, expires_at, revoked_at"

    // MARK: policy

    func activePolicy() throws -> PolicyRow? {
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT hash, text, file_name, applied_at FROM policy ORDER BY seq DESC LIMIT 1")).map(policyRow)
    }

    func policies() throws -> [PolicyRow] {
        try Row.fetchAll(try db.cachedStatement(sql: "SELECT hash, text, file_name, applied_at FROM policy ORDER BY seq")).map(policyRow)
    }

    func insertPolicy(_ row: PolicyRow) throws {
        try db.cachedStatement(sql: "INSERT INTO policy (hash, text, file_name, applied_at) VALUES (?, ?, ?, ?)").execute(
            arguments: [row.hash, row.text, row.fileName, millis(row.appliedAt)])
    }

    // MARK: audit

    func auditSize() throws -> UInt64 {
        // seq is dense from 0, so the next seq is max+1; an empty log has size 0.
        try u64(try Int64.fetchOne(try db.cachedStatement(sql: "SELECT coalesce(max(seq) + 1, 0) FROM audit_entry")) ?? 0)
    }

    func auditNode(level: Int, index: UInt64) throws -> Data? {
        let statement = try db.cachedStatement(sql: "SELECT hash FROM audit_node WHERE level = ? AND idx = ?")
        return try Data.fetchOne(statement, arguments: [level, Int64(index)])
    }

    func auditEntries(from seq: UInt64, limit: Int, customerID: String?) throws -> [AuditRow] {
        if let customerID {
            return try Row.fetchAll(
                try db.cachedStatement(
                    sql: "SELECT seq, leaf, customer_id, at FROM audit_entry WHERE customer_id = ? AND seq >= ? ORDER BY seq LIMIT ?"
                ),
                arguments: [customerID, Int64(seq), limit]
            ).map(auditRow)
        }
        return try Row.fetchAll(
            try db.cachedStatement(sql: "SELECT seq, leaf, customer_id, at FROM audit_entry WHERE seq >= ? ORDER BY seq LIMIT ?"),
            arguments: [Int64(seq), limit]
        ).map(auditRow)
    }

    func forEachAuditEntry(from seq: UInt64, _ body: (AuditRow) throws -> Bool) throws {
        let cursor = try Row.fetchCursor(
            try db.cachedStatement(sql: "SELECT seq, leaf, customer_id, at FROM audit_entry WHERE seq >= ? ORDER BY seq"),
            arguments: [Int64(seq)]
        )
        while let row = try cursor.next() {
            guard try body(auditRow(row)) else { return }
        }
    }

    func forEachAuditNode(level: Int, from index: UInt64, _ body: (UInt64, Data) throws -> Bool) throws {
        let cursor = try Row.fetchCursor(
            try db.cachedStatement(sql: "SELECT idx, hash FROM audit_node WHERE level = ? AND idx >= ? ORDER BY idx"),
            arguments: [level, Int64(index)]
        )
        while let row = try cursor.next() {
            guard try body(try u64(row[0]), row[1]) else { return }
        }
    }

    func appendAuditEntry(_ row: AuditRow, at: Date) throws {
        let statement = try db.cachedStatement(sql: "INSERT INTO audit_entry (seq, leaf, customer_id, at) VALUES (?, ?, ?, ?)")
        try insert("audit entry") { try statement.execute(arguments: [Int64(row.seq), row.leaf, row.customerID, millis(at)]) }
    }

    func putAuditNodes(_ nodes: [(level: Int, index: UInt64, hash: Data)]) throws {
        let statement = try db.cachedStatement(sql: "INSERT INTO audit_node (level, idx, hash) VALUES (?, ?, ?)")
        for node in nodes {
            try insert("audit tree node") { try statement.execute(arguments: [node.level, Int64(node.index), node.hash]) }
        }
    }

    func latestCheckpoint() throws -> CheckpointRow? {
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT size, root, note, at FROM checkpoint ORDER BY size DESC LIMIT 1")).map(checkpointRow)
    }

    func checkpoints() throws -> [CheckpointRow] {
        try Row.fetchAll(try db.cachedStatement(sql: "SELECT size, root, note, at FROM checkpoint ORDER BY size")).map(checkpointRow)
    }

    func checkpointHistoryStart() throws -> UInt64 {
        UInt64(try String.fetchOne(try db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'checkpoint_history_from'")) ?? "0") ?? 0
    }

    func deleteCheckpoint(size: UInt64) throws {
        try db.cachedStatement(sql: "DELETE FROM checkpoint WHERE size = ?").execute(arguments: [Int64(size)])
    }

    func insertCheckpoint(_ row: CheckpointRow) throws {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO checkpoint (size, root, note, at) VALUES (?, ?, ?, ?)").execute(
            arguments: [Int64(row.size), row.root, row.note, millis(row.at)])
    }

    // MARK: contests

    func contest(id: String) throws -> ContestRow? {
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT \(Self.contestColumns) FROM contest WHERE id = ?"), arguments: [id]).map(contestRow)
    }

    func contests(customerID: String?, statuses: Set<ContestRow.Status>?) throws -> [ContestRow] {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let customerID {
            clauses.append("customer_id = ?")
            arguments += [customerID]
        }
        if let statuses {
            // Statuses are our own enum's raw values: written as literals, the statement is one of a
            // few cached ones and the pending-contest index applies.
            clauses.append("status IN (\(statuses.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")))")
        }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        return try Row.fetchAll(
            try db.cachedStatement(sql: "SELECT \(Self.contestColumns) FROM contest \(whereClause) ORDER BY opened_at, id"),
            arguments: arguments
        ).map(contestRow)
    }

    func insertContest(_ row: ContestRow) throws {
        try insert(
            "pending contest for this field",
            sql: """
                INSERT INTO contest (id, customer_id, field, sealed_request, status, opened_at, deadline, resolved_at, resolver, sealed_resolution)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                row.id, row.customerID, row.field, row.sealedRequest, row.status.rawValue, millis(row.openedAt),
                millis(row.deadline), row.resolvedAt.map(millis), row.resolver, row.sealedResolution,
            ]
        )
    }

    func updateContest(_ row: ContestRow) throws {
        try db.cachedStatement(
            sql: """
                UPDATE contest SET status = ?, resolved_at = ?, resolver = ?, sealed_resolution = ? WHERE id = ?
                """
        ).execute(arguments: [row.status.rawValue, row.resolvedAt.map(millis), row.resolver, row.sealedResolution, row.id])
        guard db.changesCount == 1 else { throw StoreError.notFound("contest") }
    }

    func replaceContestCiphertexts(_ row: ContestRow) throws {
        try db.cachedStatement(sql: "UPDATE contest SET sealed_request = ?, sealed_resolution = ? WHERE id = ? AND customer_id = ?").execute(
            arguments: [row.sealedRequest, row.sealedResolution, row.id, row.customerID])
        guard db.changesCount == 1 else { throw StoreError.notFound("contest") }
    }

    func updateContestRequest(_ row: ContestRow) throws {
        try db.cachedStatement(sql: "UPDATE contest SET status = ?, sealed_request = ? WHERE id = ? AND resolved_at IS NULL").execute(
            arguments: [row.status.rawValue, row.sealedRequest, row.id])
        guard db.changesCount == 1 else { throw StoreError.notFound("pending contest") }
    }

    private static let contestColumns =
        "id, customer_id, field, sealed_request, status, opened_at, deadline, resolved_at, resolver, sealed_resolution"

    // MARK: analytics

    func chargedMicroEpsilon(analyst: String?, since: Date) throws -> Int64 {
        if let analyst {
            return try Int64.fetchOne(
                try db.cachedStatement(sql: "SELECT coalesce(sum(micro_epsilon), 0) FROM privacy_charge WHERE analyst = ? AND at >= ?"),
                arguments: [analyst, millis(since)]
            ) ?? 0
        }
        return try Int64.fetchOne(
            try db.cachedStatement(sql: "SELECT coalesce(sum(micro_epsilon), 0) FROM privacy_charge WHERE at >= ?"),
            arguments: [millis(since)]
        ) ?? 0
    }

    func insertCharge(_ row: ChargeRow) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO privacy_charge (analyst, micro_epsilon, at, query_key) VALUES (?, ?, ?, ?)").execute(
            arguments: [row.analyst, row.microEpsilon, millis(row.at), row.queryKey])
        return db.lastInsertedRowID
    }

    func charges() throws -> [ChargeRow] {
        try Row.fetchAll(try db.cachedStatement(sql: "SELECT analyst, micro_epsilon, at, query_key FROM privacy_charge ORDER BY id")).map {
            ChargeRow(analyst: $0[0], microEpsilon: $0[1], at: date($0[2]), queryKey: $0[3])
        }
    }

    func deleteCharge(id: Int64) throws {
        try db.cachedStatement(sql: "DELETE FROM privacy_charge WHERE id = ?").execute(arguments: [id])
        guard db.changesCount == 1 else { throw StoreError.notFound("privacy charge") }
    }

    func cachedAnswer(queryKey: String) throws -> (answer: Data, validUntil: Date?)? {
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT answer, valid_until FROM query_cache WHERE query_key = ?"), arguments: [queryKey]).map {
            ($0[0], ($0[1] as Int64?).map(date))
        }
    }

    func putCachedAnswer(queryKey: String, answer: Data, at: Date, validUntil: Date?) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO query_cache (query_key, answer, at, valid_until) VALUES (?, ?, ?, ?)
                ON CONFLICT (query_key) DO UPDATE SET answer = excluded.answer, at = excluded.at, valid_until = excluded.valid_until
                """
        ).execute(arguments: [queryKey, answer, millis(at), validUntil.map(millis)])
    }

    func recommendationModel(version: Int64?) throws -> ModelRow? {
        let sql =
            "SELECT version, trained_at, audit_seq, body FROM recommendation_model "
            + (version == nil ? "ORDER BY version DESC LIMIT 1" : "WHERE version = ?")
        return try Row.fetchOne(try db.cachedStatement(sql: sql), arguments: StatementArguments(version.map { [$0] } ?? [])).map(modelRow)
    }

    func recommendationModels() throws -> [ModelRow] {
        try Row.fetchAll(try db.cachedStatement(sql: "SELECT version, trained_at, audit_seq, body FROM recommendation_model ORDER BY version")).map(
            modelRow
        )
    }

    func insertRecommendationModel(_ row: ModelRow) throws {
        try insert(
            "model version \(row.version)",
            sql: "INSERT INTO recommendation_model (version, trained_at, audit_seq, body) VALUES (?, ?, ?, ?)",
            arguments: [row.version, millis(row.trainedAt), Int64(row.auditSeq), row.body]
        )
    }

    private func modelRow(_ row: Row) throws -> ModelRow {
        ModelRow(version: row[0], trainedAt: date(row[1]), auditSeq: try u64(row[2]), body: row[3])
    }

    // MARK: portal

    func signInCode(linkHash: Data) throws -> SignInCodeRow? {
        try Row.fetchOne(try db.cachedStatement(sql: "SELECT \(Self.signInColumns) FROM portal_sign_in WHERE link_hash = ?"), arguments: [linkHash])
            .map(signInRow)
    }

    func signInCodes(customerID: String, since: Date) throws -> [SignInCodeRow] {
        try Row.fetchAll(
            try db.cachedStatement(
                sql: """
                    SELECT \(Self.signInColumns) FROM portal_sign_in WHERE customer_id = ? AND created_at >= ? ORDER BY created_at DESC, id
                    """
            ),
            arguments: [customerID, millis(since)]
        ).map(signInRow)
    }

    func insertSignInCode(_ row: SignInCodeRow) throws {
        try insert(
            "portal sign-in",
            sql: """
                INSERT INTO portal_sign_in (id, customer_id, code_hash, link_hash, created_at, expires_at, attempts, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                row.id, row.customerID, row.codeHash, row.linkHash, millis(row.createdAt), millis(row.expiresAt), row.attempts,
                row.usedAt.map(millis),
            ]
        )
    }

    func updateSignInCode(id: String, attempts: Int, usedAt: Date?) throws {
        try db.cachedStatement(sql: "UPDATE portal_sign_in SET attempts = ?, used_at = ? WHERE id = ?").execute(arguments: [
            attempts, usedAt.map(millis), id,
        ])
        guard db.changesCount == 1 else { throw StoreError.notFound("portal sign-in") }
    }

    func portalSession(secretHash: Data) throws -> PortalSessionRow? {
        try Row.fetchOne(
            try db.cachedStatement(
                sql: """
                    SELECT id, secret_hash, customer_id, created_at, last_seen_at, expires_at, ended_at FROM portal_session WHERE secret_hash = ?
                    """
            ),
            arguments: [secretHash]
        ).map {
            PortalSessionRow(
                id: $0[0],
                secretHash: $0[1],
                customerID: $0[2],
                createdAt: date($0[3]),
                lastSeenAt: date($0[4]),
                expiresAt: date($0[5]),
                endedAt: ($0[6] as Int64?).map(date)
            )
        }
    }

    func insertPortalSession(_ row: PortalSessionRow) throws {
        try insert(
            "portal session",
            sql: """
                INSERT INTO portal_session (id, secret_hash, customer_id, created_at, last_seen_at, expires_at, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                row.id, row.secretHash, row.customerID, millis(row.createdAt), millis(row.lastSeenAt), millis(row.expiresAt),
                row.endedAt.map(millis),
            ]
        )
    }

    func updatePortalSession(id: String, lastSeenAt: Date, endedAt: Date?) throws {
        // An ended session stays ended: a request that read it just before sign-out only touches it.
        try db.cachedStatement(sql: "UPDATE portal_session SET last_seen_at = ?, ended_at = coalesce(ended_at, ?) WHERE id = ?").execute(
            arguments: [millis(lastSeenAt), endedAt.map(millis), id])
        guard db.changesCount == 1 else { throw StoreError.notFound("portal session") }
    }

    func portalAttempts(bucket: Data, since: Date) throws -> Int {
        try Int.fetchOne(
            try db.cachedStatement(sql: "SELECT count(*) FROM portal_attempt WHERE bucket = ? AND at >= ?"),
            arguments: [bucket, millis(since)]
        ) ?? 0
    }

    func recordPortalAttempt(bucket: Data, at: Date) throws {
        try db.cachedStatement(sql: "INSERT INTO portal_attempt (bucket, at) VALUES (?, ?)").execute(arguments: [bucket, millis(at)])
    }

    func prunePortal(before: Date) throws {
        let cutoff = millis(before)
        try db.cachedStatement(sql: "DELETE FROM portal_sign_in WHERE expires_at < ?").execute(arguments: [cutoff])
        try db.cachedStatement(sql: "DELETE FROM portal_session WHERE expires_at < ? OR ended_at < ?").execute(arguments: [cutoff, cutoff])
        try db.cachedStatement(sql: "DELETE FROM portal_attempt WHERE at < ?").execute(arguments: [cutoff])
    }

    private static let signInColumns = "id, customer_id, code_hash, link_hash, created_at, expires_at, attempts, used_at"

    private func signInRow(_ row: Row) throws -> SignInCodeRow {
        SignInCodeRow(
            id: row[0],
            customerID: row[1],
            codeHash: row[2],
            linkHash: row[3],
            createdAt: date(row[4]),
            expiresAt: date(row[5]),
            attempts: row[6],
            usedAt: (row[7] as Int64?).map(date)
        )
    }

    // MARK: helpers

    /// Runs an insert, turning a uniqueness violation into `StoreError.duplicate(what)`.
    private func insert(_ what: String, sql: String, arguments: StatementArguments) throws {
        try insert(what) { try db.cachedStatement(sql: sql).execute(arguments: arguments) }
    }

    private func insert(_ what: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY || error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
        {
            throw StoreError.duplicate(what)
        }
    }

    private func customerRow(_ row: Row) throws -> CustomerRow {
        CustomerRow(
            id: row[0],
            wrappedKey: row[1],
            kekVersion: try (row[2] as Int64?).map(u32),
            createdAt: date(row[3]),
            erasedAt: (row[4] as Int64?).map(date)
        )
    }

    private func recordRow(_ row: Row) throws -> RecordRow {
        guard let kind = RecordKind(rawValue: row[0]) else { throw StoreError.corrupted("unknown record kind") }
        return RecordRow(kind: kind, version: try u64(row[1]), ciphertext: row[2], updatedAt: date(row[3]))
    }

    private func tokenRow(_ row: Row) -> TokenRow {
        TokenRow(
            id: row[0],
            hash: row[1],
            role: row[2],
            subject: row[3],
            customerID: row[4],
            createdAt: date(row[5]),
            expiresAt: (row[6] as Int64?).map(date),
            revokedAt: (row[7] as Int64?).map(date)
        )
    }

    private func policyRow(_ row: Row) -> PolicyRow {
        PolicyRow(hash: row[0], text: row[1], fileName: row[2], appliedAt: date(row[3]))
    }

    private func auditRow(_ row: Row) throws -> AuditRow {
        AuditRow(seq: try u64(row[0]), leaf: row[1], customerID: row[2], at: (row[3] as Int64?).map(date))
    }

    private func checkpointRow(_ row: Row) throws -> CheckpointRow {
        CheckpointRow(size: try u64(row[0]), root: row[1], note: row[2], at: date(row[3]))
    }

    private func contestRow(_ row: Row) throws -> ContestRow {
        guard let status = ContestRow.Status(rawValue: row[4]) else { throw StoreError.corrupted("unknown contest status") }
        return ContestRow(
            id: row[0],
            customerID: row[1],
            field: row[2],
            sealedRequest: row[3],
            status: status,
            openedAt: date(row[5]),
            deadline: date(row[6]),
            resolvedAt: (row[7] as Int64?).map(date),
            resolver: row[8],
            sealedResolution: row[9]
        )
    }
}
