import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import VaultAudit
import VaultSQLite
import VaultStore

@testable import Vault
@testable import VaultHTTP

/// A vault and a real witness on a loopback socket: the log anchored outside the vault's machine.
@Suite("Witnesses", .serialized)
struct WitnessIntegrationTests {
    private func witness(for vault: Vault) throws -> (WitnessService, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-witness-\(UUID().uuidString)")
        return (try WitnessService.create(at: folder, name: "witness.test/w1", logs: [vault.verifierKey.note]), folder)
    }

    /// Runs `body` with the witness served on an ephemeral port.
    private func serving(_ witness: WitnessService, _ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let app = WitnessServer.application(witness: witness, logger: .init(label: "witness") { _ in SwiftLogNoOpLogHandler() })
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(try #require(client.port))")
        }
    }

    @Test("the customer's log is proven against a checkpoint the witness cosigned, and audit verify says so")
    func customersSeeAWitnessedCheckpoint() async throws {
        let fixture = try await TestVault.make()
        let (witness, folder) = try witness(for: fixture.vault)
        defer {
            fixture.remove()
            try? FileManager.default.removeItem(at: folder)
        }
        try await serving(witness) { url in
            let added = try await fixture.vault.addWitness(url: url, key: witness.verifierKey, by: .localOperator)
            #expect(added.state == .cosigned, "\(added.detail)")
            let customer = try await fixture.vault.authenticate(token: fixture.tokens["customer"]!)
            let log = try await fixture.vault.myLog(by: customer)
            #expect(log.witnesses.map(\.state) == [.cosigned])
            let key = try NoteVerifierKey(parsing: witness.verifierKey)
            let checkpoint = try SignedCheckpoint.parse(log.checkpoint)
            #expect(checkpoint.cosignatureTime(by: key) != nil, "the checkpoint the proofs are against carries the witness's cosignature")
            #expect(checkpoint.checkpoint.size == log.size && log.allVerified)

            let auditor = try await fixture.vault.authenticate(token: fixture.tokens["auditor"]!)
            let report = try await fixture.vault.verifyAudit(by: auditor)
            #expect(report.ok, "\(report.problems)")
            #expect(report.anchoring.hasPrefix("witnessed: witness.test/w1 cosigned"))
            // The witness kept what it cosigned, and only ever grows.
            #expect(try await witness.logs.first?.size ?? 0 >= log.size)
        }
    }

    @Test(
        "drill: an older database file put back under a vault whose witness saw a larger tree fails audit verify — even with the local anchor gone too"
    )
    func witnessCatchesARestoredOldDatabase() async throws {
        let fixture = try await TestVault.make()
        let (witness, folder) = try witness(for: fixture.vault)
        let copies = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-old-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: copies, withIntermediateDirectories: true)
        defer {
            fixture.remove()
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: copies)
        }
        try await serving(witness) { url in
            _ = try await fixture.vault.addWitness(url: url, key: witness.verifierKey, by: .localOperator)
            let old = copies.appendingPathComponent("old.sqlite").path
            let oldSize = try await fixture.vault.backup(to: old, by: .localOperator).logSize
            let support = try await fixture.vault.authenticate(token: fixture.tokens["support"]!)
            for customer in fixture.customers {
                _ = try await fixture.vault.readCustomer(customer.id, purpose: "service", fields: ["name"], by: support)
            }
            await Vault.settle()
            let seen = try await witness.logs.first?.size ?? 0
            #expect(seen > oldSize)

            // The attacker puts the old file back, and removes the anchor beside it as well.
            try fixture.vault.close()
            let database = fixture.directory.appendingPathComponent("vault.sqlite").path
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
            try FileManager.default.copyItem(atPath: old, toPath: database)
            try FileManager.default.removeItem(at: fixture.directory.appendingPathComponent(LocalAnchor.fileName))

            var options = VaultOptions(backends: [SQLiteBackend()])
            options.inspectOnly = true
            options.clock = fixture.clock
            options.durability = .normal
            let inspector = try await Vault.open(at: fixture.directory, options: options)
            let auditor = try await inspector.authenticate(token: fixture.tokens["auditor"]!)
            let report = try await inspector.verifyAudit(by: auditor)
            #expect(!report.ok)
            #expect(report.witnesses.map(\.state) == [.ahead])
            #expect(report.problems.contains { $0.contains("the witness saw \(seen) entries, this log has") && $0.contains("rolled back") })
            #expect(try await witness.logs.first?.size == seen, "the witness never cosigned the older tree")
        }
    }

    @Test("a restore starts a log the witness must be told about; after that it is witnessed again")
    func restoreNeedsTheWitnessToAcceptTheNewGeneration() async throws {
        let fixture = try await TestVault.make()
        let (witness, folder) = try witness(for: fixture.vault)
        let copies = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-old-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: copies, withIntermediateDirectories: true)
        defer {
            fixture.remove()
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: copies)
        }
        try await serving(witness) { url in
            _ = try await fixture.vault.addWitness(url: url, key: witness.verifierKey, by: .localOperator)
            let backup = copies.appendingPathComponent("b.sqlite").path
            _ = try await fixture.vault.backup(to: backup, by: .localOperator)
            await Vault.settle()
            try fixture.vault.close()
            var options = VaultOptions(backends: [SQLiteBackend()])
            options.clock = fixture.clock
            options.durability = .normal
            _ = try await Vault.restore(from: backup, into: fixture.directory, confirm: true, options: options)
            let restored = try await Vault.open(at: fixture.directory, options: options)
            let auditor = try await restored.authenticate(token: fixture.tokens["auditor"]!)
            let before = try await restored.verifyAudit(by: auditor)
            #expect(before.witnesses.map(\.state) == [.unknownLog], "the new origin is a new log to the witness")
            try await witness.trust(restored.verifierKey.note)
            let after = try await restored.verifyAudit(by: auditor)
            #expect(after.ok && after.witnesses.map(\.state) == [.cosigned], "\(after.problems) \(after.witnesses)")
        }
    }
}
