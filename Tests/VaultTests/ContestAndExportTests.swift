import Foundation
import Testing
import VaultPolicy
import VaultStore

@testable import Vault

@Suite("Contests and exports")
struct ContestAndExportTests {
    @Test("a contest's life: open → restricted while disputed → reviewed → accepted and applied, every step audited")
    func contestAccepted() async throws {
        let test = try await TestVault.make(customers: 6)
        defer { test.remove() }
        let id = test.customers.first { $0.consents["analytics"] == .granted }!.id
        let customer = try await test.customerPrincipal(id)
        let marketing = try await test.principal("marketing")
        let support = try await test.principal("support")
        let auditor = try await test.principal("auditor")
        try await test.vault.setMyConsent(purpose: "marketing", to: .granted, by: customer)

        let contest = try await test.vault.openContest(
            field: "email",
            proposedValue: "new.address@example.org",
            reason: "I moved providers",
            by: customer
        )
        #expect(contest.status == "open")
        #expect(contest.deadline == test.clock.now().addingTimeInterval(30 * 86_400))

        // Marketing is restricted on the disputed field; other fields and service are not.
        let restricted = try await test.vault.readCustomer(id, purpose: "marketing", fields: ["email", "name"], by: marketing)
        #expect(restricted.decisions.first { $0.field == "email" }?.decision.code == .restrictedWhileDisputed)
        #expect(restricted.values["name"] != nil)
        #expect(try await test.vault.readCustomer(id, purpose: "service", fields: ["email"], by: support).anyAllowed)
        // A second contest on the same field is refused while one is pending.
        await #expect(throws: VaultError.self) {
            _ = try await test.vault.openContest(field: "email", proposedValue: "x.y@example.org", reason: "again", by: customer)
        }
        // Staff see it listed without values, and open it (audited) to see the proposal.
        let listed = try await test.vault.listContests(status: "open", by: support)
        #expect(listed.map(\.id) == [contest.id] && listed[0].proposedValue == nil)
        let reviewed = try await test.vault.reviewContest(id: contest.id, by: support)
        #expect(reviewed.proposedValue == .string("new.address@example.org"))
        // Marketing staff may not resolve contests.
        await #expect(throws: VaultError.self) {
            _ = try await test.vault.resolveContest(id: contest.id, resolution: .accept, reason: "ok", by: marketing)
        }
        let accepted = try await test.vault.resolveContest(id: contest.id, resolution: .accept, reason: "confirmed by phone", by: support)
        #expect(accepted.status == "accepted")

        let after = try await test.vault.readCustomer(id, purpose: "marketing", fields: ["email"], by: marketing)
        #expect(after.values["email"] == .string("new.address@example.org"))
        // The corrected value is findable through the blind index; the old one no longer is.
        #expect(
            try await test.vault.findCustomers(by: "email", value: "NEW.address@example.org ", purpose: "service", by: support).map(\.customerID) == [
                id
            ]
        )
        let old = test.customers.first { $0.id == id }!.fields["email"]!.description
        #expect(try await test.vault.findCustomers(by: "email", value: old, purpose: "service", by: support).isEmpty)

        let ops = try await test.vault.auditEntries(customer: id, from: 0, limit: 1000, by: auditor).map(\.entry.op)
        for op in ["contest.open", "contest.review", "contest.apply", "contest.accept"] { #expect(ops.contains(op), "\(op) is audited") }
        let mine = try await test.vault.myContests(by: customer)
        #expect(mine.first?.resolution == "confirmed by phone")
    }

    @Test("reviewing a contest on a field the reviewer's role is not granted withholds the proposal")
    func reviewWithholdsUngrantedField() async throws {
        let test = try await TestVault.make(customers: 2)
        defer { test.remove() }
        let customer = try await test.customerPrincipal(test.customers[0].id)
        let support = try await test.principal("support")
        let auditor = try await test.principal("auditor")
        // The default policy lets support read email under `service`, but birth_year under no purpose.
        let email = try await test.vault.openContest(field: "email", proposedValue: "fresh@example.org", reason: "moved", by: customer)
        let birthYear = try await test.vault.openContest(field: "birth_year", proposedValue: "1979", reason: "born in 1979", by: customer)
        #expect(try await test.vault.reviewContest(id: email.id, by: support).proposedValue == .string("fresh@example.org"))
        let withheld = try await test.vault.reviewContest(id: birthYear.id, by: support)
        #expect(withheld.proposedValue == nil && withheld.reason == nil)
        #expect(withheld.field == "birth_year" && withheld.status == "open")
        let reviews = try await test.vault.auditEntries(customer: customer.subject, from: 0, limit: 1000, by: auditor)
            .map(\.entry).filter { $0.op == "contest.review" }
        #expect(reviews.map(\.reason) == ["allowed_contest_review", "contest_review_value_withheld"])
        #expect(reviews.map(\.fields) == [["email"], []])
    }

    @Test("rejection carries a reason the customer sees; a question reopens on reply; withdrawal ends it")
    func contestRejectedAndWithdrawn() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        let id = test.customers[0].id
        let customer = try await test.customerPrincipal(id)
        let support = try await test.principal("support")
        let first = try await test.vault.openContest(field: "name", proposedValue: "Someone Else", reason: "typo", by: customer)
        let asked = try await test.vault.resolveContest(id: first.id, resolution: .requestInfo, reason: "please send proof of your name", by: support)
        #expect(asked.status == "info_requested")
        #expect(try await test.vault.myContests(by: customer).first?.resolution == "please send proof of your name")
        let replied = try await test.vault.updateMyContest(id: first.id, withdraw: false, reply: "see my passport scan", by: customer)
        #expect(replied.status == "open" && replied.reason?.contains("see my passport scan") == true)
        let rejected = try await test.vault.resolveContest(
            id: first.id,
            resolution: .reject,
            reason: "the passport shows the current spelling",
            by: support
        )
        #expect(rejected.status == "rejected")
        #expect(
            try await test.vault.readCustomer(id, purpose: "service", fields: ["name"], by: support).values["name"]
                == test.customers[0].fields["name"]
        )
        await #expect(throws: VaultError.self) {
            _ = try await test.vault.resolveContest(id: first.id, resolution: .accept, reason: "changed my mind", by: support)
        }
        let second = try await test.vault.openContest(field: "name", proposedValue: "Another Name", reason: "try again", by: customer)
        let withdrawn = try await test.vault.updateMyContest(id: second.id, withdraw: true, reply: nil, by: customer)
        #expect(withdrawn.status == "withdrawn")
        // Another customer cannot see or touch it.
        let stranger = try await test.customerPrincipal(test.customers[1].id)
        await #expect(throws: VaultError.notFound("contest \(second.id)")) {
            _ = try await test.vault.updateMyContest(id: second.id, withdraw: true, reply: nil, by: stranger)
        }
        // An invalid proposed value is refused without echoing it.
        do {
            _ = try await test.vault.openContest(field: "birth_year", proposedValue: "not-a-year-4711", reason: "x", by: customer)
            Issue.record("an invalid value must be refused")
        } catch let error as VaultError {
            #expect(!error.message.contains("4711"))
        }
    }

    @Test("an export verifies offline, and any change to it is detected")
    func exportRoundTrip() async throws {
        let test = try await TestVault.make(customers: 4)
        defer { test.remove() }
        let id = test.customers[1].id
        let customer = try await test.customerPrincipal(id)
        let support = try await test.principal("support")
        _ = try await test.vault.readCustomer(id, purpose: "service", fields: ["email"], by: support)
        _ = try await test.vault.openContest(field: "phone", proposedValue: "+44 7700 123456", reason: "new phone", by: customer)
        let export = try await test.vault.exportMine(by: customer)
        let verified = Vault.verifyExport(export, pinnedPublicKey: test.vault.verifierKey.publicKeyBase64)
        #expect(verified.ok, "\(verified.problems)")
        #expect(verified.customer == id)
        #expect(verified.entriesVerified >= 4)
        let text = String(decoding: export, as: UTF8.self)
        #expect(text.contains(test.customers[1].fields["email"]!.description))

        // Change one character of the profile: the signature fails.
        let tampered = text.replacingOccurrences(of: test.customers[1].fields["name"]!.description, with: "Mallory Example")
        #expect(!Vault.verifyExport(Data(tampered.utf8), pinnedPublicKey: test.vault.verifierKey.publicKeyBase64).ok)
        // Another key is refused when a key is pinned.
        #expect(!Vault.verifyExport(export, pinnedPublicKey: "AAAA").ok)
        // Not an export at all.
        #expect(!Vault.verifyExport(Data("{}".utf8), pinnedPublicKey: test.vault.verifierKey.publicKeyBase64).ok)
    }

    @Test("an export or receipt made by someone else's vault never passes unpinned, and fails against the real vault's key")
    func forgeriesNeedAPinnedKey() async throws {
        let real = try await TestVault.make(customers: 3)
        let forger = try await TestVault.make(customers: 3)
        defer {
            real.remove()
            forger.remove()
        }
        // The forger runs a vault of their own and exports "the customer" from it: self-consistent, own key.
        let forged = try await forger.vault.exportMine(by: try await forger.customerPrincipal(forger.customers[0].id))
        let unpinned = Vault.verifyExport(forged, pinnedPublicKey: nil)
        #expect(!unpinned.ok && !unpinned.pinned && unpinned.problems.contains { $0.hasPrefix("UNPINNED") })
        #expect(!Vault.verifyExport(forged, pinnedPublicKey: real.vault.verifierKey.publicKeyBase64).ok)

        let receipt = try await forger.vault.eraseMe(confirm: true, by: try await forger.customerPrincipal(forger.customers[1].id))
        let data = try JSONEncoder().encode(receipt)
        #expect(Vault.verifyReceipt(data, pinnedPublicKey: forger.vault.verifierKey.publicKeyBase64).ok)
        let receiptUnpinned = Vault.verifyReceipt(data, pinnedPublicKey: nil)
        #expect(!receiptUnpinned.ok && receiptUnpinned.problems.contains { $0.hasPrefix("UNPINNED") })
        #expect(!Vault.verifyReceipt(data, pinnedPublicKey: real.vault.verifierKey.publicKeyBase64).ok)
        // An edited statement fails even against the right key.
        let edited = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "key_epoch", with: "key_epocH")
        #expect(!Vault.verifyReceipt(Data(edited.utf8), pinnedPublicKey: forger.vault.verifierKey.publicKeyBase64).ok)
    }
}
