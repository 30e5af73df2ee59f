import Foundation
import PostgresNIO
import Synchronization
import VaultStore

/// Reads and writes over one PostgreSQL connection inside one transaction.
///
/// It runs on a thread of its own (see `PostgresStorage.onBlockingThread`), never on an event loop:
/// each call waits there for its statement's answer, which the connection's event loop delivers.
struct PostgresTransaction: StorageWriter {
    let connection: PostgresConnection
    let logger: Logger
    /// The first statement of this transaction that failed on the server or the connection: after
    /// it PostgreSQL answers COMMIT with a rollback, so the transaction must not count as committed.
    let failure = FirstFailure()

    /// Keeps the first failure, from whichever thread ran the statement.
    final class FirstFailure: Sendable {
        private let first = Mutex<StoreError?>(nil)

        func record(_ error: StoreError) { first.withLock { if $0 == nil { $0 = error } } }

        var error: StoreError? { first.withLock { $0 } }
    }

    // MARK: meta

    func vaultID() throws -> String? { try metaValue("vault_id") }

    func setVaultID(_ id: String) throws {
        try insert("vault id", "INSERT INTO meta (key, value) VALUES ('vault_id', $1) ON CONFLICT DO NOTHING", [id])
    }

    func dataVersion() throws -> Int64 { Int64(try metaValue("data_version") ?? "0") ?? 0 }

    func bumpDataVersion() throws {
        try run(
            """
            INSERT INTO meta (key, value) VALUES ('data_version', '1')
            ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text
            """
        )
    }

    func setDataVersion(_ version: Int64) throws { try setMeta("data_version", String(version)) }

    func setCheckpointHistoryStart(_ size: UInt64) throws { try setMeta("checkpoint_history_from", String(size)) }

    func copyMarker() throws -> String? { try metaValue("copy_source") }

    func setCopyMarker(_ marker: String?) throws {
        if let marker { try setMeta("copy_source", marker) } else { try run("DELETE FROM meta WHERE key = 'copy_source'") }
    }

    private func metaValue(_ key: String) throws -> String? {
        try run("SELECT value FROM meta WHERE key = $1", [key]).rows.first.map { try Cells($0).text(0) }
    }

    private func setMeta(_ key: String, _ value: String) throws {
        try run("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value])
    }

    // MARK: keys

    func keks() throws -> [KEKRow] {
        try run("SELECT version, wrapped, created_at, destroyed_at FROM kek ORDER BY version").rows.map {
            let c = Cells($0)
            return KEKRow(version: try c.u32(0), wrapped: try c.bytes(1), createdAt: try c.date(2), destroyedAt: try c.optionalDate(3))
        }
    }

    func insertKEK(_ row: KEKRow) throws {
        try insert(
            "key version",
            "INSERT INTO kek (version, wrapped, created_at, destroyed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [Int64(row.version), row.wrapped, millis(row.createdAt), row.destroyedAt.map(millis)]
        )
        try notifyChange()
    }

    func markEpochDestroyed(version: UInt32, at: Date) throws {
        try run("UPDATE kek SET destroyed_at = $1 WHERE version = $2 AND destroyed_at IS NULL", [millis(at), Int64(version)])
        try notifyChange()
    }

    func clearStoredKEKs() throws {
        try run("UPDATE kek SET wrapped = ''::bytea")
    }

    func liveCustomers(after id: String?, limit: Int) throws -> [(id: String, kekVersion: UInt32)] {
        try run(
            "SELECT id, kek_version FROM customer WHERE wrapped_dek IS NOT NULL AND id > $1 ORDER BY id LIMIT $2",
            [id ?? "", Int64(limit)]
        ).rows.map {
            let c = Cells($0)
            return (try c.text(0), try c.u32(1))
        }
    }

    func logGenerations() throws -> [LogGenerationRow] {
        try run("SELECT from_size, origin, created_at FROM log_generation ORDER BY from_size").rows.map {
            let c = Cells($0)
            return LogGenerationRow(fromSize: try c.u64(0), origin: try c.text(1), createdAt: try c.date(2))
        }
    }

    func backupTakenAt() throws -> Date? {
        try metaValue("backup_taken_at").flatMap(Int64.init).map(date)
    }

    func setBackupTakenAt(_ at: Date) throws { try setMeta("backup_taken_at", String(millis(at))) }

    func lastRetentionSweep() throws -> (at: Date, valuesRemoved: Int)? {
        guard let text = try metaValue("retention_sweep") else { return nil }
        let parts = text.split(separator: ",")
        guard parts.count == 2, let at = Int64(parts[0]), let removed = Int(parts[1]) else {
            throw StoreError.corrupted("the retention sweep record is malformed")
        }
        return (date(at), removed)
    }

    func setLastRetentionSweep(at: Date, valuesRemoved: Int) throws {
        try setMeta("retention_sweep", "\(millis(at)),\(valuesRemoved)")
    }

    func witnessCosignatures() throws -> [WitnessCosignatureRow] {
        try run("SELECT witness, size, note, at FROM witness_cosignature ORDER BY witness").rows.map {
            let c = Cells($0)
            return WitnessCosignatureRow(witness: try c.text(0), size: try c.u64(1), note: try c.text(2), at: try c.date(3))
        }
    }

    func putWitnessCosignature(_ row: WitnessCosignatureRow) throws {
        try run(
            """
            INSERT INTO witness_cosignature (witness, size, note, at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (witness) DO UPDATE SET size = excluded.size, note = excluded.note, at = excluded.at
            WHERE excluded.size >= witness_cosignature.size
            """,
            [row.witness, Int64(row.size), row.note, millis(row.at)]
        )
    }

    func insertLogGeneration(_ row: LogGenerationRow) throws {
        try insert(
            "log generation",
            "INSERT INTO log_generation (from_size, origin, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [Int64(row.fromSize), row.origin, millis(row.createdAt)]
        )
    }

    func latestRotation() throws -> RotationRow? {
        try run("SELECT to_version, started_at, completed_at FROM key_rotation ORDER BY to_version DESC LIMIT 1").rows.first.map {
            let c = Cells($0)
            return RotationRow(toVersion: try c.u32(0), startedAt: try c.date(1), completedAt: try c.optionalDate(2))
        }
    }

    func rotations() throws -> [RotationRow] {
        try run("SELECT to_version, started_at, completed_at FROM key_rotation ORDER BY to_version").rows.map {
            let c = Cells($0)
            return RotationRow(toVersion: try c.u32(0), startedAt: try c.date(1), completedAt: try c.optionalDate(2))
        }
    }

    func insertRotation(_ row: RotationRow) throws {
        try insert(
            "key rotation",
            "INSERT INTO key_rotation (to_version, started_at, completed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [Int64(row.toVersion), millis(row.startedAt), row.completedAt.map(millis)]
        )
    }

    func completeRotation(toVersion version: UInt32, at: Date) throws {
        try run("UPDATE key_rotation SET completed_at = $1 WHERE to_version = $2 AND completed_at IS NULL", [millis(at), Int64(version)])
        try notifyChange()
    }

    func customersNotWrapped(under version: UInt32, after id: String?, limit: Int) throws -> [CustomerRow] {
        // The blob is `format ‖ version (4 bytes, big-endian) ‖ sealed key`: its own version counts.
        let bytes = Data([UInt8(version >> 24), UInt8(version >> 16 & 0xff), UInt8(version >> 8 & 0xff), UInt8(version & 0xff)])
        return try run(
            """
            SELECT \(Self.customerColumns) FROM customer
            WHERE wrapped_dek IS NOT NULL AND id > $1 AND (kek_version IS DISTINCT FROM $2 OR substring(wrapped_dek FROM 2 FOR 4) <> $3)
            ORDER BY id LIMIT $4
            """,
            [id ?? "", Int64(version), bytes, Int64(limit)]
        ).rows.map(customerRow)
    }

    func customerCountsByKEK() throws -> [UInt32: Int] {
        var result: [UInt32: Int] = [:]
        for row in try run("SELECT kek_version, count(*) FROM customer WHERE wrapped_dek IS NOT NULL GROUP BY kek_version").rows {
            let c = Cells(row)
            result[try c.u32(0)] = Int(try c.int(1))
        }
        return result
    }

    func updateWrappedKey(customerID: String, replacing: Data, wrappedKey: Data, kekVersion: UInt32) throws {
        let changed = try run(
            "UPDATE customer SET wrapped_dek = $1, kek_version = $2 WHERE id = $3 AND wrapped_dek = $4",
            [wrappedKey, Int64(kekVersion), customerID, replacing]
        ).metadata.rows
        guard changed == 1 else { throw StoreError.notFound("live customer with that key") }
    }

    // MARK: customers

    private static let customerColumns = "id, wrapped_dek, kek_version, created_at, erased_at"

    func customer(id: String) throws -> CustomerRow? {
        try run("SELECT \(Self.customerColumns) FROM customer WHERE id = $1", [id]).rows.first.map(customerRow)
    }

    func customers(after id: String?, limit: Int) throws -> [CustomerRow] {
        try run("SELECT \(Self.customerColumns) FROM customer WHERE id > $1 ORDER BY id LIMIT $2", [id ?? "", Int64(limit)]).rows.map(customerRow)
    }

    func blindIndexes(customerID: String) throws -> [(field: String, digest: Data)] {
        try run("SELECT field, digest FROM blind_index WHERE customer_id = $1 ORDER BY field, digest", [customerID]).rows.map {
            let c = Cells($0)
            return (try c.text(0), try c.bytes(1))
        }
    }

    func insertCustomer(_ row: CustomerRow) throws {
        try insert(
            "customer",
            "INSERT INTO customer (id, wrapped_dek, kek_version, created_at, erased_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            [row.id, row.wrappedKey, row.kekVersion.map { Int64($0) }, millis(row.createdAt), row.erasedAt.map(millis)]
        )
    }

    func records(customerID: String) throws -> [RecordRow] {
        try run("SELECT kind, version, ciphertext, updated_at FROM record WHERE customer_id = $1", [customerID]).rows.map {
            try recordRow(Cells($0), from: 0)
        }
    }

    func putRecord(customerID: String, _ row: RecordRow) throws {
        try run(
            """
            INSERT INTO record (customer_id, kind, version, ciphertext, updated_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (customer_id, kind) DO UPDATE SET version = excluded.version,
                ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
            """,
            [customerID, row.kind.rawValue, Int64(row.version), row.ciphertext, millis(row.updatedAt)]
        )
    }

    func customerIDs(field: String, digest: Data) throws -> [String] {
        try run(
            """
            SELECT b.customer_id FROM blind_index b JOIN customer c ON c.id = b.customer_id
            WHERE b.field = $1 AND b.digest = $2 AND c.wrapped_dek IS NOT NULL ORDER BY b.customer_id
            """,
            [field, digest]
        ).rows.map { try Cells($0).text(0) }
    }

    func replaceBlindIndexes(customerID: String, _ entries: [(field: String, digest: Data)]) throws {
        try run("DELETE FROM blind_index WHERE customer_id = $1", [customerID])
        guard !entries.isEmpty else { return }
        let rows = entries.indices.map { "($\($0 * 2 + 1), $\($0 * 2 + 2), $\(entries.count * 2 + 1))" }.joined(separator: ", ")
        try run(
            "INSERT INTO blind_index (field, digest, customer_id) VALUES \(rows) ON CONFLICT DO NOTHING",
            entries.flatMap { [$0.field, $0.digest] as [Bind] } + [customerID]
        )
    }

    func customerCounts() throws -> (live: Int, erased: Int) {
        guard let row = try run("SELECT count(wrapped_dek), count(erased_at) FROM customer").rows.first else { return (0, 0) }
        let c = Cells(row)
        return (Int(try c.int(0)), Int(try c.int(1)))
    }

    func customerSplitPoints(_ count: Int) throws -> [String] {
        guard count > 1 else { return [] }
        let total = try run("SELECT count(*) FROM customer").rows.first.map { try Cells($0).int(0) } ?? 0
        // A tiny table can repeat a split point; the range between two equal points is empty.
        return try (1..<count).compactMap { index in
            try run("SELECT id FROM customer ORDER BY id LIMIT 1 OFFSET $1", [total * Int64(index) / Int64(count)]).rows.first.map {
                try Cells($0).text(0)
            }
        }
    }

    /// Customers per round trip of a scan: enough to hide the latency, little enough to stream.
    static let scanPage = 1_000

    func scanCustomers(
        in ids: CustomerIDRange,
        kinds: Set<RecordKind>,
        consentFor purpose: String,
        _ body: (ScannedCustomer) throws -> Void
    ) throws {
        // Keyset pages of customers, each with its records and consents in two range queries: the
        // snapshot (REPEATABLE READ) keeps the pages consistent with one another.
        let kindList = kinds.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")
        var lower = ids.lowerBound ?? ""
        var inclusive = true
        while true {
            var values: [Bind] = [lower]
            var sql = "SELECT id, wrapped_dek FROM customer WHERE wrapped_dek IS NOT NULL AND id \(inclusive ? ">=" : ">") $1"
            if let high = ids.upperBound {
                sql += " AND id < $2"
                values.append(high)
            }
            let page = try run(sql + " ORDER BY id LIMIT \(Self.scanPage)", values).rows.map { row in
                let c = Cells(row)
                return ScannedCustomer(id: try c.text(0), wrappedKey: try c.bytes(1), records: [], consent: nil)
            }
            guard let first = page.first?.id, let last = page.last?.id else { return }
            var records: [String: [RecordRow]] = [:]
            if !kinds.isEmpty {
                for row in try run(
                    """
                    SELECT customer_id, kind, version, ciphertext, updated_at FROM record
                    WHERE customer_id BETWEEN $1 AND $2 AND kind IN (\(kindList))
                    """,
                    [first, last]
                ).rows {
                    let c = Cells(row)
                    records[try c.text(0), default: []].append(try recordRow(c, from: 1))
                }
            }
            var consents: [String: ConsentRow] = [:]
            for row in try run(
                "SELECT customer_id, state, at FROM consent WHERE purpose = $1 AND customer_id BETWEEN $2 AND $3",
                [purpose, first, last]
            ).rows {
                let c = Cells(row)
                guard let state = ConsentRow.State(rawValue: try c.text(1)) else { throw StoreError.corrupted("unknown consent state") }
                // The scan decides whether a purpose holds: who set the state does not matter there.
                consents[try c.text(0)] = ConsentRow(purpose: purpose, state: state, at: try c.date(2), source: .customer)
            }
            for var customer in page {
                customer.records = (records[customer.id] ?? []).sorted { $0.kind.rawValue < $1.kind.rawValue }
                customer.consent = consents[customer.id]
                try body(customer)
            }
            guard page.count == Self.scanPage else { return }
            lower = last
            inclusive = false
        }
    }

    func eraseCustomer(id: String, at: Date) throws {
        // A portal sign-in or session must not outlive the customer either.
        for table in ["record", "blind_index", "consent", "contest", "portal_sign_in", "portal_session"] {
            try run("DELETE FROM \(table) WHERE customer_id = $1", [id])
        }
        try run("UPDATE token SET revoked_at = $1 WHERE customer_id = $2 AND revoked_at IS NULL", [millis(at), id])
        let changed = try run(
            "UPDATE customer SET wrapped_dek = NULL, kek_version = NULL, erased_at = $1 WHERE id = $2 AND wrapped_dek IS NOT NULL",
            [millis(at), id]
        ).metadata.rows
        guard changed == 1 else { throw StoreError.notFound("live customer") }
    }

    // MARK: consent

    func consents(customerID: String) throws -> [ConsentRow] {
        try run("SELECT purpose, state, at, source FROM consent WHERE customer_id = $1 ORDER BY purpose", [customerID]).rows.map {
            let c = Cells($0)
            guard let state = ConsentRow.State(rawValue: try c.text(1)), let source = ConsentRow.Source(rawValue: try c.text(3)) else {
                throw StoreError.corrupted("unknown consent state or source")
            }
            return ConsentRow(purpose: try c.text(0), state: state, at: try c.date(2), source: source)
        }
    }

    func setConsent(customerID: String, _ row: ConsentRow) throws {
        try run(
            """
            INSERT INTO consent (customer_id, purpose, state, at, source) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (customer_id, purpose) DO UPDATE SET state = excluded.state, at = excluded.at, source = excluded.source
            """,
            [customerID, row.purpose, row.state.rawValue, millis(row.at), row.source.rawValue]
        )
    }

    // MARK: tokens

    static let tokenColumns = "id, hash, role, subject, customer_id, created_at, expires_at, revoked_at"

    func token(hash: Data) throws -> TokenRow? {
        try run("SELECT \(Self.tokenColumns) FROM token WHERE hash = $1", [hash]).rows.first.map(tokenRow)
    }

    func token(id: String) throws -> TokenRow? {
        try run("SELECT \(Self.tokenColumns) FROM token WHERE id = $1", [id]).rows.first.map(tokenRow)
    }

    func tokens() throws -> [TokenRow] {
        try run("SELECT \(Self.tokenColumns) FROM token ORDER BY created_at DESC, id").rows.map(tokenRow)
    }

    func insertToken(_ row: TokenRow) throws {
        try insert(
            "token",
            """
            INSERT INTO token (id, hash, role, subject, customer_id, created_at, expires_at, revoked_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING
            """,
            [
                row.id, row.hash, row.role, row.subject, row.customerID, millis(row.createdAt),
                row.expiresAt.map(millis), row.revokedAt.map(millis),
            ]
        )
    }

    func revokeToken(id: String, at: Date) throws -> Bool {
        try run("UPDATE token SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [millis(at), id]).metadata.rows == 1
    }

    // MARK: policy

    func activePolicy() throws -> PolicyRow? {
        try run("SELECT hash, text, file_name, applied_at FROM policy ORDER BY seq DESC LIMIT 1").rows.first.map(policyRow)
    }

    func policies() throws -> [PolicyRow] {
        try run("SELECT hash, text, file_name, applied_at FROM policy ORDER BY seq").rows.map(policyRow)
    }

    func insertPolicy(_ row: PolicyRow) throws {
        try run(
            "INSERT INTO policy (hash, text, file_name, applied_at) VALUES ($1, $2, $3, $4)",
            [row.hash, row.text, row.fileName, millis(row.appliedAt)]
        )
        try notifyChange()
    }

    // MARK: audit

    func auditSize() throws -> UInt64 {
        // seq is dense from 0, so the next seq is max+1; an empty log has size 0.
        try run("SELECT coalesce(max(seq) + 1, 0) FROM audit_entry").rows.first.map { try Cells($0).u64(0) } ?? 0
    }

    func auditNode(level: Int, index: UInt64) throws -> Data? {
        try run("SELECT hash FROM audit_node WHERE level = $1 AND idx = $2", [Int64(level), Int64(index)]).rows.first.map { try Cells($0).bytes(0) }
    }

    func auditEntries(from seq: UInt64, limit: Int, customerID: String?) throws -> [AuditRow] {
        if let customerID {
            return try run(
                "SELECT seq, leaf, customer_id, at FROM audit_entry WHERE customer_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
                [customerID, Int64(seq), Int64(limit)]
            ).rows.map(auditRow)
        }
        return try run(
            "SELECT seq, leaf, customer_id, at FROM audit_entry WHERE seq >= $1 ORDER BY seq LIMIT $2",
            [Int64(seq), Int64(limit)]
        ).rows.map(auditRow)
    }

    /// Entries or nodes per round trip when streaming the log.
    static let logPage = 4_096

    func forEachAuditEntry(from seq: UInt64, _ body: (AuditRow) throws -> Bool) throws {
        var next = seq
        while true {
            let page = try auditEntries(from: next, limit: Self.logPage, customerID: nil)
            for row in page {
                guard try body(row) else { return }
            }
            guard page.count == Self.logPage, let last = page.last else { return }
            next = last.seq + 1
        }
    }

    func forEachAuditNode(level: Int, from index: UInt64, _ body: (UInt64, Data) throws -> Bool) throws {
        var next = index
        while true {
            let page = try run(
                "SELECT idx, hash FROM audit_node WHERE level = $1 AND idx >= $2 ORDER BY idx LIMIT \(Self.logPage)",
                [Int64(level), Int64(next)]
            ).rows.map {
                let c = Cells($0)
                return (try c.u64(0), try c.bytes(1))
            }
            for (idx, hash) in page {
                guard try body(idx, hash) else { return }
            }
            guard page.count == Self.logPage, let last = page.last else { return }
            next = last.0 + 1
        }
    }

    func appendAuditEntry(_ row: AuditRow, at: Date) throws {
        try insert(
            "audit entry",
            "INSERT INTO audit_entry (seq, leaf, customer_id, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [Int64(row.seq), row.leaf, row.customerID, millis(at)]
        )
    }

    func putAuditNodes(_ nodes: [(level: Int, index: UInt64, hash: Data)]) throws {
        guard !nodes.isEmpty else { return }
        let rows = nodes.indices.map { "($\($0 * 3 + 1), $\($0 * 3 + 2), $\($0 * 3 + 3))" }.joined(separator: ", ")
        let inserted = try run(
            "INSERT INTO audit_node (level, idx, hash) VALUES \(rows) ON CONFLICT DO NOTHING",
            nodes.flatMap { [Int64($0.level), Int64($0.index), $0.hash] as [Bind] }
        ).metadata.rows
        guard inserted == nodes.count else { throw StoreError.duplicate("audit tree node") }
    }

    private static let checkpointColumns = "size, root, note, at"

    func latestCheckpoint() throws -> CheckpointRow? {
        try run("SELECT \(Self.checkpointColumns) FROM checkpoint ORDER BY size DESC LIMIT 1").rows.first.map(checkpointRow)
    }

    func checkpoints() throws -> [CheckpointRow] {
        try run("SELECT \(Self.checkpointColumns) FROM checkpoint ORDER BY size").rows.map(checkpointRow)
    }

    func checkpointHistoryStart() throws -> UInt64 {
        UInt64(try metaValue("checkpoint_history_from") ?? "0") ?? 0
    }

    func deleteCheckpoint(size: UInt64) throws {
        try run("DELETE FROM checkpoint WHERE size = $1", [Int64(size)])
    }

    func insertCheckpoint(_ row: CheckpointRow) throws {
        try run(
            "INSERT INTO checkpoint (size, root, note, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [Int64(row.size), row.root, row.note, millis(row.at)]
        )
    }

    // MARK: contests

    private static let contestColumns =
        "id, customer_id, field, sealed_request, status, opened_at, deadline, resolved_at, resolver, sealed_resolution"

    func contest(id: String) throws -> ContestRow? {
        try run("SELECT \(Self.contestColumns) FROM contest WHERE id = $1", [id]).rows.first.map(contestRow)
    }

    func contests(customerID: String?, statuses: Set<ContestRow.Status>?) throws -> [ContestRow] {
        var clauses: [String] = []
        var values: [Bind] = []
        if let customerID {
            clauses.append("customer_id = $1")
            values.append(customerID)
        }
        if let statuses {
            // Statuses are our own enum's raw values, safe as literals.
            clauses.append("status IN (\(statuses.isEmpty ? "NULL" : statuses.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")))")
        }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        return try run("SELECT \(Self.contestColumns) FROM contest \(whereClause) ORDER BY opened_at, id", values).rows.map(contestRow)
    }

    func insertContest(_ row: ContestRow) throws {
        try insert(
            "pending contest for this field",
            """
            INSERT INTO contest (id, customer_id, field, sealed_request, status, opened_at, deadline, resolved_at, resolver, sealed_resolution)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING
            """,
            [
                row.id, row.customerID, row.field, row.sealedRequest, row.status.rawValue, millis(row.openedAt),
                millis(row.deadline), row.resolvedAt.map(millis), row.resolver, row.sealedResolution,
            ]
        )
    }

    func updateContest(_ row: ContestRow) throws {
        let changed = try run(
            "UPDATE contest SET status = $1, resolved_at = $2, resolver = $3, sealed_resolution = $4 WHERE id = $5",
            [row.status.rawValue, row.resolvedAt.map(millis), row.resolver, row.sealedResolution, row.id]
        ).metadata.rows
        guard changed == 1 else { throw StoreError.notFound("contest") }
    }

    func replaceContestCiphertexts(_ row: ContestRow) throws {
        let changed = try run(
            "UPDATE contest SET sealed_request = $1, sealed_resolution = $2 WHERE id = $3 AND customer_id = $4",
            [row.sealedRequest, row.sealedResolution, row.id, row.customerID]
        ).metadata.rows
        guard changed == 1 else { throw StoreError.notFound("contest") }
    }

    func updateContestRequest(_ row: ContestRow) throws {
        let changed = try run(
            "UPDATE contest SET status = $1, sealed_request = $2 WHERE id = $3 AND resolved_at IS NULL",
            [row.status.rawValue, row.sealedRequest, row.id]
        ).metadata.rows
        guard changed == 1 else { throw StoreError.notFound("pending contest") }
    }

    // MARK: analytics

    func chargedMicroEpsilon(analyst: String?, since: Date) throws -> Int64 {
        let result =
            if let analyst {
                try run(
                    "SELECT coalesce(sum(micro_epsilon), 0)::bigint FROM privacy_charge WHERE analyst = $1 AND at >= $2",
                    [analyst, millis(since)]
                )
            } else {
                try run("SELECT coalesce(sum(micro_epsilon), 0)::bigint FROM privacy_charge WHERE at >= $1", [millis(since)])
            }
        return try result.rows.first.map { try Cells($0).int(0) } ?? 0
    }

    func insertCharge(_ row: ChargeRow) throws -> Int64 {
        guard
            let id = try run(
                "INSERT INTO privacy_charge (analyst, micro_epsilon, at, query_key) VALUES ($1, $2, $3, $4) RETURNING id",
                [row.analyst, row.microEpsilon, millis(row.at), row.queryKey]
            ).rows.first.map({ try Cells($0).int(0) })
        else {
            throw StoreError.corrupted("the database returned no id for a new privacy charge")
        }
        return id
    }

    func charges() throws -> [ChargeRow] {
        try run("SELECT analyst, micro_epsilon, at, query_key FROM privacy_charge ORDER BY id").rows.map {
            let c = Cells($0)
            return ChargeRow(analyst: try c.text(0), microEpsilon: try c.int(1), at: try c.date(2), queryKey: try c.text(3))
        }
    }

    func deleteCharge(id: Int64) throws {
        guard try run("DELETE FROM privacy_charge WHERE id = $1", [id]).metadata.rows == 1 else { throw StoreError.notFound("privacy charge") }
    }

    func cachedAnswer(queryKey: String) throws -> (answer: Data, validUntil: Date?)? {
        try run("SELECT answer, valid_until FROM query_cache WHERE query_key = $1", [queryKey]).rows.first.map {
            let c = Cells($0)
            return (try c.bytes(0), try c.optionalDate(1))
        }
    }

    func putCachedAnswer(queryKey: String, answer: Data, at: Date, validUntil: Date?) throws {
        try run(
            """
            INSERT INTO query_cache (query_key, answer, at, valid_until) VALUES ($1, $2, $3, $4)
            ON CONFLICT (query_key) DO UPDATE SET answer = excluded.answer, at = excluded.at, valid_until = excluded.valid_until
            """,
            [queryKey, answer, millis(at), validUntil.map(millis)]
        )
    }

    func recommendationModel(version: Int64?) throws -> ModelRow? {
        let columns = "SELECT version, trained_at, audit_seq, body FROM recommendation_model "
        let result = try version.map { try run(columns + "WHERE version = $1", [$0]) } ?? run(columns + "ORDER BY version DESC LIMIT 1")
        return try result.rows.first.map { try modelRow(Cells($0)) }
    }

    func recommendationModels() throws -> [ModelRow] {
        try run("SELECT version, trained_at, audit_seq, body FROM recommendation_model ORDER BY version").rows.map { try modelRow(Cells($0)) }
    }

    func insertRecommendationModel(_ row: ModelRow) throws {
        try insert(
            "model version \(row.version)",
            "INSERT INTO recommendation_model (version, trained_at, audit_seq, body) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [row.version, millis(row.trainedAt), Int64(row.auditSeq), row.body]
        )
    }

    private func modelRow(_ c: Cells) throws -> ModelRow {
        ModelRow(version: try c.int(0), trainedAt: try c.date(1), auditSeq: try c.u64(2), body: try c.bytes(3))
    }

    // MARK: portal

    func signInCode(linkHash: Data) throws -> SignInCodeRow? {
        try run("SELECT \(Self.signInColumns) FROM portal_sign_in WHERE link_hash = $1", [linkHash]).rows.first.map { try signInRow(Cells($0)) }
    }

    func signInCodes(customerID: String, since: Date) throws -> [SignInCodeRow] {
        try run(
            "SELECT \(Self.signInColumns) FROM portal_sign_in WHERE customer_id = $1 AND created_at >= $2 ORDER BY created_at DESC, id",
            [customerID, millis(since)]
        ).rows.map { try signInRow(Cells($0)) }
    }

    func insertSignInCode(_ row: SignInCodeRow) throws {
        try insert(
            "portal sign-in",
            """
            INSERT INTO portal_sign_in (id, customer_id, code_hash, link_hash, created_at, expires_at, attempts, used_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING
            """,
            [
                row.id, row.customerID, row.codeHash, row.linkHash, millis(row.createdAt), millis(row.expiresAt), Int64(row.attempts),
                row.usedAt.map(millis),
            ]
        )
    }

    func updateSignInCode(id: String, attempts: Int, usedAt: Date?) throws {
        guard
            try run("UPDATE portal_sign_in SET attempts = $1, used_at = $2 WHERE id = $3", [Int64(attempts), usedAt.map(millis), id]).metadata.rows
                == 1
        else { throw StoreError.notFound("portal sign-in") }
    }

    func portalSession(secretHash: Data) throws -> PortalSessionRow? {
        try run(
            "SELECT id, secret_hash, customer_id, created_at, last_seen_at, expires_at, ended_at FROM portal_session WHERE secret_hash = $1",
            [secretHash]
        ).rows.first.map {
            let c = Cells($0)
            return PortalSessionRow(
                id: try c.text(0),
                secretHash: try c.bytes(1),
                customerID: try c.text(2),
                createdAt: try c.date(3),
                lastSeenAt: try c.date(4),
                expiresAt: try c.date(5),
                endedAt: try c.optionalDate(6)
            )
        }
    }

    func insertPortalSession(_ row: PortalSessionRow) throws {
        try insert(
            "portal session",
            """
            INSERT INTO portal_session (id, secret_hash, customer_id, created_at, last_seen_at, expires_at, ended_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
            """,
            [
                row.id, row.secretHash, row.customerID, millis(row.createdAt), millis(row.lastSeenAt), millis(row.expiresAt),
                row.endedAt.map(millis),
            ]
        )
    }

    func updatePortalSession(id: String, lastSeenAt: Date, endedAt: Date?) throws {
        // An ended session stays ended: a request that read it just before sign-out only touches it.
        guard
            try run(
                "UPDATE portal_session SET last_seen_at = $1, ended_at = coalesce(ended_at, $2) WHERE id = $3",
                [millis(lastSeenAt), endedAt.map(millis), id]
            )
            .metadata.rows == 1
        else { throw StoreError.notFound("portal session") }
    }

    func portalAttempts(bucket: Data, since: Date) throws -> Int {
        Int(
            try run("SELECT count(*) FROM portal_attempt WHERE bucket = $1 AND at >= $2", [bucket, millis(since)]).rows.first
                .map { try Cells($0).int(0) } ?? 0
        )
    }

    func recordPortalAttempt(bucket: Data, at: Date) throws {
        try run("INSERT INTO portal_attempt (bucket, at) VALUES ($1, $2)", [bucket, millis(at)])
    }

    func prunePortal(before: Date) throws {
        let cutoff = millis(before)
        try run("DELETE FROM portal_sign_in WHERE expires_at < $1", [cutoff])
        try run("DELETE FROM portal_session WHERE expires_at < $1 OR ended_at < $1", [cutoff])
        try run("DELETE FROM portal_attempt WHERE at < $1", [cutoff])
    }

    private static let signInColumns = "id, customer_id, code_hash, link_hash, created_at, expires_at, attempts, used_at"

    private func signInRow(_ c: Cells) throws -> SignInCodeRow {
        SignInCodeRow(
            id: try c.text(0),
            customerID: try c.text(1),
            codeHash: try c.bytes(2),
            linkHash: try c.bytes(3),
            createdAt: try c.date(4),
            expiresAt: try c.date(5),
            attempts: Int(try c.int(6)),
            usedAt: try c.optionalDate(7)
        )
    }

    // MARK: statements

    /// A statement argument.
    typealias Bind = (any PostgresThrowingDynamicTypeEncodable)?

    /// Runs one statement and waits for all its rows.
    @discardableResult
    func run(_ sql: String, _ values: [Bind] = []) throws -> PostgresQueryResult {
        // Once the connection is gone, every later statement of a body that goes on (a batch of
        // reads) fails at once instead of waiting for its own answer.
        if let failed = failure.error, failed.kind == .unavailable { throw failed }
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            // PostgreSQL text cannot hold U+0000, and a refused statement would abort the whole
            // transaction (a batch of other people's reads): refuse it here, before sending.
            if let text = value as? String, text.utf8.contains(0) {
                throw StoreError.conflict("a text value holds a NUL character, which the database cannot store")
            }
            if let texts = value as? [String], texts.contains(where: { $0.utf8.contains(0) }) {
                throw StoreError.conflict("a text value holds a NUL character, which the database cannot store")
            }
            if let value { try bindings.append(value) } else { bindings.appendNull() }
        }
        do {
            return try connection.watchedQuery(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).wait()
        } catch {
            let mapped = PostgresStorage.map(error)
            failure.record(mapped)
            throw mapped
        }
    }

    /// Runs an `INSERT … ON CONFLICT DO NOTHING`: no row means the key exists. Conflicts are found
    /// this way, not by a failed statement, because a failed statement aborts the whole
    /// PostgreSQL transaction, while the facade may go on after a duplicate it expected.
    private func insert(_ what: String, _ sql: String, _ values: [Bind]) throws {
        guard try run(sql, values).metadata.rows == 1 else { throw StoreError.duplicate(what) }
    }

    /// Tells every instance listening that the policy or the keys changed; PostgreSQL delivers it
    /// only if and when this transaction commits.
    private func notifyChange() throws {
        try run("SELECT pg_notify('\(PostgresStorage.changeChannel)', '')")
    }

    private func customerRow(_ row: PostgresRow) throws -> CustomerRow {
        try customerRow(Cells(row))
    }

    func customerRow(_ c: Cells) throws -> CustomerRow {
        CustomerRow(
            id: try c.text(0),
            wrappedKey: try c.optionalBytes(1),
            kekVersion: try c.optionalInt(2).map(u32),
            createdAt: try c.date(3),
            erasedAt: try c.optionalDate(4)
        )
    }

    private func recordRow(_ c: Cells, from first: Int) throws -> RecordRow {
        guard let kind = RecordKind(rawValue: try c.text(first)) else { throw StoreError.corrupted("unknown record kind") }
        return RecordRow(kind: kind, version: try c.u64(first + 1), ciphertext: try c.bytes(first + 2), updatedAt: try c.date(first + 3))
    }

    func tokenRow(_ row: PostgresRow) throws -> TokenRow {
        let c = Cells(row)
        return TokenRow(
            id: try c.text(0),
            hash: try c.bytes(1),
            role: try c.text(2),
            subject: try c.text(3),
            customerID: try c.optionalText(4),
            createdAt: try c.date(5),
            expiresAt: try c.optionalDate(6),
            revokedAt: try c.optionalDate(7)
        )
    }

    private func policyRow(_ row: PostgresRow) throws -> PolicyRow {
        let c = Cells(row)
        return PolicyRow(hash: try c.text(0), text: try c.text(1), fileName: try c.text(2), appliedAt: try c.date(3))
    }

    private func auditRow(_ row: PostgresRow) throws -> AuditRow {
        let c = Cells(row)
        return AuditRow(seq: try c.u64(0), leaf: try c.bytes(1), customerID: try c.optionalText(2), at: try c.optionalDate(3))
    }

    private func checkpointRow(_ row: PostgresRow) throws -> CheckpointRow {
        try checkpointRow(Cells(row), from: 0)
    }

    func checkpointRow(_ c: Cells, from first: Int) throws -> CheckpointRow {
        CheckpointRow(size: try c.u64(first), root: try c.bytes(first + 1), note: try c.text(first + 2), at: try c.date(first + 3))
    }

    private func contestRow(_ row: PostgresRow) throws -> ContestRow {
        let c = Cells(row)
        guard let status = ContestRow.Status(rawValue: try c.text(4)) else { throw StoreError.corrupted("unknown contest status") }
        return ContestRow(
            id: try c.text(0),
            customerID: try c.text(1),
            field: try c.text(2),
            sealedRequest: try c.bytes(3),
            status: status,
            openedAt: try c.date(5),
            deadline: try c.date(6),
            resolvedAt: try c.optionalDate(7),
            resolver: try c.optionalText(8),
            sealedResolution: try c.optionalBytes(9)
        )
    }
}

/// One result row's cells, decoded by position; a cell of the wrong type is damage, not a crash.
struct Cells {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    func decode<T: PostgresDecodable>(_ index: Int, _ type: T.Type) throws -> T {
        do { return try row[index].decode(T.self) } catch { throw StoreError.corrupted("a stored value has an unexpected type") }
    }

    func isNull(_ index: Int) -> Bool { row[index].bytes == nil }

    func text(_ index: Int) throws -> String { try decode(index, String.self) }
    func bytes(_ index: Int) throws -> Data { try decode(index, Data.self) }
    func int(_ index: Int) throws -> Int64 { try decode(index, Int64.self) }
    func u32(_ index: Int) throws -> UInt32 { try VaultStore.u32(try int(index)) }
    func u64(_ index: Int) throws -> UInt64 { try VaultStore.u64(try int(index)) }
    func date(_ index: Int) throws -> Date { VaultStore.date(try int(index)) }
    func optionalText(_ index: Int) throws -> String? { isNull(index) ? nil : try text(index) }
    func optionalBytes(_ index: Int) throws -> Data? { isNull(index) ? nil : try bytes(index) }
    func optionalInt(_ index: Int) throws -> Int64? { isNull(index) ? nil : try int(index) }
    func optionalDate(_ index: Int) throws -> Date? { isNull(index) ? nil : try date(index) }
}
