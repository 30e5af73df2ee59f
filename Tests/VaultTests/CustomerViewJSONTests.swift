import Foundation
import Testing
import VaultPolicy

@testable import Vault

/// The API's customer bodies are written directly (`CustomerView.json`) instead of through
/// `JSONEncoder`: they must say exactly what the encoder said.
@Suite("Customer JSON")
struct CustomerViewJSONTests {
    /// What the API answered before: the view through `JSONEncoder` (`FieldValue`'s `Encodable`).
    private struct Encoded: Encodable {
        struct Denial: Encodable {
            let field: String
            let code: String
            let reason: String
        }
        let customer: String
        let purpose: String?
        let values: [String: FieldValue]
        let denied: [Denial]

        init(_ view: CustomerView) {
            customer = view.customerID
            purpose = view.purpose
            values = view.values
            denied = view.decisions.filter { !$0.allowed }.map {
                Denial(field: $0.field, code: $0.decision.code.rawValue, reason: $0.decision.reason)
            }
        }
    }

    private func parsed(_ json: some DataProtocol) throws -> NSObject {
        try #require(try JSONSerialization.jsonObject(with: Data(json)) as? NSObject)
    }

    @Test("a profile with quotes, slashes, non-Latin text, odd cents and denials reads the same as through JSONEncoder")
    func sameAsTheEncoder() async throws {
        let test = try await TestVault.make(customers: 0)
        defer { test.remove() }
        var record = SyntheticCustomers(seed: 5, asOf: test.clock.now()).customer(0)
        record.fields["name"] = .string("Zoë \"Q\" O'Brien \\ / </script> 😀 漢字 e\u{301}")
        record.fields["category_spend"] = .decimalMap(["garden": 4990, "toys": 5000, "beauty": 5, "sports": 123_456_789_012, "grocery": 0])
        record.fields["product_interests"] = .stringList(["a\"b", "c\\d", ""])
        if case .purchases(var purchases)? = record.fields["purchases"], !purchases.isEmpty {
            purchases[0].marginCents = -1_05
            purchases[0].amountCents = 1
            record.fields["purchases"] = .purchases(purchases)
        }
        _ = try await test.vault.importCustomers([record], by: .localOperator)

        let mine = try await test.vault.myProfile(by: try await test.customerPrincipal(record.id))
        let support = try await test.principal("support")
        let staff = try await test.vault.readCustomer(
            record.id,
            purpose: "service",
            fields: ["name", "email", "category_spend", "purchases"],
            by: support
        )
        #expect(staff.decisions.contains { !$0.allowed }, "the staff read should carry denials for this check to cover them")
        #expect(mine.values.count > 5)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for view in [mine, staff] {
            let direct = try parsed(view.json)
            let encoded = try parsed(try encoder.encode(Encoded(view)))
            #expect(direct == encoded)
        }
        let direct = try parsed(CustomerView.json([mine, staff]))
        let encoded = try parsed(try encoder.encode([Encoded(mine), Encoded(staff)]))
        #expect(direct == encoded)
        #expect(CustomerView.json([]) == Array("[]".utf8))
        #expect(
            !String(decoding: mine.json, as: UTF8.self).contains("\"purpose\""),
            "a customer's own read has no purpose, and the key is left out as before"
        )
    }
}
