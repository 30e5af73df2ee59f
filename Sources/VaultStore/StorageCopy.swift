import Dispatch
import Foundation
import Synchronization

/// Copies a vault's whole database from one storage into another, of the same or another backend,
/// through the storage protocol only: ciphertext, wrapped keys, blind indexes, tokens, policies,
/// contests, charges and the audit log with its tree and checkpoints.
///
/// The source is read in one snapshot, so the copy is of one moment even while the vault serves;
/// the destination is written in batches, each its own transaction, so an interrupted copy resumes
/// after its last committed batch. The vault id is written last: until then the destination is not
/// a vault anything would open. A resumed copy goes on only from a source whose data has not changed
/// since it began (its log may have grown: the log only appends).
public enum StorageCopy {
    /// How far a copy has come.
    public struct Progress: Sendable, Equatable {
        /// What is being copied: "customers" or "audit entries".
        public var step: String
        /// How many of them are in the destination now.
        public var done: Int
        /// How many the source snapshot has.
        public var total: Int
    }

    /// What a finished copy holds, read from the source snapshot it copied.
    public struct Summary: Sendable, Equatable {
        /// Customers, live and erased.
        public var customers: Int
        /// Audit entries.
        public var auditSize: UInt64
        /// The newest checkpoint's size.
        public var checkpointSize: UInt64?
        /// Whether this run went on from an interrupted one.
        public var resumed: Bool
    }

    /// Rows per destination transaction: customers (with all their rows) and audit entries.
    public struct BatchSizes: Sendable {
        /// Customers per transaction.
        public var customers = 500
        /// Audit entries (with the tree nodes they complete) per transaction.
        public var auditEntries = 4_096

        /// The defaults, or smaller batches (tests).
        public init(customers: Int = 500, auditEntries: Int = 4_096) {
            self.customers = max(1, customers)
            self.auditEntries = max(1, auditEntries)
        }
    }

    /// Copies `source` into `destination`, which must be empty or hold an interrupted copy of the same source.
    public static func copy(
        from source: any VaultStorage,
        to destination: any VaultStorage,
        batches: BatchSizes = BatchSizes(),
        progress: @escaping @Sendable (Progress) -> Void = { _ in }
    ) async throws -> Summary {
        let (state, marker) = try await destination.read { tx in
            (
                ResumePoint(
                    customersAfter: try tx.customers(after: nil, limit: Int.max).last?.id,
                    auditSize: try tx.auditSize(),
                    hasKeys: !(try tx.keks().isEmpty),
                    hasTokens: !(try tx.tokens().isEmpty),
                    hasCharges: !(try tx.charges().isEmpty)
                ),
                (vaultID: try tx.vaultID(), copy: try tx.copyMarker())
            )
        }
        if let id = marker.vaultID {
            throw StoreError.conflict("the destination already holds the vault \(id); copy into a new, empty database")
        }
        let resumed = marker.copy != nil
        if !resumed, state.hasKeys || state.auditSize > 0 || state.customersAfter != nil {
            throw StoreError.conflict("the destination is not empty and holds no interrupted copy; copy into a new, empty database")
        }
        let pipe = BatchPipe()
        // The pipe is finished whatever happens to the read, even if it fails before its body runs.
        let producer = Task {
            defer { pipe.finish() }
            return try await source.read { tx in
                try produce(from: tx, resumingAfter: resumed ? state : nil, expectedMarker: marker.copy, batches: batches, into: pipe)
            }
        }
        do {
            try await withTaskCancellationHandler {
                for try await batch in pipe.stream {
                    try Task.checkCancellation()
                    let report = try await destination.write { tx in try batch.apply(to: tx) }
                    if let report { progress(report) }
                    pipe.taken()
                }
            } onCancel: {
                pipe.fail()
            }
        } catch {
            // The reader stops at its next batch and lets go of its snapshot.
            pipe.fail()
            _ = try? await producer.value
            throw error
        }
        var result = try await producer.value
        result.resumed = resumed
        return result
    }

    /// Where an interrupted copy stopped, read from its destination.
    struct ResumePoint: Sendable {
        var customersAfter: String?
        var auditSize: UInt64
        var hasKeys: Bool
        var hasTokens: Bool
        var hasCharges: Bool
    }

    /// Reads the source snapshot and hands it on in batches.
    private static func produce(
        from tx: any StorageReader,
        resumingAfter resume: ResumePoint?,
        expectedMarker: String?,
        batches: BatchSizes,
        into pipe: BatchPipe
    ) throws -> Summary {
        guard let vaultID = try tx.vaultID() else { throw StoreError.notFound("a vault in the source database") }
        let marker = "\(vaultID) data \(try tx.dataVersion())"
        if let expectedMarker, expectedMarker != marker {
            throw StoreError.conflict("the source changed since the interrupted copy began; start again into a new, empty database")
        }
        let counts = try tx.customerCounts()
        let totalCustomers = counts.live + counts.erased
        let size = try tx.auditSize()

        if resume?.hasKeys != true {
            let keks = try tx.keks()
            let rotations = try tx.rotations()
            let generations = try tx.logGenerations()
            let policies = try tx.policies()
            let cosignatures = try tx.witnessCosignatures()
            let models = try tx.recommendationModels()
            try pipe.send(
                Batch { out in
                    try out.setCopyMarker(marker)
                    // Epochs are marked destroyed at the end: a customer whose damaged key a roll could
                    // not rewrap still names one, and the schema refuses new rows that do.
                    for row in keks { try out.insertKEK(KEKRow(version: row.version, wrapped: row.wrapped, createdAt: row.createdAt)) }
                    for row in rotations { try out.insertRotation(row) }
                    for row in generations { try out.insertLogGeneration(row) }
                    for row in policies { try out.insertPolicy(row) }
                    for row in cosignatures { try out.putWitnessCosignature(row) }
                    for row in models { try out.insertRecommendationModel(row) }
                    return nil
                }
            )
        }

        var after = resume?.customersAfter
        var copied = 0
        if let after { copied = try tx.customers(after: nil, limit: Int.max).prefix { $0.id <= after }.count }
        while true {
            let rows = try tx.customers(after: after, limit: batches.customers)
            guard let last = rows.last else { break }
            var bundles: [CustomerBundle] = []
            for row in rows {
                bundles.append(
                    CustomerBundle(
                        row: row,
                        records: try tx.records(customerID: row.id),
                        indexes: try tx.blindIndexes(customerID: row.id),
                        consents: try tx.consents(customerID: row.id),
                        contests: try tx.contests(customerID: row.id, statuses: nil)
                    )
                )
            }
            copied += rows.count
            let report = Progress(step: "customers", done: copied, total: totalCustomers)
            try pipe.send(
                Batch { [bundles] out in
                    try out.insertCustomers(
                        bundles.map { NewCustomer(customer: $0.row, records: $0.records, blindIndexes: $0.indexes, consents: $0.consents) }
                    )
                    for bundle in bundles {
                        for contest in bundle.contests { try out.insertContest(contest) }
                    }
                    return report
                }
            )
            after = last.id
        }

        if resume?.hasTokens != true {
            let tokens = try tx.tokens()
            try pipe.send(
                Batch { out in
                    for row in tokens.reversed() { try out.insertToken(row) }
                    return nil
                }
            )
        }
        if resume?.hasCharges != true {
            let charges = try tx.charges()
            try pipe.send(
                Batch { out in
                    for row in charges { _ = try out.insertCharge(row) }
                    return nil
                }
            )
        }

        // Entries with the tree nodes they complete, so that a resumed copy knows from its own
        // size which nodes it has.
        var next = resume?.auditSize ?? 0
        while next < size {
            let entries = try tx.auditEntries(from: next, limit: batches.auditEntries, customerID: nil)
            guard let last = entries.last else { break }
            let end = last.seq + 1
            var nodes: [(level: Int, index: UInt64, hash: Data)] = []
            for level in 0..<64 where (UInt64(1) << level) <= end {
                let first = next >> level
                let stop = end >> level
                guard first < stop else { continue }
                try tx.forEachAuditNode(level: level, from: first) { index, hash in
                    guard index < stop else { return false }
                    nodes.append((level, index, hash))
                    return true
                }
            }
            let report = Progress(step: "audit entries", done: Int(end), total: Int(size))
            var append = AuditAppend(at: Date(timeIntervalSince1970: 0))
            append.entries = entries
            append.nodes = nodes
            try pipe.send(
                Batch { [append] out in
                    try out.appendAudit(append)
                    return report
                }
            )
            next = end
        }

        let checkpoints = try tx.checkpoints()
        let destroyed = try tx.keks().compactMap { row in row.destroyedAt.map { (row.version, $0) } }
        let dataVersion = try tx.dataVersion()
        let historyStart = try tx.checkpointHistoryStart()
        let backupTakenAt = try tx.backupTakenAt()
        let sweep = try tx.lastRetentionSweep()
        try pipe.send(
            Batch { out in
                for row in checkpoints { try out.insertCheckpoint(row) }
                for (version, at) in destroyed { try out.markEpochDestroyed(version: version, at: at) }
                try out.setDataVersion(dataVersion)
                try out.setCheckpointHistoryStart(historyStart)
                if let backupTakenAt { try out.setBackupTakenAt(backupTakenAt) }
                if let sweep { try out.setLastRetentionSweep(at: sweep.at, valuesRemoved: sweep.valuesRemoved) }
                try out.setCopyMarker(nil)
                // Last: only now is the destination a vault.
                try out.setVaultID(vaultID)
                return nil
            }
        )
        return Summary(customers: totalCustomers, auditSize: size, checkpointSize: checkpoints.last?.size, resumed: false)
    }

    /// One customer's rows.
    private struct CustomerBundle: Sendable {
        let row: CustomerRow
        let records: [RecordRow]
        let indexes: [(field: String, digest: Data)]
        let consents: [ConsentRow]
        let contests: [ContestRow]
    }

    /// A destination transaction's worth of rows.
    struct Batch: Sendable {
        let apply: @Sendable (any StorageWriter) throws -> Progress?
        init(_ apply: @escaping @Sendable (any StorageWriter) throws -> Progress?) { self.apply = apply }
        func apply(to tx: any StorageWriter) throws -> Progress? { try apply(tx) }
    }

    /// Hands batches from the source's reading thread to the destination's writer, one at a time:
    /// the reader waits until the writer has committed the previous batch, so memory stays bounded
    /// however large the vault.
    final class BatchPipe: Sendable {
        let stream: AsyncThrowingStream<Batch, any Error>
        private let continuation: AsyncThrowingStream<Batch, any Error>.Continuation
        private let room = DispatchSemaphore(value: 0)
        private let failed = Atomic<Bool>(false)

        init() {
            (stream, continuation) = AsyncThrowingStream.makeStream(of: Batch.self, bufferingPolicy: .unbounded)
        }

        /// Sends one batch and waits (on the source's thread, which may block) until it is committed.
        func send(_ batch: Batch) throws {
            guard !failed.load(ordering: .acquiring) else { throw CancellationError() }
            continuation.yield(batch)
            room.wait()
            guard !failed.load(ordering: .acquiring) else { throw CancellationError() }
        }

        /// The writer committed a batch.
        func taken() { room.signal() }

        /// The writer failed: the reader stops at its next batch.
        func fail() {
            failed.store(true, ordering: .releasing)
            room.signal()
        }

        /// The reader is done (or failed).
        func finish() { continuation.finish() }
    }
}
