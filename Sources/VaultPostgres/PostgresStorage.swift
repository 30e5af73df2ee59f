import Foundation
import PostgresNIO
import Synchronization
import VaultStore

/// A vault's storage in a PostgreSQL database shared by any number of `cvault serve` instances.
///
/// Writes from every instance are serialized by one row lock (`writer_lock`, FOR UPDATE) taken
/// first in each write transaction: the audit log's appender then sees the log exactly as the previous
/// writer committed it (whichever instance that was), so the sequence stays dense and the tree
/// never forks; a budget check and its charge commit together; and a lock released at COMMIT
/// cannot be leaked by a crashed instance. Reads run in REPEATABLE READ snapshots, in parallel.
///
/// Bodies are synchronous (`VaultStorage`): each runs on a thread of its own and waits there for
/// its statements, while postgres-nio's event loops are never blocked.
final class PostgresStorage: VaultStorage {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    /// For statements: discards everything.
    private let logger: Logger
    /// For the operator: the listener's reconnects.
    private let warnings: Logger
    private let durability: StorageDurability
    /// The database, without secrets, for messages.
    let location: PostgresLocation

    /// The channel `NOTIFY` announces policy and key changes on.
    static let changeChannel = "cvault_changes"
    /// The advisory lock key that serializes schema migrations (before `writer_lock` may exist).
    static let migrationLock: Int64 = 0x6376_6175_6C74_6D

    private init(
        client: PostgresClient,
        runner: Task<Void, Never>,
        location: PostgresLocation,
        durability: StorageDurability,
        logger: Logger,
        warnings: Logger
    ) {
        self.client = client
        self.warnings = warnings
        self.runner = runner
        self.location = location
        self.durability = durability
        self.logger = logger
    }

    /// Connects to `location` and brings its schema up to date.
    static func open(
        _ location: PostgresLocation,
        durability: StorageDurability,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> PostgresStorage {
        let tls: PostgresClient.Configuration.TLS =
            switch location.sslMode {
            case "disable": .disable
            case "require": .require(.makeClientConfiguration())
            case "prefer": .prefer(.makeClientConfiguration())
            default: .require(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: location.host,
            port: location.port,
            username: location.user,
            password: try location.password(environment: environment),
            database: location.database,
            tls: tls
        )
        // Token checks, snapshot reads and the one writer each hold a connection while they run; the
        // change listener keeps one. PostgreSQL allows 100 by default, shared by every instance.
        configuration.options.maximumConnections = 16
        configuration.options.connectTimeout = .seconds(5)
        // Statements are never logged, at any level: their arguments are customer ids and ciphertext.
        var logger = Logger(label: "cvault.postgres.statements")
        logger.logLevel = .critical
        // The pool's own chatter (a lease racing `run()` at start) is not the operator's concern;
        // its errors (connections lost or refused) are.
        var poolLogger = Logger(label: "cvault.postgres")
        poolLogger.logLevel = .error
        let client = PostgresClient(configuration: configuration, backgroundLogger: poolLogger)
        let runner = Task { await client.run() }
        let storage = PostgresStorage(
            client: client,
            runner: runner,
            location: location,
            durability: durability,
            logger: logger,
            warnings: poolLogger
        )
        do {
            try await storage.migrate()
        } catch {
            runner.cancel()
            throw error
        }
        return storage
    }

    /// Applies the migrations this database lacks, one instance at a time.
    private func migrate() async throws {
        try await transaction(readOnly: false, lock: Self.migrationLock) { tx in
            try tx.run("CREATE TABLE IF NOT EXISTS schema_migration (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            let applied = Set(try tx.run("SELECT name FROM schema_migration").rows.map { try $0.decode(String.self) })
            for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
                for statement in migration.statements { try tx.run(statement) }
                try tx.run("INSERT INTO schema_migration (name) VALUES ($1)", [migration.name])
            }
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T {
        try await transaction(readOnly: true, lock: nil, body)
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T {
        try await transaction(readOnly: false, lock: nil, body)
    }

    /// Runs `body` in one transaction on a leased connection; commits if it returns, rolls back if it
    /// throws. A write takes the writers' row lock first, or the advisory `lock` (migrations) if given.
    private func transaction<T: Sendable>(
        readOnly: Bool,
        lock: Int64?,
        _ body: @escaping @Sendable (PostgresTransaction) throws -> T
    ) async throws -> T {
        let logger = self.logger
        let durability = self.durability
        do {
            return try await leased { connection in
                // The pool may hand out a connection the server has just closed.
                guard !connection.isClosed else {
                    throw StoreError.unavailable("the connection to the PostgreSQL database was closed; try again")
                }
                _ = try await connection.watchedQuery(
                    readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN ISOLATION LEVEL READ COMMITTED",
                    logger: logger
                ).get()
                do {
                    if let lock {
                        _ = try await connection.watchedQuery("SELECT pg_advisory_xact_lock(\(lock))", logger: logger).get()
                    } else if !readOnly {
                        _ = try await connection.watchedQuery("SELECT id FROM writer_lock WHERE id = 1 FOR UPDATE", logger: logger).get()
                    }
                    if !readOnly, durability == .normal {
                        _ = try await connection.watchedQuery("SET LOCAL synchronous_commit = off", logger: logger).get()
                    }
                    let value: T
                    let tx = PostgresTransaction(connection: connection, logger: logger)
                    do {
                        value = try await Self.onBlockingThread { try body(tx) }
                    } catch {
                        // The body's own errors (a refusal, a duplicate it did not expect) pass as they are.
                        throw BodyError(error: error)
                    }
                    // A body may go on after a statement failed (a read of a batch failing alone),
                    // but then the server would roll back what COMMIT asks it to keep.
                    if let failed = tx.failure.error { throw failed }
                    _ = try await connection.watchedQuery("COMMIT", logger: logger).get()
                    return value
                } catch {
                    // A connection whose rollback fails is closed by the pool's health checks; one
                    // already closed has nothing left to roll back.
                    if !connection.isClosed { _ = try? await connection.watchedQuery("ROLLBACK", logger: logger).get() }
                    throw error
                }
            }
        } catch let error as BodyError {
            throw error.error
        } catch {
            throw Self.map(error)
        }
    }

    /// One statement in autocommit, which is atomic on its own: no BEGIN and COMMIT round trips
    /// for what every request does first.
    func authenticationToken(hash: Data) async throws -> TokenRow? {
        let logger = self.logger
        do {
            return try await leased { connection in
                try await Self.onBlockingThread { try PostgresTransaction(connection: connection, logger: logger).token(hash: hash) }
            }
        } catch {
            throw Self.map(error)
        }
    }

    /// Carries an error thrown by a transaction body past the mapping of the driver's errors.
    private struct BodyError: Error {
        let error: any Error
    }

    /// How long a transaction waits for a connection before the database counts as unavailable
    /// (the pool itself would go on retrying for about a minute).
    static let leaseWait: Duration = .seconds(5)

    /// Runs `body` with a pooled connection, or fails as unavailable if none comes within `leaseWait`.
    ///
    /// The caller is answered at the deadline without waiting for the pool to give up (it would
    /// go on retrying); a connection that comes later is handed back unused.
    private func leased<R: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> R) async throws -> R {
        let client = self.client
        let race = LeaseRace<R>()
        return try await withCheckedThrowingContinuation { continuation in
            race.start(continuation)
            let lease = Task {
                do {
                    let value = try await client.withConnection { connection in
                        guard race.claim() else { throw CancellationError() }
                        return try await body(connection)
                    }
                    race.finish(.success(value))
                } catch {
                    race.finish(.failure(error))
                }
            }
            race.deadline(
                Task {
                    try? await Task.sleep(for: Self.leaseWait)
                    if race.abandon() {
                        lease.cancel()
                        race.finish(
                            .failure(
                                StoreError.unavailable(
                                    "no connection to the PostgreSQL database within \(Self.leaseWait); check that it runs, the URL in vault.json and PGPASSWORD or .pgpass"
                                )
                            )
                        )
                    }
                }
            )
        }
    }

    /// Who answers a transaction first: its connection, or the deadline for getting one.
    private final class LeaseRace<R: Sendable>: Sendable {
        private enum State { case waiting, running, abandoned }
        private let state = Mutex<(State, CheckedContinuation<R, any Error>?)>((.waiting, nil))
        private let timer = Mutex<Task<Void, Never>?>(nil)

        func start(_ continuation: CheckedContinuation<R, any Error>) { state.withLock { $0.1 = continuation } }

        /// The deadline's task, stopped once the caller is answered.
        func deadline(_ task: Task<Void, Never>) {
            let answered = state.withLock { $0.1 == nil }
            timer.withLock { $0 = task }
            if answered { task.cancel() }
        }

        /// The connection came: the body may run, unless the deadline passed first.
        func claim() -> Bool {
            state.withLock { value in
                guard case .waiting = value.0 else { return false }
                value.0 = .running
                return true
            }
        }

        /// The deadline passed: true if no body started, and none will.
        func abandon() -> Bool {
            state.withLock { value in
                guard case .waiting = value.0 else { return false }
                value.0 = .abandoned
                return true
            }
        }

        /// Answers the caller, once.
        func finish(_ result: Result<R, any Error>) {
            let continuation = state.withLock { value in
                defer { value.1 = nil }
                return value.1
            }
            continuation?.resume(with: result)
            timer.withLock { $0 }?.cancel()
        }
    }

    /// Runs `work` on a thread that may block (a transaction body waiting for its statements),
    /// never on Swift's cooperative pool or an event loop.
    private static func onBlockingThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    func backup(to destination: String) async throws {
        throw StoreError.unavailable(
            "a PostgreSQL vault is not backed up into a file by this command; use `cvault storage copy --to sqlite:DIR`, or pg_dump with the vault's keys kept apart"
        )
    }

    /// Returns the space of deleted rows to the tables. PostgreSQL does not zero the old tuples or
    /// its WAL at once: an erased customer's wrapped key stays undecryptable because its epoch key
    /// is destroyed at the next key roll, as for backups (see the README's Limits).
    func compact() async throws {
        do {
            _ = try await leased { connection in
                _ = try await connection.watchedQuery("VACUUM customer, record, blind_index, consent, contest, token", logger: self.logger).get()
            }
        } catch {
            throw Self.map(error)
        }
    }

    /// Yields whenever a committed transaction on any instance changed the policy or the keys.
    func changeNotifications() -> AsyncStream<Void>? {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let client = self.client
        let warnings = self.warnings
        let listener = Task {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Self.changeChannel) { notifications in
                            // Anything may have changed while no one listened.
                            continuation.yield()
                            for try await _ in notifications { continuation.yield() }
                        }
                    }
                } catch {
                    warnings.error("lost the PostgreSQL change notifications; listening again", metadata: ["error": "\(Self.map(error))"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in listener.cancel() }
        return stream
    }

    func close() throws {
        runner.cancel()
    }

    /// Translates a PostgreSQL or connection error into a `StoreError` without SQL or arguments.
    static func map(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? PSQLError else {
            return StoreError.unavailable("the PostgreSQL database cannot be reached (\(type(of: error)))")
        }
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else {
            return StoreError.unavailable(
                "the PostgreSQL database cannot be reached or refused the connection (\(error.code)); check that it runs, the URL in vault.json (TLS is required unless it says ?sslmode=disable) and PGPASSWORD or .pgpass"
            )
        }
        switch state {
        case "23505": return StoreError.duplicate("a row with the same key")
        case let code where code.hasPrefix("23"): return StoreError.conflict("a schema constraint refused the change (SQLSTATE \(code))")
        case "XX001", "XX002": return StoreError.corrupted("PostgreSQL reports damaged data (SQLSTATE \(state))")
        case "28000", "28P01":
            return StoreError.unavailable(
                "PostgreSQL refused the user or password (SQLSTATE \(state)); check the URL in vault.json and PGPASSWORD or .pgpass"
            )
        case "22021": return StoreError.conflict("a text value holds a character PostgreSQL cannot store (SQLSTATE \(state))")
        case "3D000": return StoreError.unavailable("the PostgreSQL database does not exist (SQLSTATE \(state)); create it with createdb")
        default: return StoreError.unavailable("PostgreSQL error SQLSTATE \(state); try again")
        }
    }
}
