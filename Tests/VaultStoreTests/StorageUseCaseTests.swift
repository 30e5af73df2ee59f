import Foundation
import Testing
import VaultPostgres
import VaultStore
import VaultTestSupport

private let t0 = Date(timeIntervalSince1970: 1_790_000_000)

/// The use-case calls (one round trip each on a server database) give exactly what the
/// table-shaped calls they replace give, on every backend.
@Suite("Storage use-case calls")
struct StorageUseCaseTests {
    @Test("a customer snapshot holds the row, records, consents and disputed fields the single calls give", arguments: backendsUnderTest)
    func customerSnapshot(backend: any StorageBackend) async throws {
        let (storage, folder) = try await makeStorage(backend)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await storage.write { tx in
            try tx.insertKEK(KEKRow(version: 1, wrapped: Data([1]), createdAt: t0))
            for id in ["c-a", "c-b", "c-bare"] {
                try tx.insertCustomer(CustomerRow(id: id, wrappedKey: Data(id.utf8), kekVersion: 1, createdAt: t0))
            }
            for (index, kind) in RecordKind.allCases.reversed().enumerated() {
                try tx.putRecord(
                    customerID: "c-a",
                    RecordRow(
                        kind: kind,
                        version: UInt64(index + 1),
                        ciphertext: Data([UInt8(index), 0, 255]),
                        updatedAt: t0.addingTimeInterval(Double(index))
                    )
                )
            }
            try tx.setConsent(customerID: "c-a", ConsentRow(purpose: "marketing", state: .granted, at: t0, source: .customer))
            try tx.setConsent(customerID: "c-a", ConsentRow(purpose: "analytics", state: .objected, at: t0.addingTimeInterval(5), source: .import))
            try tx.setConsent(customerID: "c-b", ConsentRow(purpose: "marketing", state: .withdrawn, at: t0, source: .customer))
            try tx.insertContest(
                ContestRow(id: "k1", customerID: "c-a", field: "email", sealedRequest: Data([1]), status: .open, openedAt: t0, deadline: t0)
            )
            try tx.insertContest(
                ContestRow(
                    id: "k2",
                    customerID: "c-a",
                    field: "segment",
                    sealedRequest: Data([2]),
                    status: .infoRequested,
                    openedAt: t0,
                    deadline: t0
                )
            )
            try tx.insertContest(
                ContestRow(
                    id: "k3",
                    customerID: "c-a",
                    field: "phone",
                    sealedRequest: Data([3]),
                    status: .rejected,
                    openedAt: t0,
                    deadline: t0,
                    resolvedAt: t0,
                    resolver: "agent",
                    sealedResolution: Data([4])
                )
            )
            try tx.insertContest(
                ContestRow(id: "k4", customerID: "c-b", field: "city", sealedRequest: Data([5]), status: .open, openedAt: t0, deadline: t0)
            )
        }
        let (snapshots, singles) = try await storage.read { tx in
            (
                try ["c-a", "c-b", "c-bare", "c-none"].map { try tx.customerSnapshot(id: $0) },
                try ["c-a", "c-b", "c-bare"].map { id in
                    CustomerSnapshot(
                        customer: try #require(try tx.customer(id: id)),
                        records: try tx.records(customerID: id),
                        consents: try tx.consents(customerID: id),
                        disputedFields: Set(try tx.contests(customerID: id, statuses: [.open, .infoRequested]).map(\.field))
                    )
                }
            )
        }
        #expect(snapshots[3] == nil, "no customer, no snapshot")
        for (snapshot, single) in zip(snapshots, singles) {
            var snapshot = try #require(snapshot)
            var single = single
            snapshot.records.sort { $0.kind.rawValue < $1.kind.rawValue }
            single.records.sort { $0.kind.rawValue < $1.kind.rawValue }
            #expect(snapshot == single)
        }
        #expect(snapshots[0]?.records.count == RecordKind.allCases.count)
        #expect(snapshots[0]?.consents.map(\.purpose) == ["analytics", "marketing"])
        #expect(snapshots[0]?.disputedFields == ["email", "segment"])
        #expect(snapshots[2]?.records.isEmpty == true && snapshots[2]?.consents.isEmpty == true && snapshots[2]?.disputedFields.isEmpty == true)

        try await storage.write { tx in try tx.eraseCustomer(id: "c-a", at: t0) }
        let erased = try #require(try await storage.read { try $0.customerSnapshot(id: "c-a") })
        #expect(erased.customer.erasedAt != nil && erased.customer.wrappedKey == nil)
        #expect(erased.records.isEmpty && erased.consents.isEmpty && erased.disputedFields.isEmpty)
    }

    @Test(
        "one audit append stores entries, nodes and checkpoints and deletes the replaced one; the head and node lookups read them back",
        arguments: backendsUnderTest
    )
    func auditAppend(backend: any StorageBackend) async throws {
        let (storage, folder) = try await makeStorage(backend)
        defer { try? FileManager.default.removeItem(at: folder) }
        let empty = try await storage.read { try $0.auditHead() }
        #expect(empty == AuditHead(size: 0, latestCheckpoint: nil, checkpointHistoryStart: 0))

        func hash(_ byte: UInt8) -> Data { Data(repeating: byte, count: 32) }
        var first = AuditAppend(at: t0)
        first.entries = [
            AuditRow(seq: 0, leaf: Data("zero".utf8), customerID: "c-1"), AuditRow(seq: 1, leaf: Data("one".utf8), customerID: nil),
            AuditRow(seq: 2, leaf: Data("two".utf8), customerID: ""),
        ]
        first.nodes = [(0, 0, hash(10)), (0, 1, hash(11)), (1, 0, hash(20)), (0, 2, hash(12))]
        first.checkpoints = [CheckpointRow(size: 3, root: hash(3), note: "note 3", at: t0)]
        try await storage.write { [first] tx in
            try tx.setCheckpointHistoryStart(2)
            try tx.appendAudit(first)
        }
        var second = AuditAppend(at: t0.addingTimeInterval(1))
        second.entries = [AuditRow(seq: 3, leaf: Data("three".utf8), customerID: "c-1", at: t0.addingTimeInterval(100))]
        second.nodes = [(0, 3, hash(13)), (1, 1, hash(21)), (2, 0, hash(30))]
        second.checkpoints = [CheckpointRow(size: 4, root: hash(4), note: "note 4", at: t0.addingTimeInterval(1))]
        second.replacedCheckpoint = 3
        try await storage.write { [second] tx in try tx.appendAudit(second) }

        let (head, entries, checkpoints, nodes) = try await storage.read { tx in
            (
                try tx.auditHead(), try tx.auditEntries(from: 0, limit: 10, customerID: nil), try tx.checkpoints(),
                try tx.auditNodes([(2, 0), (0, 9), (0, 1), (1, 1), (5, 0)])
            )
        }
        #expect(head == AuditHead(size: 4, latestCheckpoint: second.checkpoints[0], checkpointHistoryStart: 2))
        #expect(entries.map(\.seq) == [0, 1, 2, 3])
        #expect(entries.map(\.leaf) == (first.entries + second.entries).map(\.leaf))
        #expect(entries.map(\.customerID) == ["c-1", nil, "", "c-1"], "no customer and an empty id stay apart")
        #expect(entries.map(\.at) == [t0, t0, t0, t0.addingTimeInterval(100)], "an entry with a time of its own (a copy's) keeps it")
        #expect(checkpoints == second.checkpoints, "the replaced checkpoint is deleted")
        #expect(nodes == [hash(30), nil, hash(11), hash(21), nil], "nodes come back in the order asked, nil where none is stored")
        #expect(try await storage.read { try $0.auditNodes([]) }.isEmpty)

        // A sequence number taken already is a duplicate, and nothing of the append stays.
        var clash = AuditAppend(at: t0)
        clash.entries = [AuditRow(seq: 3, leaf: Data("again".utf8), customerID: nil)]
        clash.nodes = [(0, 4, hash(14))]
        clash.checkpoints = [CheckpointRow(size: 5, root: hash(5), note: "note 5", at: t0)]
        await #expect(throws: StoreError.duplicate("audit entry")) {
            try await storage.write { [clash] tx in try tx.appendAudit(clash) }
        }
        let after = try await storage.read { tx in (try tx.auditHead(), try tx.auditNode(level: 0, index: 4)) }
        #expect(after.0 == head && after.1 == nil)
    }

    @Test(
        "new customers are stored in one call with records, blind indexes and consents; one existing id stores none of them",
        arguments: backendsUnderTest
    )
    func insertCustomers(backend: any StorageBackend) async throws {
        let (storage, folder) = try await makeStorage(backend)
        defer { try? FileManager.default.removeItem(at: folder) }
        let digest = Data(repeating: 5, count: 32)
        let live = NewCustomer(
            customer: CustomerRow(id: "c-1", wrappedKey: Data([1, 2]), kekVersion: 1, createdAt: t0),
            records: RecordKind.allCases.map { RecordRow(kind: $0, version: 1, ciphertext: Data($0.rawValue.utf8), updatedAt: t0) },
            blindIndexes: [("email", digest), ("phone", Data(repeating: 6, count: 32))],
            consents: [
                ConsentRow(purpose: "analytics", state: .granted, at: t0, source: .import),
                ConsentRow(purpose: "marketing", state: .withdrawn, at: t0, source: .import),
            ]
        )
        let bare = NewCustomer(
            customer: CustomerRow(id: "c-2", wrappedKey: Data([3]), kekVersion: 1, createdAt: t0),
            records: [],
            blindIndexes: [],
            consents: []
        )
        var tombstone = CustomerRow(id: "c-3", wrappedKey: Data([4]), kekVersion: 1, createdAt: t0)
        tombstone.wrappedKey = nil
        tombstone.kekVersion = nil
        tombstone.erasedAt = t0.addingTimeInterval(60)
        let erased = NewCustomer(customer: tombstone, records: [], blindIndexes: [], consents: [])
        try await storage.write { tx in
            try tx.insertKEK(KEKRow(version: 1, wrapped: Data([1]), createdAt: t0))
            try tx.insertCustomers([live, bare, erased])
        }
        let (snapshots, indexes, found) = try await storage.read { tx in
            (
                try ["c-1", "c-2", "c-3"].map { try #require(try tx.customerSnapshot(id: $0)) }, try tx.blindIndexes(customerID: "c-1"),
                try tx.customerIDs(field: "email", digest: digest)
            )
        }
        #expect(snapshots.map(\.customer) == [live.customer, bare.customer, tombstone])
        #expect(snapshots[0].records.sorted { $0.kind.rawValue < $1.kind.rawValue } == live.records.sorted { $0.kind.rawValue < $1.kind.rawValue })
        #expect(snapshots[0].consents == live.consents)
        #expect(Set(indexes.map(\.field)) == ["email", "phone"] && found == ["c-1"])
        #expect(snapshots[1].records.isEmpty && snapshots[1].consents.isEmpty)

        let newcomer = NewCustomer(
            customer: CustomerRow(id: "c-4", wrappedKey: Data([5]), kekVersion: 1, createdAt: t0),
            records: live.records,
            blindIndexes: [],
            consents: []
        )
        await #expect(throws: StoreError.duplicate("customer")) {
            try await storage.write { tx in try tx.insertCustomers([newcomer, bare]) }
        }
        #expect(try await storage.read { try $0.customer(id: "c-4") } == nil)
        #expect(try await storage.read { try $0.customerSnapshots(ids: ["c-2", "c-9", "c-1"]) }.map(\.customer.id).sorted() == ["c-1", "c-2"])
    }

    @Test(
        "on PostgreSQL a transaction whose body went on after the server refused a statement fails instead of seeming committed",
        .enabled(if: TestDatabases.postgresURL != nil, "needs CVAULT_TEST_POSTGRES_URL")
    )
    func refusedStatementFailsTheTransaction() async throws {
        let (storage, folder) = try await makeStorage(PostgresBackend())
        defer { try? FileManager.default.removeItem(at: folder) }
        try await storage.write { tx in try tx.insertKEK(KEKRow(version: 1, wrapped: Data([1]), createdAt: t0)) }
        // The server refuses a customer under a key version it does not have (foreign key), after
        // which PostgreSQL answers COMMIT with a rollback.
        await #expect(throws: StoreError.self) {
            try await storage.write { tx in
                try tx.insertCustomer(CustomerRow(id: "c-kept", wrappedKey: Data([1]), kekVersion: 1, createdAt: t0))
                _ = try? tx.insertCustomer(CustomerRow(id: "c-refused", wrappedKey: Data([1]), kekVersion: 99, createdAt: t0))
                return true
            }
        }
        #expect(try await storage.read { try $0.customer(id: "c-kept") } == nil)
    }

    @Test("a token is found for authentication by its hash alone", arguments: backendsUnderTest)
    func authenticationToken(backend: any StorageBackend) async throws {
        let (storage, folder) = try await makeStorage(backend)
        defer { try? FileManager.default.removeItem(at: folder) }
        let row = TokenRow(
            id: "tok_1",
            hash: Data(repeating: 7, count: 32),
            role: "support",
            subject: "agent",
            customerID: nil,
            createdAt: t0,
            expiresAt: nil
        )
        try await storage.write { tx in try tx.insertToken(row) }
        #expect(try await storage.authenticationToken(hash: row.hash) == row)
        #expect(try await storage.authenticationToken(hash: Data(repeating: 8, count: 32)) == nil)
    }
}
