import Foundation
import Testing
import VaultAudit
import VaultPolicy
import VaultStore

@testable import Vault

/// What an operator's import may and may not do to what customers said themselves.
@Suite("Import")
struct ImportFindingsTests {
    @Test("an upsert never replaces a consent the customer set themselves; an explicit override does, audited and counted")
    func customerConsentsSurviveUpserts() async throws {
        let test = try await TestVault.make(customers: 4)
        defer { test.remove() }
        let target = test.customers[1]
        let customer = try await test.customerPrincipal(target.id)
        try await test.vault.setMyConsent(purpose: "marketing", to: .withdrawn, by: customer)
        var reimported = target
        reimported.fields["name"] = .string("Renamed By Import")
        reimported.consents["marketing"] = .granted
        let summary = try await test.vault.importCustomers([reimported], upsert: true, by: .localOperator)
        #expect(summary.updated == 1 && summary.consentsKept == 1 && summary.consentsOverridden == 0)
        #expect(try await test.vault.myConsents(by: customer).first { $0.purpose == "marketing" }?.state == "withdrawn")

        reimported.fields["name"] = .string("Renamed Again")
        let overridden = try await test.vault.importCustomers([reimported], upsert: true, overrideCustomerConsents: true, by: .localOperator)
        #expect(overridden.consentsOverridden == 1)
        #expect(try await test.vault.myConsents(by: customer).first { $0.purpose == "marketing" }?.state == "granted")
        let auditor = try await test.principal("auditor")
        let entries = try await test.vault.auditEntries(customer: target.id, from: 0, limit: 1000, by: auditor)
        #expect(entries.contains { $0.entry.op == "consent.override" && $0.entry.reason == "operator_override" && $0.entry.purpose == "marketing" })
        let report = try await test.vault.auditReport(from: nil, to: nil, by: auditor)
        #expect(report.consentOverrides == 1)
        // The report replays the override: the customer counts as granted, as the vault now treats them.
        let granted = test.customers.filter { $0.id != target.id && $0.consents["marketing"] == .granted }.count + 1
        #expect(report.consentCoverage.first { $0.purpose == "marketing" }?.granted == granted)
    }

    @Test(
        "consent states that do not fit the purpose's legal basis, and ids of dots alone, are refused",
        arguments: [
            (#""consents":{"service":"granted"}"#, "consents.service rests on contract"),
            (#""consents":{"legal_hold":"withdrawn"}"#, "consents.legal_hold rests on legal obligation"),
            (#""consents":{"marketing":"objected"}"#, "consents.marketing rests on consent"),
            (#""consents":{"fraud_prevention":"granted"}"#, "consents.fraud_prevention rests on legitimate interest"),
        ]
    )
    func consentsFitTheBasis(consents: String, message: String) async throws {
        let test = try await TestVault.make(customers: 0)
        defer { test.remove() }
        let line = #"{"id":"c-1","characteristics":{"name":"Ada Lovelace"},"# + consents + "}"
        guard case .failure(let failure) = test.vault.validateImport(Data(line.utf8)) else {
            Issue.record("\(consents) was accepted")
            return
        }
        #expect(failure.problems.first?.message.hasPrefix(message) == true, "\(failure.problems)")
        for id in [".", "..", "..."] {
            guard case .failure = test.vault.validateImport(Data(#"{"id":"\#(id)","characteristics":{"name":"Ada Lovelace"}}"#.utf8)) else {
                Issue.record("id \(id) was accepted")
                return
            }
        }
    }

    @Test("an interrupted import can be run again: what is already there with the same content is skipped, not refused and not rewritten")
    func rerunAfterInterruption() async throws {
        let test = try await TestVault.make(customers: 0)
        defer { test.remove() }
        let generator = SyntheticCustomers(seed: 21, asOf: test.clock.now())
        let all = (0..<90).map(generator.customer)
        // The first two batches of 30 committed before the process was killed.
        _ = try await test.vault.importCustomers(Array(all.prefix(60)), by: .localOperator, batchSize: 30)
        let before = try await test.vault.storage.read { tx in try tx.auditSize() }
        let summary = try await test.vault.importCustomers(all, by: .localOperator, batchSize: 30)
        #expect(summary.inserted == 30 && summary.skipped == 60 && summary.updated == 0)
        // Only the 30 new customers were written and logged.
        let entries = try await test.vault.storage.read { tx in try tx.auditEntries(from: before, limit: 1000, customerID: nil) }
        #expect(entries.filter { (try? AuditEntry(leafBytes: Array($0.leaf)))?.op == "customer.import" }.count == 30)
    }
}

/// Staff learn nothing through a search or a review that their grants do not give them.
@Suite("Staff reach")
struct StaffReachTests {
    @Test(
        "a search answers a customer the purpose may not reach exactly like no match, logs the denial in their log, and staff reasons carry no consent times"
    )
    func lookupRevealsNothing() async throws {
        let test = try await TestVault.make(customers: 12)
        defer { test.remove() }
        let withoutConsent = try #require(test.customers.first { $0.consents["marketing"] != .granted })
        let withConsent = try #require(test.customers.first { $0.consents["marketing"] == .granted })
        let marketing = try await test.principal("marketing")
        func email(_ customer: CustomerRecord) -> String { if case .string(let text)? = customer.fields["email"] { return text } else { return "" } }

        let hidden = try await test.vault.findCustomers(by: "email", value: email(withoutConsent), purpose: "marketing", by: marketing)
        let absent = try await test.vault.findCustomers(by: "email", value: "nobody-at-all@example.org", purpose: "marketing", by: marketing)
        #expect(hidden.isEmpty && absent.isEmpty)
        let found = try await test.vault.findCustomers(by: "email", value: email(withConsent), purpose: "marketing", by: marketing)
        #expect(found.map(\.customerID) == [withConsent.id])

        let log = try await test.vault.myLog(by: try await test.customerPrincipal(withoutConsent.id))
        #expect(log.entries.contains { $0.entry.op == "customer.find" && $0.entry.decision == "deny" && $0.entry.actor == marketing.actor })

        // A direct read names the reason, but not when the customer chose.
        try await test.vault.setMyConsent(purpose: "marketing", to: .withdrawn, by: try await test.customerPrincipal(withConsent.id))
        let denied = try await test.vault.readCustomer(withConsent.id, purpose: "marketing", fields: ["email"], by: marketing)
        let reason = try #require(denied.decisions.first?.decision.reason)
        #expect(reason == "denied: purpose marketing needs consent; consent withdrawn by the customer")
        #expect(!reason.contains("20"))
    }

    @Test("only a reviewer whose role may see or write the contested field can accept the correction")
    func acceptingNeedsTheField() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        let customer = try await test.customerPrincipal(test.customers[0].id)
        // Support may not read or write `segment` under any purpose of the default policy.
        let contest = try await test.vault.openContest(field: "segment", proposedValue: "loyal", reason: "I buy every week", by: customer)
        let support = try await test.principal("support")
        await #expect { _ = try await test.vault.resolveContest(id: contest.id, resolution: .accept, reason: "fine", by: support) } throws: {
            ($0 as? VaultError)?.code == .fieldNotGranted
        }
        let auditor = try await test.principal("auditor")
        let entries = try await test.vault.auditEntries(customer: test.customers[0].id, from: 0, limit: 1000, by: auditor)
        #expect(entries.contains { $0.entry.op == "contest.accept" && $0.entry.decision == "deny" })
        // The contest stays open; a rejection, which writes nothing, is still possible.
        #expect(
            try await test.vault.resolveContest(id: contest.id, resolution: .reject, reason: "set from purchases", by: support).status == "rejected"
        )
        // A field support may write is accepted as before.
        let email = try await test.vault.openContest(field: "email", proposedValue: "new@example.org", reason: "moved", by: customer)
        #expect(try await test.vault.resolveContest(id: email.id, resolution: .accept, reason: "confirmed", by: support).status == "accepted")
    }
}

@Suite("Disclosures to staff are audited")
struct DisclosureAuditTests {
    @Test("listing contests and listing audit entries each leave an entry")
    func listingsAreAudited() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        _ = try await test.vault.openContest(
            field: "email",
            proposedValue: "new@example.org",
            reason: "moved",
            by: try await test.customerPrincipal(test.customers[0].id)
        )
        let support = try await test.principal("support")
        let auditor = try await test.principal("auditor")
        _ = try await test.vault.listContests(status: "open", by: support)
        _ = try await test.vault.auditEntries(customer: test.customers[0].id, from: 0, limit: 10, by: auditor)
        let size = try await test.vault.storage.read { tx in try tx.auditSize() }
        let recent = try await test.vault.storage.read { tx in try tx.auditEntries(from: size - 2, limit: 2, customerID: nil) }
            .map { try AuditEntry(leafBytes: Array($0.leaf)) }
        #expect(recent.map(\.op) == ["contests.list", "audit.entries"])
        #expect(recent[0].actor == support.actor && recent[0].details["returned"] == "1")
        #expect(recent[1].actor == auditor.actor && recent[1].customer == test.customers[0].id)
    }
}
