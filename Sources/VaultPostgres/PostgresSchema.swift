/// The PostgreSQL schema, as named migrations that are only ever appended to; the same tables and
/// rules as the SQLite schema, in PostgreSQL's types.
///
/// Ids are `COLLATE "C"`: the storage contract orders customer ids by their UTF-8 bytes (range
/// scans, split points, keyset paging), which a locale's collation would not.
enum PostgresSchema {
    static let migrations: [(name: String, statements: [String])] = [
        (
            "v2-initial",
            [
                """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)
                """,
                """
                CREATE TABLE kek (
                    version BIGINT PRIMARY KEY CHECK (version >= 1),
                    wrapped BYTEA NOT NULL,
                    created_at BIGINT NOT NULL,
                    destroyed_at BIGINT
                )
                """,
                """
                CREATE TABLE key_rotation (
                    to_version BIGINT PRIMARY KEY REFERENCES kek(version),
                    started_at BIGINT NOT NULL,
                    completed_at BIGINT
                )
                """,
                """
                -- A row without a DEK is an erasure tombstone: reads answer "erased", ids stay unique.
                CREATE TABLE customer (
                    id TEXT COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
                    wrapped_dek BYTEA,
                    kek_version BIGINT REFERENCES kek(version),
                    created_at BIGINT NOT NULL,
                    erased_at BIGINT,
                    CHECK ((wrapped_dek IS NULL) = (kek_version IS NULL)),
                    CHECK ((wrapped_dek IS NULL) = (erased_at IS NOT NULL))
                )
                """,
                """
                CREATE INDEX customer_by_kek ON customer(kek_version) WHERE wrapped_dek IS NOT NULL
                """,
                """
                -- No key may be wrapped under a destroyed epoch, whoever writes the row.
                CREATE FUNCTION customer_key_epoch_alive() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.kek_version IS NOT NULL AND (SELECT destroyed_at FROM kek WHERE version = NEW.kek_version) IS NOT NULL THEN
                        RAISE EXCEPTION 'the key epoch is destroyed' USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NEW;
                END $$
                """,
                """
                CREATE TRIGGER customer_key_epoch_alive BEFORE INSERT OR UPDATE OF kek_version ON customer
                    FOR EACH ROW EXECUTE FUNCTION customer_key_epoch_alive()
                """,
                """
                CREATE TABLE record (
                    customer_id TEXT COLLATE "C" NOT NULL REFERENCES customer(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL CHECK (kind IN ('characteristics', 'responses', 'purchases')),
                    version BIGINT NOT NULL CHECK (version >= 1),
                    ciphertext BYTEA NOT NULL,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (customer_id, kind)
                )
                """,
                """
                CREATE TABLE blind_index (
                    field TEXT NOT NULL,
                    digest BYTEA NOT NULL CHECK (length(digest) = 32),
                    customer_id TEXT COLLATE "C" NOT NULL REFERENCES customer(id) ON DELETE CASCADE,
                    PRIMARY KEY (field, digest, customer_id)
                )
                """,
                """
                CREATE INDEX blind_index_by_customer ON blind_index(customer_id)
                """,
                """
                CREATE TABLE consent (
                    customer_id TEXT COLLATE "C" NOT NULL REFERENCES customer(id) ON DELETE CASCADE,
                    purpose TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('granted', 'withdrawn', 'objected')),
                    at BIGINT NOT NULL,
                    source TEXT NOT NULL DEFAULT 'customer' CHECK (source IN ('customer', 'import', 'operator_override')),
                    PRIMARY KEY (customer_id, purpose)
                )
                """,
                """
                CREATE INDEX consent_by_purpose ON consent(purpose, customer_id)
                """,
                """
                CREATE TABLE token (
                    id TEXT PRIMARY KEY,
                    hash BYTEA NOT NULL UNIQUE CHECK (length(hash) = 32),
                    role TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    customer_id TEXT COLLATE "C" REFERENCES customer(id),
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT,
                    revoked_at BIGINT,
                    CHECK ((role = 'customer') = (customer_id IS NOT NULL))
                )
                """,
                """
                CREATE INDEX token_by_customer ON token(customer_id) WHERE customer_id IS NOT NULL
                """,
                """
                CREATE TABLE policy (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    hash TEXT NOT NULL CHECK (length(hash) = 64),
                    text TEXT NOT NULL,
                    file_name TEXT NOT NULL,
                    applied_at BIGINT NOT NULL
                )
                """,
                """
                -- No foreign key to customer: entries outlive erasure, and they hold ids, never values.
                CREATE TABLE audit_entry (
                    seq BIGINT PRIMARY KEY CHECK (seq >= 0),
                    leaf BYTEA NOT NULL,
                    customer_id TEXT COLLATE "C",
                    at BIGINT NOT NULL
                )
                """,
                """
                CREATE INDEX audit_entry_by_customer ON audit_entry(customer_id, seq) WHERE customer_id IS NOT NULL
                """,
                """
                -- Hashes of perfect subtrees: node (level, idx) covers leaves [idx·2^level, (idx+1)·2^level).
                CREATE TABLE audit_node (
                level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
                idx BIGINT NOT NULL CHECK (idx >= 0),
                hash BYTEA NOT NULL CHECK (length(hash) = 32),
                PRIMARY KEY (level, idx)
                )
                """,
                """
                CREATE TABLE checkpoint (
                    size BIGINT PRIMARY KEY CHECK (size >= 0),
                    root BYTEA NOT NULL CHECK (length(root) = 32),
                    note TEXT NOT NULL,
                    at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE log_generation (
                    from_size BIGINT PRIMARY KEY CHECK (from_size >= 0),
                    origin TEXT NOT NULL UNIQUE,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE witness_cosignature (
                    witness TEXT PRIMARY KEY,
                    size BIGINT NOT NULL CHECK (size >= 0),
                    note TEXT NOT NULL,
                    at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE contest (
                    id TEXT PRIMARY KEY,
                    customer_id TEXT COLLATE "C" NOT NULL REFERENCES customer(id) ON DELETE CASCADE,
                    field TEXT NOT NULL,
                    sealed_request BYTEA NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('open', 'info_requested', 'accepted', 'rejected', 'withdrawn')),
                    opened_at BIGINT NOT NULL,
                    deadline BIGINT NOT NULL,
                    resolved_at BIGINT,
                    resolver TEXT,
                    sealed_resolution BYTEA,
                    CHECK ((status IN ('open', 'info_requested')) = (resolved_at IS NULL))
                )
                """,
                """
                CREATE INDEX contest_by_status ON contest(status, deadline)
                """,
                """
                CREATE UNIQUE INDEX contest_one_pending_per_field ON contest(customer_id, field)
                    WHERE status IN ('open', 'info_requested')
                """,
                """
                CREATE TABLE privacy_charge (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    analyst TEXT NOT NULL,
                    micro_epsilon BIGINT NOT NULL CHECK (micro_epsilon > 0),
                    at BIGINT NOT NULL,
                    query_key TEXT NOT NULL
                )
                """,
                """
                CREATE INDEX privacy_charge_by_analyst ON privacy_charge(analyst, at)
                """,
                """
                CREATE INDEX privacy_charge_by_time ON privacy_charge(at)
                """,
                """
                CREATE TABLE query_cache (
                    query_key TEXT PRIMARY KEY,
                    answer BYTEA NOT NULL,
                    at BIGINT NOT NULL,
                    valid_until BIGINT
                )
                """,
            ]
        ),
        (
            "v2-writer-lock",
            [
                """
                -- Writers serialize on this row (SELECT … FOR UPDATE), which needs UPDATE on the table:
                -- an advisory lock would let any role that can connect stall every instance.
                CREATE TABLE writer_lock (id INTEGER PRIMARY KEY CHECK (id = 1))
                """,
                """
                INSERT INTO writer_lock (id) VALUES (1)
                """,
            ]
        ),
        (
            "v3-recommendation-models",
            [
                """
                -- Next-best-product models: noisy counts only; each names the audit entry of its
                -- training, which holds its SHA-256.
                CREATE TABLE recommendation_model (
                    version BIGINT PRIMARY KEY CHECK (version > 0),
                    trained_at BIGINT NOT NULL,
                    audit_seq BIGINT NOT NULL CHECK (audit_seq >= 0),
                    body BYTEA NOT NULL
                )
                """
            ]
        ),
        (
            "v3-portal",
            [
                """
                -- The customer portal: one-time sign-ins and sessions, their secrets kept only as keyed
                -- hashes; attempts per address or client (keyed hashes too) for rate limits.
                CREATE TABLE portal_sign_in (
                    id TEXT PRIMARY KEY,
                    customer_id TEXT COLLATE "C" NOT NULL REFERENCES customer(id) ON DELETE CASCADE,
                    code_hash BYTEA NOT NULL,
                    link_hash BYTEA NOT NULL UNIQUE,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    attempts INTEGER NOT NULL CHECK (attempts >= 0),
                    used_at BIGINT
                )
                """,
                """
                CREATE INDEX portal_sign_in_by_customer ON portal_sign_in(customer_id, created_at)
                """,
                """
                CREATE TABLE portal_session (
                    id TEXT PRIMARY KEY,
                    secret_hash BYTEA NOT NULL UNIQUE,
                    customer_id TEXT COLLATE "C" NOT NULL REFERENCES customer(id) ON DELETE CASCADE,
                    created_at BIGINT NOT NULL,
                    last_seen_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    ended_at BIGINT
                )
                """,
                """
                CREATE INDEX portal_session_by_customer ON portal_session(customer_id)
                """,
                """
                CREATE TABLE portal_attempt (
                    bucket BYTEA NOT NULL,
                    at BIGINT NOT NULL
                )
                """,
                """
                CREATE INDEX portal_attempt_by_bucket ON portal_attempt(bucket, at)
                """,
            ]
        ),
    ]
}
