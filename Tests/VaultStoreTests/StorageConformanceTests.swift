import Foundation
import Testing
import VaultPostgres
import VaultSQLite
import VaultStore
import VaultTestSupport

/// Every backend this build has, each checked by the same suite: the facade may rely only on what
/// all of them do alike. PostgreSQL joins when a test server is given (CI always gives one).
let backendsUnderTest: [any StorageBackend] = [SQLiteBackend()] + (TestDatabases.postgresURL == nil ? [] : [PostgresBackend()])

/// A fresh database of `backend` for a vault in a new temporary folder.
func makeStorage(_ backend: any StorageBackend) async throws -> (any VaultStorage, URL) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let database = backend.accepts("vault.sqlite") ? "vault.sqlite" : try TestDatabases.freshPostgresDatabase()
    return (try await backend.open(database, in: folder, durability: .normal), folder)
}

private let t0 = Date(timeIntervalSince1970: 1_790_000_000)

private func seed(_ storage: any VaultStorage, customers: Int) async throws {
    try await storage.write { tx in
        try tx.insertKEK(KEKRow(version: 1, wrapped: Data([1, 2, 3]), createdAt: t0))
        for i in 0..<customers {
            let id = "c-\(i)"
            try tx.insertCustomer(CustomerRow(id: id, wrappedKey: Data([UInt8(i % 256)]), kekVersion: 1, createdAt: t0))
            for kind in RecordKind.allCases {
                try tx.putRecord(customerID: id, RecordRow(kind: kind, version: 1, ciphertext: Data([UInt8(i % 256), 9]), updatedAt: t0))
            }
        }
    }
}

@Suite("Storage conformance")
struct StorageConformanceTests {
    @Test("a duplicate customer id is refused as a duplicate, and the transaction rolls back", arguments: backendsUnderTest)
    func duplicateCustomer(backend: any StorageBackend) async throws {
        let (storage, folder) = try await makeStorage(backend)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await seed(storage, customers: 1)
        await #expect(throws: StoreError.duplicate("customer")) {
            try await storage.write { tx in
                try tx.insertCustomer(CustomerRow(id: "c-new", wrappedKey: Data([1]), kekVersion: 1, createdAt: t0))
                try tx.insertCustomer(CustomerRow(id: "c-0", wrappedKey: Data([1]), kekVersion: 1, createdAt: t0))
            }
        }
        let newOne = try await storage.read { try $0.customer(id: "c-new") }
        #expect(newOne == nil, "the whole transaction must roll back")
    }

    @Test("erasure leaves a tombstone without key, records, indexes, consents or contests, and revokes tokens", arguments: backendsUnderTest)
    func erasure(backend: any StorageBackend) async throws {
        let (storage, folder) = try await makeStorage(backend)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await seed(storage, customers: 2)
        try await storage.write { tx in
            try tx.replaceBlindIndexes(customerID: "c-0", [("email", Data(repeating: 7, count: 32))])
            try tx.setConsent(customerID: "c-0", ConsentRow(purpose: "marketing", state: .granted, at: t0, source: .customer))
            try tx.insertToken(
                TokenRow(
                    id: "tok_1",
                    hash: Data(repeating: 1, count: 32),
                    role: "customer",
                    subject: "c-0",
                    customerID: "c-0",
                    createdAt: t0,
                    expiresAt: nil
                )
            )
            try tx.insertContest(
                ContestRow(id: "k1", customerID: "c-0", field: "email", sealedRequest: Data([1]), status: .open, openedAt: t0, deadline: t0)
            )
            try tx.eraseCustomer(id: "c-0", at: t0)
        }
        try await storage.read { tx throws in
            let row = try #require(try tx.customer(id: "c-0"))
            #expect(row.wrappedKey == nil && row.kekVersion == nil && row.erasedAt != nil)
            #expect(try tx.records(customerID: "c-0").isEmpty)
            #expect(try tx.customerIDs(field: "email", digest: Data(repeating: 7, count: 32)).isEmpty)
            #expect(try tx.consents(customerID: "c-0").isEmpty)
            #expect(try tx.contests(customerID: "c-0", statuses: nil).isEmpty)
            #expect(try tx.token(id: "tok_1")?.revokedAt != nil)
            #expect(try tx.tokens(ids: ["tok_1", "tok_none"]).map(\.id) == ["tok_1"], "the batched lookup a read's confirmation uses")
            #expect(try tx.tokens(ids: []).isEmpty)
            #expect(try tx.records(customerID: "c-1").count == 3, "other customers are untouched")
            #expect(try tx.customerCounts() == (live: 1, erased: 1))
        }
        await #expect(throws: StoreError.notFound("live customer")) {
            try await storage.write { tx in try tx.eraseCustomer(id: "c-0", at: t0) }
        }
    }

    @Test("id ranges from one set of split points partition the live customers exactly", arguments: backendsUnderTest)
    func shards(backend: any StorageBackend) async throws {
        let (storage, folder) = try await makeStorage(backend)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await seed(storage, customers: 101)
        try await storage.write { tx in try tx.eraseCustomer(id: "c-5", at: t0) }
        let splitPoints = try await storage.read { tx in try tx.customerSplitPoints(3) }
        #expect(splitPoints.count == 2 && splitPoints == splitPoints.sorted())
        // Customers arriving between the split and the scans land in exactly one range, in
        // every gap: before the first split point, between them, and after the last.
        let arrivals = ["a-early", splitPoints[0] + "0", splitPoints[1] + "0", "z-late"]
        try await storage.write { tx in
            for id in arrivals {
                try tx.insertCustomer(CustomerRow(id: id, wrappedKey: Data([7]), kekVersion: 1, createdAt: t0))
            }
        }
        var seen: [String] = []
        for range in CustomerIDRange.partition(at: splitPoints) {
            seen += try await storage.read { tx throws in
                var ids: [String] = []
                try tx.scanCustomers(in: range, kinds: [.purchases, .characteristics], consentFor: "analytics") { customer in
                    #expect(arrivals.contains(customer.id) == customer.records.isEmpty)
                    ids.append(customer.id)
                }
                return ids
            }
        }
        #expect(seen.count == 104)
        #expect(Set(seen).count == 104)
        #expect(!seen.contains("c-5"))
    }

    @Test("a partition covers every id once, with open ends")
    func partition() {
        #expect(CustomerIDRange.partition(at: []) == [CustomerIDRange(from: nil, to: nil)])
        #expect(
            CustomerIDRange.partition(at: ["m", "t"]) == [
                CustomerIDRange(from: nil, to: "m"), CustomerIDRange(from: "m", to: "t"), CustomerIDRange(from: "t", to: nil),
            ]
        )
    }

    @Test("audit entries must be appended densely; a repeated sequence number is refused", arguments: backendsUnderTest)
    func auditAppend(backend: any StorageBackend) async throws {
        let (storage, folder) = try await makeStorage(backend)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await storage.write { tx in
            #expect(try tx.auditSize() == 0)
            try tx.appendAuditEntry(AuditRow(seq: 0, leaf: Data("a".utf8), customerID: "c-1"), at: t0)
            try tx.appendAuditEntry(AuditRow(seq: 1, leaf: Data("b".utf8), customerID: nil), at: t0)
            try tx.putAuditNodes([
                (0, 0, Data(repeating: 1, count: 32)), (0, 1, Data(repeating: 2, count: 32)), (1, 0, Data(repeating: 3, count: 32)),
            ])
            #expect(try tx.auditSize() == 2)
        }
        await #expect(throws: StoreError.duplicate("audit entry")) {
            try await storage.write { tx in try tx.appendAuditEntry(AuditRow(seq: 1, leaf: Data("c".utf8), customerID: nil), at: t0) }
        }
        try await storage.read { tx throws in
            #expect(try tx.auditEntries(from: 0, limit: 10, customerID: "c-1").map(\.seq) == [0])
            #expect(try tx.auditNode(level: 1, index: 0) == Data(repeating: 3, count: 32))
            #expect(try tx.auditNode(level: 1, index: 1) == nil)
        }
    }

    @Test("one pending contest per field; a second is refused until the first is resolved", arguments: backendsUnderTest)
    func pendingContestUniqueness(backend: any StorageBackend) async throws {
        let (storage, folder) = try await makeStorage(backend)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await seed(storage, customers: 1)
        let open = ContestRow(id: "k1", customerID: "c-0", field: "email", sealedRequest: Data([1]), status: .open, openedAt: t0, deadline: t0)
        try await storage.write { tx in try tx.insertContest(open) }
        await #expect(throws: StoreError.duplicate("pending contest for this field")) {
            try await storage.write { tx in
                try tx.insertContest(
                    ContestRow(id: "k2", customerID: "c-0", field: "email", sealedRequest: Data([1]), status: .open, openedAt: t0, deadline: t0)
                )
            }
        }
        var change = open
        change.status = .rejected
        change.resolvedAt = t0
        let resolved = change
        try await storage.write { tx in
            try tx.updateContest(resolved)
            try tx.insertContest(
                ContestRow(id: "k2", customerID: "c-0", field: "email", sealedRequest: Data([1]), status: .open, openedAt: t0, deadline: t0)
            )
        }
    }

    @Test("budget charges sum per analyst and globally within the period", arguments: backendsUnderTest)
    func charges(backend: any StorageBackend) async throws {
        let (storage, folder) = try await makeStorage(backend)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await storage.write { tx in
            _ = try tx.insertCharge(ChargeRow(analyst: "a", microEpsilon: 500_000, at: t0, queryKey: "q1"))
            _ = try tx.insertCharge(ChargeRow(analyst: "b", microEpsilon: 250_000, at: t0, queryKey: "q2"))
            _ = try tx.insertCharge(ChargeRow(analyst: "a", microEpsilon: 100_000, at: t0.addingTimeInterval(-86_400 * 40), queryKey: "q0"))
        }
        let since = t0.addingTimeInterval(-86_400 * 30)
        try await storage.read { tx throws in
            #expect(try tx.chargedMicroEpsilon(analyst: "a", since: since) == 500_000)
            #expect(try tx.chargedMicroEpsilon(analyst: nil, since: since) == 750_000)
        }
    }

    @Test("store errors carry no SQL", arguments: backendsUnderTest)
    func errorsHideSQL(backend: any StorageBackend) async throws {
        let (storage, folder) = try await makeStorage(backend)
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try await storage.write { tx in
                try tx.putRecord(customerID: "missing", RecordRow(kind: .responses, version: 1, ciphertext: Data([1]), updatedAt: t0))
            }
            Issue.record("a record for a missing customer must be refused")
        } catch {
            let text = String(describing: error)
            #expect(!text.contains("INSERT") && !text.contains("missing"))
        }
    }
}

@Suite("Storage conformance: keys")
struct KeyConformanceTests {
    @Test("a wrapped key is replaced only if it is still the one the caller read", arguments: backendsUnderTest)
    func conditionalKeyReplacement(backend: any StorageBackend) async throws {
        let (storage, folder) = try await makeStorage(backend)
        defer { try? FileManager.default.removeItem(at: folder) }
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        try await storage.write { tx in
            try tx.insertKEK(KEKRow(version: 1, createdAt: t0))
            try tx.insertCustomer(CustomerRow(id: "c-1", wrappedKey: Data([1]), kekVersion: 1, createdAt: t0))
        }
        await #expect(throws: StoreError.notFound("live customer with that key")) {
            try await storage.write { tx in try tx.updateWrappedKey(customerID: "c-1", replacing: Data([9]), wrappedKey: Data([2]), kekVersion: 1) }
        }
        #expect(try await storage.read { try $0.customer(id: "c-1")?.wrappedKey } == Data([1]))
        try await storage.write { tx in try tx.updateWrappedKey(customerID: "c-1", replacing: Data([1]), wrappedKey: Data([2]), kekVersion: 1) }
        #expect(try await storage.read { try $0.customer(id: "c-1")?.wrappedKey } == Data([2]))
    }
}

@Suite("Storage backends")
struct StorageBackendTests {
    @Test("the vault opens the first backend that accepts its database, and says so when none does")
    func selection() throws {
        let backends: [any StorageBackend] = [SQLiteBackend()]
        #expect(try backends.backend(for: "vault.sqlite") is SQLiteBackend)
        let both: [any StorageBackend] = [SQLiteBackend(), PostgresBackend()]
        #expect(try both.backend(for: "postgres://cvault@db.example/vault") is PostgresBackend)
        #expect(try both.backend(for: "postgresql://cvault@db.example/vault") is PostgresBackend)
        #expect(throws: StoreError.unavailable("no storage backend in this program accepts the database postgres://db.example/vault")) {
            try backends.backend(for: "postgres://db.example/vault")
        }
    }

    @Test("the SQLite backend keeps the database inside the vault folder, owner-only")
    func sqliteStaysInTheFolder() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-backend-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["../escape.sqlite", "sub/vault.sqlite", "..", ""] {
            await #expect(throws: StoreError.self, "\(name)") { try await SQLiteBackend().open(name, in: folder, durability: .normal) }
        }
        #expect(!FileManager.default.fileExists(atPath: folder.deletingLastPathComponent().appendingPathComponent("escape.sqlite").path))
        let storage = try await SQLiteBackend().open("vault.sqlite", in: folder, durability: .normal)
        defer { try? storage.close() }
        let mode = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("vault.sqlite").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}
