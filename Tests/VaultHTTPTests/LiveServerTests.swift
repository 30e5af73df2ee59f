import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Vault
import VaultSQLite
import VaultStore

@testable import VaultHTTP

/// The server on a real socket (an ephemeral port on loopback).
@Suite struct LiveServerTests {
    @Test("the server's watcher takes up a policy another process applies")
    func watcherTakesUpAppliedPolicy() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        let watcher = Task { await VaultServer.watch(fixture.vault, logger: fixture.log.logger()) }
        defer { watcher.cancel() }
        var options = VaultOptions(backends: [SQLiteBackend()])
        options.durability = .normal
        let cli = try await Vault.open(at: fixture.directory, options: options)
        let text = try #require(
            String(
                data: try Data(
                    contentsOf: URL(fileURLWithPath: #filePath)
                        .deletingLastPathComponent().appendingPathComponent("../../policies/default.yaml")
                ),
                encoding: .utf8
            )
        )
        let applied = try await cli.applyPolicy(
            text: text.replacingOccurrences(of: "  k: 10 ", with: "  k: 11 "),
            fileName: "k11.yaml",
            by: .localOperator
        )
        // The watcher looks once a second; give it a few.
        for _ in 0..<50 where fixture.vault.policyInfo.hash != applied.hash {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(fixture.vault.policyInfo.hash == applied.hash)
    }

    @Test func aCustomerConsentsContestsAndExportsOverHTTP() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        let token = fixture.tokens["customer"]!
        let me = fixture.customers[0].id
        try await fixture.app.test(.live) { client in
            #expect(client.port != nil)
            #expect(try await client.call(.get, "/healthz").status == .ok)

            let granted = try await client.call(.put, "/v1/me/consents/personalization", token: token, json: #"{"state":"granted"}"#)
            #expect(granted.status == .noContent)
            let consent = try await client.call(.get, "/v1/me/consents/personalization", token: token)
            #expect(consent.object["state"] as? String == "granted")
            #expect(consent.object["holds"] as? Bool == true)
            let withdrawn = try await client.call(.put, "/v1/me/consents/personalization", token: token, json: #"{"state":"withdrawn"}"#)
            #expect(withdrawn.status == .noContent)
            #expect(try await client.call(.get, "/v1/me/consents/personalization", token: token).object["holds"] as? Bool == false)

            let opened = try await client.call(
                .post,
                "/v1/me/contests",
                token: token,
                json: #"{"field":"segment","value":"loyal","reason":"I buy every week"}"#
            )
            #expect(opened.status == .created)
            let contestID = try #require(opened.object["id"] as? String)
            let resolved = try await client.call(
                .post,
                "/v1/contests/\(contestID)/resolution",
                token: fixture.tokens["support"]!,
                json: #"{"resolution":"reject","reason":"the segment follows purchase history"}"#
            )
            #expect(resolved.object["status"] as? String == "rejected")
            let mine = try await client.call(.get, "/v1/me/contests", token: token)
            #expect(mine.array.first?["resolution"] as? String == "the segment follows purchase history")

            let export = try await client.call(.get, "/v1/me/export", token: token)
            #expect(export.status == .ok)
            let verification = Vault.verifyExport(Data(export.text.utf8), pinnedPublicKey: fixture.vault.verifierKey.publicKeyBase64)
            #expect(verification.ok, "\(verification.problems)")
            #expect(verification.customer == me)
            #expect(verification.entriesVerified > 0)
            let document = try #require(export.object["document"] as? [String: Any])
            let consents = try #require(document["consents"] as? [[String: Any]])
            #expect(consents.first { $0["purpose"] as? String == "personalization" }?["state"] as? String == "withdrawn")
            let contests = try #require(document["contests"] as? [[String: Any]])
            #expect(contests.map { $0["id"] as? String } == [contestID])
        }
    }

    @Test func aTakenPortIsReportedClearly() async throws {
        let fixture = try await TestVault.make(customers: 2)
        defer { fixture.remove() }
        try await fixture.app.test(.live) { client in
            let port = try #require(client.port)
            let error = await #expect(throws: VaultError.self) {
                try await VaultServer.run(vault: fixture.vault, host: "127.0.0.1", port: port, logger: fixture.log.logger())
            }
            #expect(error?.code == .portInUse)
            #expect(error?.message.contains("\(port)") == true)
            #expect(error?.message.contains("--port") == true)
        }
    }
}
