import Foundation
import Testing
@testable import Vault
import VaultPolicy
import VaultStore

/// What the review found about values that are not what they look like.
@Suite("Input hygiene")
struct InputHygieneTests {
    @Test("strings with control or bidirectional-formatting characters are refused at import, on writes and in contests", arguments: [
        "Eve\u{1B}[31m", "line\nbreak", "nul\u{0}", "right\u{202E}left", "c1\u{85}", "isolate\u{2066}x",
    ])
    func controlCharacters(value: String) async throws {
        let test = try await TestVault.make(customers: 2)
        defer { test.remove() }
        let escaped = value.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "\\u\(String(format: "%04x", $0.value))" }.joined()
        let line = #"{"id":"c-ctl","characteristics":{"name":""# + escaped + #""},"responses":{"product_interests":["garden"]}}"#
        guard case .failure(let failure) = test.vault.validateImport(Data(line.utf8)) else {
            Issue.record("a name with \(escaped) was accepted")
            return
        }
        #expect(failure.problems.first?.message == "characteristics.name contains a control or bidirectional-formatting character, which no stored text may hold")
        // The same in a list and as a map key.
        let listLine = #"{"id":"c-ctl","responses":{"product_interests":["ok",""# + escaped + #""]}}"#
        guard case .failure = test.vault.validateImport(Data(listLine.utf8)) else { Issue.record("a list item was accepted"); return }

        let support = try await test.principal("support")
        await #expect { _ = try await test.vault.updateCustomer(test.customers[0].id, purpose: "service", set: ["name": value], by: support) } throws: {
            ($0 as? VaultError)?.code == "invalid_value"
        }
        let customer = try await test.customerPrincipal(test.customers[1].id)
        await #expect { _ = try await test.vault.openContest(field: "name", proposedValue: value, reason: "typo", by: customer) } throws: {
            ($0 as? VaultError)?.code == "invalid_value"
        }
        if !value.contains("\n") {
            await #expect { _ = try await test.vault.openContest(field: "name", proposedValue: "Fine Name", reason: value, by: customer) } throws: {
                ($0 as? VaultError)?.code == "invalid_text"
            }
        }
    }

    @Test("free text keeps its line breaks")
    func reasonsKeepLineBreaks() async throws {
        let test = try await TestVault.make(customers: 1)
        defer { test.remove() }
        let customer = try await test.customerPrincipal(test.customers[0].id)
        let contest = try await test.vault.openContest(field: "name", proposedValue: "Fine Name", reason: "first line\nsecond line\tend", by: customer)
        #expect(contest.status == "open")
    }
}
