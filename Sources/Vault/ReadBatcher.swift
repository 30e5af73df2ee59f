import Synchronization
import VaultStore

/// Group commit for audited reads: every read must commit its audit entry before it returns data,
/// and SQLite has one writer, so reads that arrive while a batch is committing wait and then commit
/// together in the next transaction — one commit (and, with full durability, one fsync) for many.
final class ReadBatcher: Sendable {
    /// One read: `run` does the work inside the shared transaction and returns what to do after the
    /// commit (resume its caller); `fail` reports an error that aborted the whole batch.
    struct Job: Sendable {
        let run: @Sendable (any StorageWriter, inout AuditAppender) throws -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var pending: [Job] = []
        var flushing = false
    }

    private let state = Mutex(State())
    /// The most reads one transaction takes, so one batch never holds the writer for long.
    private let limit = 256

    func submit(_ job: Job, vault: Vault) {
        let startFlusher = state.withLock { state -> Bool in
            state.pending.append(job)
            guard !state.flushing else { return false }
            state.flushing = true
            return true
        }
        if startFlusher {
            Task { await self.flush(vault) }
        }
    }

    private func flush(_ vault: Vault) async {
        while true {
            let batch = state.withLock { state -> [Job] in
                let batch = Array(state.pending.prefix(limit))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            await vault.runBatch(batch)
        }
    }
}
