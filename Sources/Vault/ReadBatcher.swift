import Synchronization
import VaultStore

/// Group commit for audited reads: every read must commit its audit entry before it returns data,
/// and SQLite has one writer, so reads that arrive while a batch is committing wait and then commit
/// together in the next transaction — one commit (and, with full durability, one fsync) for many.
final class ReadBatcher: Sendable {
    /// One read: `run` does the work inside the shared transaction and returns what to do after the
    /// commit (resume its caller); `fail` reports an error that aborted the whole batch, or the
    /// read's own token failing its confirmation. `customerID` names the customer it will load, so
    /// the batch loads them all in one storage call; `tokenID` names the cached token the batch
    /// confirms before the read runs.
    struct Job: Sendable {
        let customerID: String?
        let tokenID: String?
        let run: @Sendable (any StorageWriter, inout AuditAppender, PrefetchedCustomers) throws -> @Sendable () -> Void
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

/// The customers a batch of reads will decide about, loaded in one storage call after the batch
/// took the writers' lock.
///
/// Valid for the whole batch because reads write no customer data (they only append audit
/// entries), and no other writer runs while the batch holds the lock.
struct PrefetchedCustomers: Sendable {
    private let snapshots: [String: CustomerSnapshot]

    /// Nothing loaded ahead: every lookup goes to the storage.
    static let none = PrefetchedCustomers(snapshots: [:])

    private init(snapshots: [String: CustomerSnapshot]) { self.snapshots = snapshots }

    /// Loads the customers `ids` name (those that exist).
    init(_ tx: any StorageReader, ids: [String]) throws {
        var snapshots: [String: CustomerSnapshot] = [:]
        for snapshot in try tx.customerSnapshots(ids: Array(Set(ids))) { snapshots[snapshot.customer.id] = snapshot }
        self.init(snapshots: snapshots)
    }

    /// The customer as loaded ahead, or from `tx` if it was not named.
    func snapshot(_ id: String, in tx: any StorageReader) throws -> CustomerSnapshot? {
        if let snapshot = snapshots[id] { return snapshot }
        return try tx.customerSnapshot(id: id)
    }
}
