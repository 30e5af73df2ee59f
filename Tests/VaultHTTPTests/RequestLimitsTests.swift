import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Vault

@testable import VaultHTTP

/// Requests that are valid-looking but not what they seem, or larger than any real one.
@Suite struct RequestLimitsTests {
    @Test("a JSON body naming a member twice is a 400, not silently its last value")
    func duplicateKeys() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let twice = try await client.call(
                .post,
                "/v1/me/contests",
                token: fixture.tokens["customer"]!,
                json: #"{"field":"postcode","value":"AB1 2CD","field":"email","reason":"moved"}"#
            )
            #expect(twice.status == .badRequest)
            #expect(twice.object["code"] as? String == "invalid_body")
            #expect((twice.object["detail"] as? String)?.contains("appears twice") == true)
            let consent = try await client.call(
                .put,
                "/v1/me/consents/marketing",
                token: fixture.tokens["customer"]!,
                json: #"{"state":"withdrawn","state":"granted"}"#
            )
            #expect(consent.status == .badRequest)
        }
        // Nothing was opened or changed.
        let customer = try await fixture.vault.authenticate(token: fixture.tokens["customer"]!)
        #expect(try await fixture.vault.myContests(by: customer).isEmpty)
    }

    @Test("a fields list is capped and names each field once")
    func fieldListsAreCapped() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        let id = fixture.customers[0].id
        try await fixture.app.test(.router) { client in
            let many = (0..<65).map { "f\($0)" }.joined(separator: ",")
            let tooMany = try await client.call(.get, "/v1/customers/\(id)?purpose=service&fields=\(many)", token: fixture.tokens["support"]!)
            #expect(tooMany.status == .unprocessableContent && tooMany.object["code"] as? String == "bad_fields")
            let repeated = try await client.call(.get, "/v1/customers/\(id)?purpose=service&fields=name,name", token: fixture.tokens["support"]!)
            #expect(repeated.status == .unprocessableContent)
            #expect(
                try await client.call(.get, "/v1/customers/\(id)?purpose=service&fields=name,email", token: fixture.tokens["support"]!).status == .ok
            )
        }
    }
}
