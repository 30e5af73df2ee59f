import Foundation
import PostgresNIO
import VaultStore

// The use-case calls, one statement (one round trip) each. Inside the writers' lock every round
// trip is time no other instance can write, so these matter more than their size suggests.
extension PostgresTransaction {
    func customerSnapshot(id: String) throws -> CustomerSnapshot? {
        try customerSnapshots(ids: [id]).first
    }

    func tokens(ids: [String]) throws -> [TokenRow] {
        guard !ids.isEmpty else { return [] }
        return try run("SELECT \(Self.tokenColumns) FROM token WHERE id = ANY($1::text[])", [ids]).rows.map(tokenRow)
    }

    func customerSnapshots(ids: [String]) throws -> [CustomerSnapshot] {
        guard !ids.isEmpty else { return [] }
        // Empty aggregates are NULL, not empty arrays.
        return try run(
            """
            SELECT c.id, c.wrapped_dek, c.kek_version, c.created_at, c.erased_at,
                   r.kinds, r.versions, r.ciphertexts, r.updated, s.purposes, s.states, s.ats, s.sources, d.fields
            FROM customer c
            CROSS JOIN LATERAL (SELECT array_agg(kind ORDER BY kind) AS kinds, array_agg(version ORDER BY kind) AS versions,
                                       array_agg(ciphertext ORDER BY kind) AS ciphertexts, array_agg(updated_at ORDER BY kind) AS updated
                                FROM record WHERE customer_id = c.id) r
            CROSS JOIN LATERAL (SELECT array_agg(purpose ORDER BY purpose) AS purposes, array_agg(state ORDER BY purpose) AS states,
                                       array_agg(at ORDER BY purpose) AS ats, array_agg(source ORDER BY purpose) AS sources
                                FROM consent WHERE customer_id = c.id) s
            CROSS JOIN LATERAL (SELECT array_agg(DISTINCT field) AS fields FROM contest
                                WHERE customer_id = c.id AND status IN ('open', 'info_requested')) d
            WHERE c.id = ANY($1::text[])
            """,
            [ids]
        ).rows.map(snapshot)
    }

    private func snapshot(_ row: PostgresRow) throws -> CustomerSnapshot {
        let c = Cells(row)
        let kinds = try c.decode(5, [String]?.self) ?? []
        let versions = try c.decode(6, [Int64]?.self) ?? []
        let ciphertexts = try c.decode(7, [ByteBuffer]?.self) ?? []
        let updated = try c.decode(8, [Int64]?.self) ?? []
        guard versions.count == kinds.count, ciphertexts.count == kinds.count, updated.count == kinds.count else {
            throw StoreError.corrupted("a customer's records are incomplete")
        }
        let records = try kinds.indices.map { i in
            guard let kind = RecordKind(rawValue: kinds[i]) else { throw StoreError.corrupted("unknown record kind") }
            return RecordRow(
                kind: kind,
                version: try u64(versions[i]),
                ciphertext: Data(ciphertexts[i].readableBytesView),
                updatedAt: date(updated[i])
            )
        }
        let purposes = try c.decode(9, [String]?.self) ?? []
        let states = try c.decode(10, [String]?.self) ?? []
        let ats = try c.decode(11, [Int64]?.self) ?? []
        let sources = try c.decode(12, [String]?.self) ?? []
        guard states.count == purposes.count, ats.count == purposes.count, sources.count == purposes.count else {
            throw StoreError.corrupted("a customer's consents are incomplete")
        }
        let consents = try purposes.indices.map { i in
            guard let state = ConsentRow.State(rawValue: states[i]), let source = ConsentRow.Source(rawValue: sources[i]) else {
                throw StoreError.corrupted("unknown consent state or source")
            }
            return ConsentRow(purpose: purposes[i], state: state, at: date(ats[i]), source: source)
        }
        return CustomerSnapshot(
            customer: try customerRow(c),
            records: records,
            consents: consents,
            disputedFields: Set(try c.decode(13, [String]?.self) ?? [])
        )
    }

    func insertCustomers(_ customers: [NewCustomer]) throws {
        guard !customers.isEmpty else { return }
        // Each part is inserted only for a customer row this statement inserted: an existing id
        // inserts nothing, and is reported as the duplicate it is. Arrays carry no NULL from the
        // driver, so an absent key, KEK version or erasure time travels as '', 0 or -1 (none of
        // which a stored customer can have).
        let records = customers.flatMap { new in new.records.map { (new.customer.id, $0) } }
        let indexes = customers.flatMap { new in new.blindIndexes.map { (new.customer.id, $0) } }
        let consents = customers.flatMap { new in new.consents.map { (new.customer.id, $0) } }
        let inserted = try run(
            """
            WITH c AS (
                INSERT INTO customer (id, wrapped_dek, kek_version, created_at, erased_at)
                SELECT id, NULLIF(w, ''::bytea), NULLIF(v, 0), created, NULLIF(e, -1)
                FROM unnest($1::text[], $2::bytea[], $3::bigint[], $4::bigint[], $5::bigint[]) AS u(id, w, v, created, e)
                ON CONFLICT DO NOTHING RETURNING id),
            r AS (
                INSERT INTO record (customer_id, kind, version, ciphertext, updated_at)
                SELECT u.* FROM unnest($6::text[], $7::text[], $8::bigint[], $9::bytea[], $10::bigint[]) AS u(customer_id, kind, version, ciphertext, updated_at)
                WHERE u.customer_id IN (SELECT id FROM c)),
            b AS (
                INSERT INTO blind_index (field, digest, customer_id)
                SELECT u.* FROM unnest($11::text[], $12::bytea[], $13::text[]) AS u(field, digest, customer_id)
                WHERE u.customer_id IN (SELECT id FROM c) ON CONFLICT DO NOTHING),
            s AS (
                INSERT INTO consent (customer_id, purpose, state, at, source)
                SELECT u.* FROM unnest($14::text[], $15::text[], $16::text[], $17::bigint[], $18::text[]) AS u(customer_id, purpose, state, at, source)
                WHERE u.customer_id IN (SELECT id FROM c))
            SELECT count(*) FROM c
            """,
            [
                customers.map(\.customer.id), customers.map { ByteBuffer(bytes: $0.customer.wrappedKey ?? Data()) },
                customers.map { Int64($0.customer.kekVersion ?? 0) }, customers.map { millis($0.customer.createdAt) },
                customers.map { $0.customer.erasedAt.map(millis) ?? -1 },
                records.map(\.0), records.map(\.1.kind.rawValue), records.map { Int64($0.1.version) },
                records.map { ByteBuffer(bytes: $0.1.ciphertext) }, records.map { millis($0.1.updatedAt) },
                indexes.map(\.1.field), indexes.map { ByteBuffer(bytes: $0.1.digest) }, indexes.map(\.0),
                consents.map(\.0), consents.map(\.1.purpose), consents.map(\.1.state.rawValue), consents.map { millis($0.1.at) },
                consents.map(\.1.source.rawValue),
            ]
        ).rows.first.map { try Cells($0).int(0) }
        guard inserted == Int64(customers.count) else { throw StoreError.duplicate("customer") }
    }

    func auditHead() throws -> AuditHead {
        guard
            let row = try run(
                """
                SELECT (SELECT coalesce(max(seq) + 1, 0) FROM audit_entry),
                       (SELECT value FROM meta WHERE key = 'checkpoint_history_from'),
                       c.size, c.root, c.note, c.at
                FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT size, root, note, at FROM checkpoint ORDER BY size DESC LIMIT 1) c ON true
                """
            ).rows.first
        else { throw StoreError.corrupted("the audit log's head cannot be read") }
        let c = Cells(row)
        return AuditHead(
            size: try c.u64(0),
            latestCheckpoint: c.isNull(2) ? nil : try checkpointRow(c, from: 2),
            checkpointHistoryStart: UInt64(try c.optionalText(1) ?? "0") ?? 0
        )
    }

    func auditNodes(_ positions: [(level: Int, index: UInt64)]) throws -> [Data?] {
        guard !positions.isEmpty else { return [] }
        var found = [Data?](repeating: nil, count: positions.count)
        let rows = try run(
            """
            SELECT u.ord, n.hash FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS u(level, idx, ord)
            JOIN audit_node n ON n.level = u.level AND n.idx = u.idx
            """,
            [positions.map { Int64($0.level) }, positions.map { Int64($0.index) }]
        ).rows
        for row in rows {
            let c = Cells(row)
            let ordinal = try c.int(0)
            guard (1...Int64(positions.count)).contains(ordinal) else { throw StoreError.corrupted("an audit node lookup answered out of range") }
            found[Int(ordinal - 1)] = try c.bytes(1)
        }
        return found
    }

    func appendAudit(_ append: AuditAppend) throws {
        guard !append.isEmpty else { return }
        // Arrays carry no NULL from the driver: whether an entry names a customer travels beside it.
        let entries = append.entries
        let nodes = append.nodes
        let checkpoints = append.checkpoints
        let counts = try run(
            """
            WITH e AS (
                INSERT INTO audit_entry (seq, leaf, customer_id, at)
                SELECT s, l, CASE WHEN h THEN c END, a FROM unnest($1::bigint[], $2::bytea[], $3::text[], $13::boolean[], $4::bigint[]) AS u(s, l, c, h, a)
                ON CONFLICT DO NOTHING RETURNING 1),
            n AS (
                INSERT INTO audit_node (level, idx, hash)
                SELECT l::integer, i, h FROM unnest($5::bigint[], $6::bigint[], $7::bytea[]) AS u(l, i, h)
                ON CONFLICT DO NOTHING RETURNING 1),
            k AS (
                INSERT INTO checkpoint (size, root, note, at)
                SELECT * FROM unnest($8::bigint[], $9::bytea[], $10::text[], $11::bigint[])
                ON CONFLICT DO NOTHING RETURNING 1),
            d AS (DELETE FROM checkpoint WHERE size = $12 RETURNING 1)
            SELECT (SELECT count(*) FROM e), (SELECT count(*) FROM n)
            """,
            [
                entries.map { Int64($0.seq) }, entries.map { ByteBuffer(bytes: $0.leaf) }, entries.map { $0.customerID ?? "" },
                entries.map { millis($0.at ?? append.at) },
                nodes.map { Int64($0.level) }, nodes.map { Int64($0.index) }, nodes.map { ByteBuffer(bytes: $0.hash) },
                checkpoints.map { Int64($0.size) }, checkpoints.map { ByteBuffer(bytes: $0.root) }, checkpoints.map(\.note),
                checkpoints.map { millis($0.at) }, append.replacedCheckpoint.map { Int64($0) }, entries.map { $0.customerID != nil },
            ]
        ).rows.first.map(Cells.init)
        guard let counts, try counts.int(0) == Int64(entries.count) else { throw StoreError.duplicate("audit entry") }
        guard try counts.int(1) == Int64(nodes.count) else { throw StoreError.duplicate("audit tree node") }
    }
}
