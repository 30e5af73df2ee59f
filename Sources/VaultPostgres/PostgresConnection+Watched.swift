import PostgresNIO
import VaultStore

extension PostgresConnection {
    /// How often a statement still waiting for its answer checks that its connection is open.
    static let closeCheckInterval: TimeAmount = .seconds(1)

    /// What a statement on a closed connection fails with.
    static let closedWhileRunning = StoreError.unavailable("the connection to the PostgreSQL database closed while a statement ran; try again")

    /// Sends one statement and answers with its result, or fails as unavailable once the
    /// connection is found closed while the answer is still missing.
    ///
    /// postgres-nio 1.33 can leave a statement's future pending forever when the server ends the
    /// connection under it (`pg_terminate_backend`, a restart, a failover): a transaction waiting
    /// for it would hang, holding its caller. Every statement the vault sends goes through here.
    func watchedQuery(_ query: PostgresQuery, logger: Logger) -> EventLoopFuture<PostgresQueryResult> {
        guard !isClosed else { return eventLoop.makeFailedFuture(Self.closedWhileRunning) }
        let answer = eventLoop.makePromise(of: PostgresQueryResult.self)
        self.query(query, logger: logger).cascade(to: answer)
        // A timer per statement rather than a callback on `closeFuture`: those would pile up for
        // as long as the pooled connection lives. Completing an answered promise again does nothing.
        let watchdog = eventLoop.scheduleRepeatedTask(initialDelay: Self.closeCheckInterval, delay: Self.closeCheckInterval) { [self] _ in
            if isClosed { answer.fail(Self.closedWhileRunning) }
        }
        answer.futureResult.whenComplete { _ in watchdog.cancel() }
        return answer.futureResult
    }
}
