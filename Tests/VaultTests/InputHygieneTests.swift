import Foundation
import Testing
import VaultCrypto
import VaultPolicy
import VaultSQLite
import VaultStore

@testable import Vault

/// What the review found about values that are not what they look like.
@Suite("Input hygiene")
struct InputHygieneTests {
    @Test(
        "strings with control or bidirectional-formatting characters are refused at import, on writes and in contests",
        arguments: [
            "Eve\u{1B}[31m", "line\nbreak", "nul\u{0}", "right\u{202E}left", "c1\u{85}", "isolate\u{2066}x",
        ]
    )
    func controlCharacters(value: String) async throws {
        let test = try await TestVault.make(customers: 2)
        defer { test.remove() }
        let escaped = value.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "\\u\(String(format: "%04x", $0.value))" }.joined()
        let line = #"{"id":"c-ctl","characteristics":{"name":""# + escaped + #""},"responses":{"product_interests":["garden"]}}"#
        guard case .failure(let failure) = test.vault.validateImport(Data(line.utf8)) else {
            Issue.record("a name with \(escaped) was accepted")
            return
        }
        #expect(
            failure.problems.first?.message
                == "characteristics.name contains a control or bidirectional-formatting character, which no stored text may hold"
        )
        // The same in a list and as a map key.
        let listLine = #"{"id":"c-ctl","responses":{"product_interests":["ok",""# + escaped + #""]}}"#
        guard case .failure = test.vault.validateImport(Data(listLine.utf8)) else {
            Issue.record("a list item was accepted")
            return
        }

        let support = try await test.principal("support")
        await #expect {
            _ = try await test.vault.updateCustomer(test.customers[0].id, purpose: "service", set: ["name": value], by: support)
        } throws: {
            ($0 as? VaultError)?.code == .invalidValue
        }
        let customer = try await test.customerPrincipal(test.customers[1].id)
        await #expect { _ = try await test.vault.openContest(field: "name", proposedValue: value, reason: "typo", by: customer) } throws: {
            ($0 as? VaultError)?.code == .invalidValue
        }
        if !value.contains("\n") {
            await #expect { _ = try await test.vault.openContest(field: "name", proposedValue: "Fine Name", reason: value, by: customer) } throws: {
                ($0 as? VaultError)?.code == .invalidText
            }
        }
    }

    @Test("a policy naming a data category outside the fideslang taxonomy is refused on apply, and the vault keeps its policy")
    func unknownCategoryIsRefusedOnApply() async throws {
        let test = try await TestVault.make(customers: 1)
        defer { test.remove() }
        let before = test.vault.policy.policy.hash
        let text = Vault.defaultPolicyText.replacingOccurrences(of: "category: user.demographic.profile", with: "category: user.preference.channel")
        try #require(text != Vault.defaultPolicyText)
        await #expect { _ = try await test.vault.applyPolicy(text: text, fileName: "mine.yaml", by: .localOperator) } throws: {
            ($0 as? VaultError)?.code == .invalidPolicy && "\($0)".contains("not a fideslang 3.1.4 data category")
        }
        #expect(test.vault.policy.policy.hash == before)
    }

    @Test("free text keeps its line breaks")
    func reasonsKeepLineBreaks() async throws {
        let test = try await TestVault.make(customers: 1)
        defer { test.remove() }
        let customer = try await test.customerPrincipal(test.customers[0].id)
        let contest = try await test.vault.openContest(
            field: "name",
            proposedValue: "Fine Name",
            reason: "first line\nsecond line\tend",
            by: customer
        )
        #expect(contest.status == "open")
    }
}

/// A passphrase vault's root key against someone holding vault.json.
@Suite("Passphrase protection", .serialized)
struct PassphraseProtectionTests {
    static let passphrase = "correct horse battery staple"

    private func metadata(_ folder: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("vault.json"))) as! [String: Any]
    }

    @Test("a new passphrase vault records scrypt at today's recommendation (N = 2^17, r = 8), and a weaker one is sealed again when opened")
    func scryptParameters() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-pass-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = VaultOptions(backends: [SQLiteBackend()])
        options.durability = .normal
        let vault = try await Vault.create(at: folder, rootKey: .passphrase(Self.passphrase), options: options)
        let rootKey = try #require(try metadata(folder)["rootKey"] as? [String: Any])
        let scrypt = try #require(rootKey["scrypt"] as? [String: Any])
        #expect(scrypt["N"] as? Int == 1 << 17 && scrypt["r"] as? Int == 8)
        #expect(rootKey["wrappedRoot"] is String)
        let record = SyntheticCustomers(seed: 3, asOf: Date()).customer(1)
        _ = try await vault.importCustomers([record], by: .localOperator)
        try vault.close()

        // Reseal the same root under weak parameters, as an older vault would have it.
        var metadata = try VaultMetadata.load(from: folder)
        options.keySource = .passphrase(Self.passphrase)
        let root = try PassphraseWrappedKey.unwrap(
            Array(Data(base64Encoded: metadata.rootKey.wrappedRoot!)!),
            passphrase: Array(Self.passphrase.utf8),
            parameters: metadata.rootKey.scrypt!,
            vaultID: metadata.vaultID
        )
        let weak = ScryptParameters(cost: 1 << 10, blockSize: 1, parallelism: 1, salt: Array(repeating: 7, count: 16))
        metadata.rootKey.scrypt = weak
        metadata.rootKey.wrappedRoot = Data(
            try PassphraseWrappedKey.wrap(
                root,
                passphrase: Array(Self.passphrase.utf8),
                parameters: weak,
                vaultID: metadata.vaultID
            )
        ).base64EncodedString()
        try metadata.write(to: folder)

        let reopened = try await Vault.open(at: folder, options: options)
        let upgraded = try #require(try self.metadata(folder)["rootKey"] as? [String: Any])
        #expect((upgraded["scrypt"] as? [String: Any])?["N"] as? Int == 1 << 17)
        let support = try await reopened.authenticate(
            token: try await reopened.issueToken(role: "support", customerID: nil, name: "s", expiresIn: nil, by: .localOperator).secret
        )
        #expect(try await reopened.readCustomer(record.id, purpose: "service", fields: ["name"], by: support).anyAllowed)
        try reopened.close()
        options.keySource = .passphrase("not the vault's passphrase")
        await #expect { _ = try await Vault.open(at: folder, options: options) } throws: { ($0 as? VaultError)?.code == .wrongRootKey }
    }
}

@Suite("Sizes and names")
struct SizeAndNameTests {
    @Test("a record far larger than any profile is refused at validation, quickly, before the single writer sees it")
    func hugeRecords() async throws {
        let test = try await TestVault.make(customers: 0)
        defer { test.remove() }
        let purchase = #"{"date":"2025-01-01","amount":10.00,"margin":1.00,"category":"garden"}"#
        let line = #"{"id":"c-big","purchases":["# + Array(repeating: purchase, count: 6_000).joined(separator: ",") + "]}"
        let clock = ContinuousClock()
        var refused: ImportFailure?
        let elapsed = clock.measure {
            if case .failure(let failure) = test.vault.validateImport(Data(line.utf8)) { refused = failure }
        }
        #expect(
            refused?.problems.first?.message.hasPrefix("purchases.purchases holds more than 5000 purchases") == true,
            "\(String(describing: refused))"
        )
        #expect(elapsed < .seconds(2))
        let longLine = #"{"id":"c-long","characteristics":{"name":""# + String(repeating: "x", count: 2 << 20) + #""}}"#
        guard case .failure(let failure) = test.vault.validateImport(Data(longLine.utf8)) else {
            Issue.record("a 2 MiB line was accepted")
            return
        }
        #expect(failure.problems.first?.message.hasPrefix("line is longer than") == true)
    }

    @Test(
        "vault.json must name its database as a plain file inside the vault folder",
        .enabled(if: onSQLite, "reads or edits the SQLite file itself")
    )
    func databaseNameStaysInTheFolder() async throws {
        let test = try await TestVault.make(customers: 1)
        defer { test.remove() }
        try test.vault.close()
        let url = test.folder.appendingPathComponent("vault.json")
        for bad in ["../elsewhere.sqlite", "/tmp/x.sqlite", "..", ""] {
            let text = try String(contentsOf: url, encoding: .utf8)
            let original = try #require(text.range(of: #""database" : "vault.sqlite""#))
            try text.replacingCharacters(in: original, with: #""database" : "\#(bad)""#).write(to: url, atomically: true, encoding: .utf8)
            await #expect { _ = try await test.reopen() } throws: { error in
                guard let error = error as? VaultError else { return false }
                return error.code == .badMetadata && error.message.contains("plain file name")
            }
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        _ = try await test.reopen()
    }
}
