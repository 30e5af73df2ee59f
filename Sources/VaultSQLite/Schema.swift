import GRDB

/// The schema, as named migrations that are only ever appended to.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-keys-and-profiles") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;

                    CREATE TABLE kek (
                        version INTEGER PRIMARY KEY NOT NULL CHECK (version >= 1),
                        wrapped BLOB NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE key_rotation (
                        to_version INTEGER PRIMARY KEY NOT NULL REFERENCES kek(version),
                        started_at INTEGER NOT NULL,
                        completed_at INTEGER
                    );

                    -- A row without a DEK is an erasure tombstone: reads answer "erased", ids stay unique.
                    CREATE TABLE customer (
                        id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 128),
                        wrapped_dek BLOB,
                        kek_version INTEGER REFERENCES kek(version),
                        created_at INTEGER NOT NULL,
                        erased_at INTEGER,
                        CHECK ((wrapped_dek IS NULL) = (kek_version IS NULL)),
                        CHECK ((wrapped_dek IS NULL) = (erased_at IS NOT NULL))
                    ) WITHOUT ROWID;
                    CREATE INDEX customer_by_kek ON customer(kek_version) WHERE wrapped_dek IS NOT NULL;

                    CREATE TABLE record (
                        customer_id TEXT NOT NULL REFERENCES customer(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL CHECK (kind IN ('characteristics', 'responses', 'purchases')),
                        version INTEGER NOT NULL CHECK (version >= 1),
                        ciphertext BLOB NOT NULL,
                        updated_at INTEGER NOT NULL,
                        PRIMARY KEY (customer_id, kind)
                    ) WITHOUT ROWID;

                    CREATE TABLE blind_index (
                        field TEXT NOT NULL,
                        digest BLOB NOT NULL CHECK (length(digest) = 32),
                        customer_id TEXT NOT NULL REFERENCES customer(id) ON DELETE CASCADE,
                        PRIMARY KEY (field, digest, customer_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX blind_index_by_customer ON blind_index(customer_id);

                    CREATE TABLE consent (
                        customer_id TEXT NOT NULL REFERENCES customer(id) ON DELETE CASCADE,
                        purpose TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('granted', 'withdrawn', 'objected')),
                        at INTEGER NOT NULL,
                        PRIMARY KEY (customer_id, purpose)
                    ) WITHOUT ROWID;

                    CREATE TABLE token (
                        id TEXT PRIMARY KEY NOT NULL,
                        hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
                        role TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        customer_id TEXT REFERENCES customer(id),
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER,
                        revoked_at INTEGER,
                        CHECK ((role = 'customer') = (customer_id IS NOT NULL))
                    );
                    CREATE INDEX token_by_customer ON token(customer_id) WHERE customer_id IS NOT NULL;

                    CREATE TABLE policy (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        hash TEXT NOT NULL CHECK (length(hash) = 64),
                        text TEXT NOT NULL,
                        file_name TEXT NOT NULL,
                        applied_at INTEGER NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v1-audit") { db in
            try db.execute(
                sql: """
                    -- No foreign key to customer: entries outlive erasure, and they hold ids, never values.
                    CREATE TABLE audit_entry (
                        seq INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 0),
                        leaf BLOB NOT NULL,
                        customer_id TEXT,
                        at INTEGER NOT NULL
                    );
                    CREATE INDEX audit_entry_by_customer ON audit_entry(customer_id, seq) WHERE customer_id IS NOT NULL;

                    -- Hashes of perfect subtrees: node (level, idx) covers leaves [idx·2^level, (idx+1)·2^level).
                    CREATE TABLE audit_node (
                        level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
                        idx INTEGER NOT NULL CHECK (idx >= 0),
                        hash BLOB NOT NULL CHECK (length(hash) = 32),
                        PRIMARY KEY (level, idx)
                    ) WITHOUT ROWID;

                    CREATE TABLE checkpoint (
                        size INTEGER PRIMARY KEY NOT NULL CHECK (size >= 0),
                        root BLOB NOT NULL CHECK (length(root) = 32),
                        note TEXT NOT NULL,
                        at INTEGER NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v1-contests") { db in
            try db.execute(
                sql: """
                    CREATE TABLE contest (
                        id TEXT PRIMARY KEY NOT NULL,
                        customer_id TEXT NOT NULL REFERENCES customer(id) ON DELETE CASCADE,
                        field TEXT NOT NULL,
                        sealed_request BLOB NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('open', 'info_requested', 'accepted', 'rejected', 'withdrawn')),
                        opened_at INTEGER NOT NULL,
                        deadline INTEGER NOT NULL,
                        resolved_at INTEGER,
                        resolver TEXT,
                        sealed_resolution BLOB,
                        CHECK ((status IN ('open', 'info_requested')) = (resolved_at IS NULL))
                    );
                    CREATE INDEX contest_by_status ON contest(status, deadline);
                    CREATE UNIQUE INDEX contest_one_pending_per_field ON contest(customer_id, field)
                        WHERE status IN ('open', 'info_requested');
                    """
            )
        }
        migrator.registerMigration("v1-analytics") { db in
            try db.execute(
                sql: """
                    CREATE TABLE privacy_charge (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        analyst TEXT NOT NULL,
                        micro_epsilon INTEGER NOT NULL CHECK (micro_epsilon > 0),
                        at INTEGER NOT NULL,
                        query_key TEXT NOT NULL
                    );
                    CREATE INDEX privacy_charge_by_analyst ON privacy_charge(analyst, at);
                    CREATE INDEX privacy_charge_by_time ON privacy_charge(at);

                    CREATE TABLE query_cache (
                        query_key TEXT PRIMARY KEY NOT NULL,
                        answer BLOB NOT NULL,
                        at INTEGER NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v2-checkpoint-history") { db in
            // From now on every checkpoint at a multiple of the history interval is kept, and only
            // those: a vault upgraded here keeps its older checkpoints and is held to the dense
            // history from its current size on.
            try db.execute(
                sql: """
                    INSERT INTO meta (key, value)
                    SELECT 'checkpoint_history_from', CAST(coalesce(max(seq) + 1, 0) AS TEXT) FROM audit_entry
                    """
            )
        }
        migrator.registerMigration("v2-key-epochs") { db in
            try db.execute(
                sql: """
                    -- KEKs now live in the key store outside the database (their rows keep an empty
                    -- blob); an epoch that is destroyed is marked, and no key may be wrapped under it.
                    ALTER TABLE kek ADD COLUMN destroyed_at INTEGER;
                    CREATE TRIGGER customer_key_epoch_alive_on_insert BEFORE INSERT ON customer
                    WHEN NEW.kek_version IS NOT NULL AND (SELECT destroyed_at FROM kek WHERE version = NEW.kek_version) IS NOT NULL
                    BEGIN SELECT RAISE(ABORT, 'the key epoch is destroyed'); END;
                    CREATE TRIGGER customer_key_epoch_alive_on_update BEFORE UPDATE OF kek_version ON customer
                    WHEN NEW.kek_version IS NOT NULL AND (SELECT destroyed_at FROM kek WHERE version = NEW.kek_version) IS NOT NULL
                    BEGIN SELECT RAISE(ABORT, 'the key epoch is destroyed'); END;

                    -- A restore starts a new generation of the log under a new origin from the size it
                    -- restored: checkpoints above `from_size` carry the generation's origin.
                    CREATE TABLE log_generation (
                        from_size INTEGER PRIMARY KEY NOT NULL CHECK (from_size >= 0),
                        origin TEXT NOT NULL UNIQUE,
                        created_at INTEGER NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v2-witness-cosignatures") { db in
            try db.execute(
                sql: """
                    -- The newest checkpoint each witness cosigned (the witness is named by its verifier key).
                    CREATE TABLE witness_cosignature (
                        witness TEXT PRIMARY KEY NOT NULL,
                        size INTEGER NOT NULL CHECK (size >= 0),
                        note TEXT NOT NULL,
                        at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v2-cache-validity") { db in
            // A cached aggregate may be given again only until a value it used passes its retention.
            try db.execute(sql: "ALTER TABLE query_cache ADD COLUMN valid_until INTEGER")
        }
        migrator.registerMigration("v2-consent-source") { db in
            // Who set each consent state: an import never overwrites the customer's own choice.
            // States from before this was recorded count as the customer's, the careful reading.
            try db.execute(
                sql: """
                    ALTER TABLE consent ADD COLUMN source TEXT NOT NULL DEFAULT 'customer'
                        CHECK (source IN ('customer', 'import', 'operator_override'))
                    """
            )
        }
        migrator.registerMigration("v2-recommendation-models") { db in
            // Next-best-product models: noisy counts only; each names the audit entry of its training,
            // which holds its SHA-256.
            try db.execute(
                sql: """
                    CREATE TABLE recommendation_model (
                        version INTEGER PRIMARY KEY NOT NULL CHECK (version > 0),
                        trained_at INTEGER NOT NULL,
                        audit_seq INTEGER NOT NULL CHECK (audit_seq >= 0),
                        body BLOB NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v2-portal") { db in
            // The customer portal: one-time sign-ins and sessions, their secrets kept only as keyed
            // hashes; attempts per address or client (keyed hashes too) for rate limits.
            try db.execute(
                sql: """
                    CREATE TABLE portal_sign_in (
                        id TEXT PRIMARY KEY NOT NULL,
                        customer_id TEXT NOT NULL REFERENCES customer(id),
                        code_hash BLOB NOT NULL,
                        link_hash BLOB NOT NULL UNIQUE,
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        attempts INTEGER NOT NULL CHECK (attempts >= 0),
                        used_at INTEGER
                    );
                    CREATE INDEX portal_sign_in_by_customer ON portal_sign_in(customer_id, created_at);
                    CREATE TABLE portal_session (
                        id TEXT PRIMARY KEY NOT NULL,
                        secret_hash BLOB NOT NULL UNIQUE,
                        customer_id TEXT NOT NULL REFERENCES customer(id),
                        created_at INTEGER NOT NULL,
                        last_seen_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        ended_at INTEGER
                    );
                    CREATE INDEX portal_session_by_customer ON portal_session(customer_id);
                    CREATE TABLE portal_attempt (
                        bucket BLOB NOT NULL,
                        at INTEGER NOT NULL
                    );
                    CREATE INDEX portal_attempt_by_bucket ON portal_attempt(bucket, at);
                    """
            )
        }
        return migrator
    }
}
