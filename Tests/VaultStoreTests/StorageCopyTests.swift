import Foundation
import Synchronization
import Testing
import VaultStore

private let t0 = Date(timeIntervalSince1970: 1_790_000_000)

/// Every ordered pair of backends under test: SQLite to SQLite always, and both directions
/// between SQLite and PostgreSQL when a server is given.
private let backendPairs: [(any StorageBackend, any StorageBackend)] = backendsUnderTest.flatMap { from in backendsUnderTest.map { (from, $0) } }

/// Batches small enough that a test's few rows take several.
private let small = StorageCopy.BatchSizes(customers: 50, auditEntries: 128)

@Suite("Storage copy")
struct StorageCopyTests {
    @Test("a copy holds every row of its source, whichever backends it goes between", arguments: backendPairs.indices)
    func copiesEverything(pair: Int) async throws {
        let (from, to) = backendPairs[pair]
        let (source, sourceFolder) = try await makeStorage(from)
        let (destination, destinationFolder) = try await makeStorage(to)
        defer {
            try? FileManager.default.removeItem(at: sourceFolder)
            try? FileManager.default.removeItem(at: destinationFolder)
        }
        try await seedEverything(source, customers: 123, entries: 700)
        let summary = try await StorageCopy.copy(from: source, to: destination, batches: small)
        #expect(summary.customers == 124 && summary.auditSize == 700 && !summary.resumed)
        let expected = try await dump(source)
        let copied = try await dump(destination)
        #expect(copied.count == expected.count)
        #expect(copied.first { !expected.contains($0) } == nil, "a row of the copy is not in the source")
        #expect(expected.first { !copied.contains($0) } == nil, "a row of the source is missing in the copy")
    }

    @Test(
        "an interrupted copy resumes after its last committed batch; one into a vault or a foreign database is refused",
        arguments: backendPairs.indices
    )
    func resumes(pair: Int) async throws {
        let (from, to) = backendPairs[pair]
        let (source, sourceFolder) = try await makeStorage(from)
        let (destination, destinationFolder) = try await makeStorage(to)
        defer {
            try? FileManager.default.removeItem(at: sourceFolder)
            try? FileManager.default.removeItem(at: destinationFolder)
        }
        try await seedEverything(source, customers: 160, entries: 900)
        // Stopped by a failing writer after the keys and two batches of customers.
        await #expect(throws: StoreError.self) {
            _ = try await StorageCopy.copy(from: source, to: FailingAfter(base: destination, writes: 3), batches: small)
        }
        let partial = try await destination.read { tx in (try tx.vaultID(), try tx.customerCounts(), try tx.copyMarker()) }
        #expect(partial.0 == nil, "an unfinished copy must not look like a vault")
        #expect(partial.1.live + partial.1.erased == 2 * small.customers && partial.2 != nil)

        let summary = try await StorageCopy.copy(from: source, to: destination, batches: small)
        #expect(summary.resumed)
        #expect(try await dump(destination) == dump(source))
        #expect(try await destination.read { try $0.copyMarker() } == nil)

        // Done: it is a vault now, and is not copied over.
        await #expect(throws: StoreError.conflict("the destination already holds the vault v-1; copy into a new, empty database")) {
            _ = try await StorageCopy.copy(from: source, to: destination)
        }
        // A database that holds something else is not written into.
        let (other, otherFolder) = try await makeStorage(to)
        defer { try? FileManager.default.removeItem(at: otherFolder) }
        try await other.write { tx in try tx.insertKEK(KEKRow(version: 1, createdAt: t0)) }
        await #expect(throws: StoreError.self) { _ = try await StorageCopy.copy(from: source, to: other) }
    }

    @Test("a resumed copy from a source whose data changed meanwhile is refused", arguments: backendPairs.indices)
    func changedSource(pair: Int) async throws {
        let (from, to) = backendPairs[pair]
        let (source, sourceFolder) = try await makeStorage(from)
        let (destination, destinationFolder) = try await makeStorage(to)
        defer {
            try? FileManager.default.removeItem(at: sourceFolder)
            try? FileManager.default.removeItem(at: destinationFolder)
        }
        try await seedEverything(source, customers: 120, entries: 10)
        await #expect(throws: StoreError.self) {
            _ = try await StorageCopy.copy(from: source, to: FailingAfter(base: destination, writes: 2), batches: small)
        }
        try await source.write { tx in
            try tx.putRecord(customerID: "c-00001", RecordRow(kind: .responses, version: 2, ciphertext: Data([42]), updatedAt: t0))
            try tx.bumpDataVersion()
        }
        await #expect(throws: StoreError.conflict("the source changed since the interrupted copy began; start again into a new, empty database")) {
            _ = try await StorageCopy.copy(from: source, to: destination, batches: small)
        }
    }
}

/// A storage whose write transactions fail after the first `writes`, as a crash mid-copy would.
private final class FailingAfter: VaultStorage {
    let base: any VaultStorage
    let writes: Int
    private let count = Atomic<Int>(0)

    init(base: any VaultStorage, writes: Int) {
        self.base = base
        self.writes = writes
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (any StorageReader) throws -> T) async throws -> T { try await base.read(body) }
    func write<T: Sendable>(_ body: @escaping @Sendable (any StorageWriter) throws -> T) async throws -> T {
        guard count.add(1, ordering: .relaxed).newValue <= writes else { throw StoreError.unavailable("the test stopped the copy") }
        return try await base.write(body)
    }
    func backup(to destination: String) async throws { try await base.backup(to: destination) }
    func compact() async throws { try await base.compact() }
    func close() throws { try base.close() }
}

/// A vault's worth of every kind of row: keys (one epoch destroyed, with a damaged customer still on
/// it), customers live and erased with records, indexes, consents and contests, tokens, policies,
/// charges, an audit log of `entries` with its complete tree nodes and checkpoints, and meta rows.
private func seedEverything(_ storage: any VaultStorage, customers: Int, entries: UInt64) async throws {
    try await storage.write { tx in
        try tx.insertKEK(KEKRow(version: 1, createdAt: t0))
        try tx.insertKEK(KEKRow(version: 2, createdAt: t0.addingTimeInterval(60)))
        try tx.insertRotation(RotationRow(toVersion: 2, startedAt: t0, completedAt: t0.addingTimeInterval(60)))
        try tx.insertPolicy(PolicyRow(hash: String(repeating: "a", count: 64), text: "one", fileName: "a.yaml", appliedAt: t0))
        try tx.insertPolicy(PolicyRow(hash: String(repeating: "b", count: 64), text: "two", fileName: "b.yaml", appliedAt: t0))
        try tx.insertLogGeneration(LogGenerationRow(fromSize: 3, origin: "example/restored", createdAt: t0))
        try tx.putWitnessCosignature(WitnessCosignatureRow(witness: "w+1", size: 2, note: "note", at: t0))
        for i in 0..<customers {
            let id = String(format: "c-%05d", i)
            try tx.insertCustomer(CustomerRow(id: id, wrappedKey: Data([UInt8(i % 256), 1]), kekVersion: 2, createdAt: t0))
            for kind in RecordKind.allCases {
                try tx.putRecord(
                    customerID: id,
                    RecordRow(kind: kind, version: UInt64(1 + i % 3), ciphertext: Data([UInt8(i % 256), 9]), updatedAt: t0)
                )
            }
            try tx.replaceBlindIndexes(
                customerID: id,
                [("email", Data(repeating: UInt8(i % 256), count: 32)), ("phone", Data(repeating: 7, count: 32))]
            )
            try tx.setConsent(customerID: id, ConsentRow(purpose: "marketing", state: i % 2 == 0 ? .granted : .withdrawn, at: t0, source: .import))
        }
        try tx.insertCustomer(CustomerRow(id: "c-damaged", wrappedKey: Data([0]), kekVersion: 1, createdAt: t0))
        try tx.markEpochDestroyed(version: 1, at: t0.addingTimeInterval(120))
        try tx.insertContest(
            ContestRow(id: "k1", customerID: "c-00000", field: "email", sealedRequest: Data([1]), status: .open, openedAt: t0, deadline: t0)
        )
        try tx.insertContest(
            ContestRow(
                id: "k2",
                customerID: "c-00001",
                field: "email",
                sealedRequest: Data([2]),
                status: .rejected,
                openedAt: t0,
                deadline: t0,
                resolvedAt: t0,
                resolver: "r",
                sealedResolution: Data([3])
            )
        )
        try tx.insertToken(
            TokenRow(
                id: "tok_1",
                hash: Data(repeating: 1, count: 32),
                role: "customer",
                subject: "c-00002",
                customerID: "c-00002",
                createdAt: t0,
                expiresAt: nil
            )
        )
        try tx.insertToken(
            TokenRow(
                id: "tok_2",
                hash: Data(repeating: 2, count: 32),
                role: "analyst",
                subject: "ann",
                customerID: nil,
                createdAt: t0.addingTimeInterval(1),
                expiresAt: t0.addingTimeInterval(99),
                revokedAt: t0.addingTimeInterval(5)
            )
        )
        try tx.eraseCustomer(id: "c-00003", at: t0.addingTimeInterval(200))
        _ = try tx.insertCharge(ChargeRow(analyst: "ann", microEpsilon: 500_000, at: t0, queryKey: "q1"))
        _ = try tx.insertCharge(ChargeRow(analyst: "bob", microEpsilon: 250_000, at: t0, queryKey: "q2"))
        for seq in 0..<entries {
            try tx.appendAuditEntry(
                AuditRow(seq: seq, leaf: Data("entry \(seq)".utf8), customerID: seq % 3 == 0 ? "c-00001" : nil),
                at: t0.addingTimeInterval(Double(seq))
            )
        }
        var nodes: [(level: Int, index: UInt64, hash: Data)] = []
        for level in 0..<64 where (UInt64(1) << level) <= entries {
            for index in 0..<(entries >> level) {
                nodes.append((level, index, Data(repeating: UInt8(truncatingIfNeeded: index &+ UInt64(level)), count: 32)))
            }
        }
        try tx.putAuditNodes(nodes)
        for size in [UInt64(256), entries] where size <= entries {
            try tx.insertCheckpoint(CheckpointRow(size: size, root: Data(repeating: 5, count: 32), note: "checkpoint \(size)", at: t0))
        }
        try tx.setCheckpointHistoryStart(3)
        try tx.setBackupTakenAt(t0)
        try tx.setLastRetentionSweep(at: t0, valuesRemoved: 4)
        for _ in 0..<3 { try tx.bumpDataVersion() }
        try tx.setVaultID("v-1")
    }
}

/// Everything a storage holds, as comparable lines, through the protocol only.
private func dump(_ storage: any VaultStorage) async throws -> [String] {
    try await storage.read { tx in
        var lines = [
            "vault \(try tx.vaultID() ?? "-")", "data \(try tx.dataVersion())", "history \(try tx.checkpointHistoryStart())",
            "backup \(String(describing: try tx.backupTakenAt()))", "sweep \(String(describing: try tx.lastRetentionSweep()))",
            "counts \(try tx.customerCounts())",
        ]
        lines += try tx.keks().map { "kek \($0)" } + (try tx.rotations().map { "rotation \($0)" })
        lines += try tx.policies().map { "policy \($0)" } + (try tx.logGenerations().map { "generation \($0)" })
        lines += try tx.witnessCosignatures().map { "cosignature \($0)" } + (try tx.tokens().map { "token \($0)" })
        lines += try tx.charges().map { "charge \($0)" } + (try tx.checkpoints().map { "checkpoint \($0)" })
        lines += try tx.contests(customerID: nil, statuses: nil).map { "contest \($0)" }
        for customer in try tx.customers(after: nil, limit: Int.max) {
            lines.append("customer \(customer)")
            lines += try tx.records(customerID: customer.id).sorted { $0.kind.rawValue < $1.kind.rawValue }.map { "record \(customer.id) \($0)" }
            lines += try tx.blindIndexes(customerID: customer.id).map { "index \(customer.id) \($0.field) \($0.digest.base64EncodedString())" }
            lines += try tx.consents(customerID: customer.id).map { "consent \(customer.id) \($0)" }
        }
        try tx.forEachAuditEntry(from: 0) {
            lines.append("entry \($0)")
            return true
        }
        for level in 0..<64 {
            try tx.forEachAuditNode(level: level, from: 0) { index, hash in
                lines.append("node \(level) \(index) \(hash.base64EncodedString())")
                return true
            }
        }
        return lines
    }
}
