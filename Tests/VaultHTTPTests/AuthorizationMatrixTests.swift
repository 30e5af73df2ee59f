import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Vault
import VaultPolicy
import VaultStore

@testable import VaultHTTP

/// Every route × every role (and no token): the role and subject come from the token alone, and
/// the policy's answer reaches the client as the documented status.
@Suite struct AuthorizationMatrixTests {
    /// One concrete request per route, with the status each caller must get.
    struct Probe {
        let method: HTTPRequest.Method
        let template: String
        let uri: String
        let body: String?
        /// By caller: `customer`, each staff role, and `none` (no token).
        let expected: [String: HTTPResponse.Status]
    }

    static let callers = ["customer"] + TestVault.staffRoles + ["none"]

    /// `allowed` callers get their status; other token holders get `otherwise`; no token gets 401
    /// (except on open routes).
    static func expect(
        _ allowed: [String: HTTPResponse.Status],
        otherwise: HTTPResponse.Status = .forbidden,
        open: Bool = false
    ) -> [String: HTTPResponse.Status] {
        var table: [String: HTTPResponse.Status] = [:]
        for caller in callers { table[caller] = allowed[caller] ?? (caller == "none" ? (open ? .ok : .unauthorized) : otherwise) }
        return table
    }

    static func probes(other: CustomerRecord, contestID: String) -> [Probe] {
        let id = other.id
        guard case .string(let email)? = other.fields["email"] else { preconditionFailure("synthetic customers have an e-mail") }
        let encoded = email.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        return [
            Probe(method: .get, template: "/v1/me", uri: "/v1/me", body: nil, expected: expect(["customer": .ok])),
            Probe(method: .get, template: "/v1/me/log", uri: "/v1/me/log", body: nil, expected: expect(["customer": .ok])),
            Probe(method: .get, template: "/v1/me/export", uri: "/v1/me/export", body: nil, expected: expect(["customer": .ok])),
            Probe(method: .get, template: "/v1/me/consents", uri: "/v1/me/consents", body: nil, expected: expect(["customer": .ok])),
            Probe(
                method: .get,
                template: "/v1/me/consents/{purpose}",
                uri: "/v1/me/consents/marketing",
                body: nil,
                expected: expect(["customer": .ok])
            ),
            Probe(
                method: .put,
                template: "/v1/me/consents/{purpose}",
                uri: "/v1/me/consents/marketing",
                body: #"{"state":"granted"}"#,
                expected: expect(["customer": .noContent])
            ),
            Probe(method: .get, template: "/v1/me/contests", uri: "/v1/me/contests", body: nil, expected: expect(["customer": .ok])),
            Probe(
                method: .post,
                template: "/v1/me/contests",
                uri: "/v1/me/contests",
                body: #"{"field":"postcode","value":"ZZ9 9ZZ","reason":"moved"}"#,
                expected: expect(["customer": .created])
            ),
            // A customer token naming another customer's id finds nothing there.
            Probe(
                method: .get,
                template: "/v1/customers/{id}",
                uri: "/v1/customers/\(id)?purpose=service",
                body: nil,
                expected: expect(["support": .ok, "customer": .notFound])
            ),
            Probe(
                method: .patch,
                template: "/v1/customers/{id}",
                uri: "/v1/customers/\(id)?purpose=service",
                body: #"{"set":{"preferred_channel":"post"}}"#,
                expected: expect(["support": .ok, "customer": .notFound])
            ),
            Probe(
                method: .get,
                template: "/v1/customers",
                uri: "/v1/customers?email=\(encoded)&purpose=service",
                body: nil,
                expected: expect(["support": .ok])
            ),
            Probe(method: .get, template: "/v1/contests", uri: "/v1/contests", body: nil, expected: expect(["support": .ok])),
            // The contest belongs to another customer: this customer's token finds nothing there.
            Probe(
                method: .patch,
                template: "/v1/me/contests/{id}",
                uri: "/v1/me/contests/\(contestID)",
                body: #"{"withdraw":true}"#,
                expected: expect(["customer": .notFound])
            ),
            Probe(method: .get, template: "/v1/contests/{id}", uri: "/v1/contests/\(contestID)", body: nil, expected: expect(["support": .ok])),
            Probe(
                method: .post,
                template: "/v1/contests/{id}/resolution",
                uri: "/v1/contests/\(contestID)/resolution",
                body: #"{"resolution":"request_info","reason":"please send a bill"}"#,
                expected: expect(["support": .ok])
            ),
            Probe(
                method: .get,
                template: "/v1/audit/checkpoint",
                uri: "/v1/audit/checkpoint",
                body: nil,
                expected: expect(["auditor": .ok, "customer": .ok])
            ),
            Probe(
                method: .get,
                template: "/v1/audit/entries",
                uri: "/v1/audit/entries?limit=5",
                body: nil,
                expected: expect(["auditor": .ok, "customer": .ok])
            ),
            // Entry 0 (the vault's creation) is about no customer: a customer token cannot see it.
            Probe(
                method: .get,
                template: "/v1/audit/proofs/inclusion",
                uri: "/v1/audit/proofs/inclusion?entry=0",
                body: nil,
                expected: expect(["auditor": .ok, "customer": .notFound])
            ),
            Probe(
                method: .get,
                template: "/v1/audit/proofs/consistency",
                uri: "/v1/audit/proofs/consistency?from=1",
                body: nil,
                expected: expect(["auditor": .ok, "customer": .ok])
            ),
            Probe(method: .get, template: "/v1/audit/report", uri: "/v1/audit/report", body: nil, expected: expect(["auditor": .ok])),
            Probe(
                method: .post,
                template: "/v1/aggregates",
                uri: "/v1/aggregates",
                body: #"{"measures":["count"],"epsilon":0.1}"#,
                expected: expect(["analyst": .ok])
            ),
            Probe(method: .get, template: "/v1/budget", uri: "/v1/budget", body: nil, expected: expect(["analyst": .ok])),
            Probe(method: .get, template: "/healthz", uri: "/healthz", body: nil, expected: expect([:], otherwise: .ok, open: true)),
            Probe(method: .get, template: "/openapi.yaml", uri: "/openapi.yaml", body: nil, expected: expect([:], otherwise: .ok, open: true)),
            // Only marketing reads under personalization, and only while the customer's consent holds.
            Probe(
                method: .get,
                template: "/v1/customers/{id}/next-best-product",
                uri: "/v1/customers/\(id)/next-best-product?purpose=personalization",
                body: nil,
                expected: expect(["marketing": other.consents["personalization"] == .granted ? .ok : .forbidden, "customer": .notFound])
            ),
            Probe(
                method: .get,
                template: "/v1/me/next-best-product",
                uri: "/v1/me/next-best-product",
                body: nil,
                expected: expect(["customer": .ok])
            ),
            // Last: erasure revokes the customer's token.
            Probe(method: .delete, template: "/v1/me", uri: "/v1/me", body: #"{"confirm":true}"#, expected: expect(["customer": .ok])),
        ]
    }

    @Test func everyRouteAnswersEveryRoleAsThePolicySays() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        let other = fixture.customers[1]
        let contest = try await fixture.vault.openContest(
            field: "name",
            proposedValue: "Somebody Else",
            reason: "misspelt",
            by: try await fixture.vault.authenticate(token: fixture.tokens["other"]!)
        )
        _ = try await fixture.vault.trainModel(epsilon: nil, by: .localOperator)
        let probes = Self.probes(other: other, contestID: contest.id)
        let table = VaultAPI(vault: fixture.vault).routes.map { "\($0.method.rawValue) \($0.path)" }
        #expect(Set(probes.map { "\($0.method.rawValue) \($0.template)" }) == Set(table), "the matrix covers every route")
        #expect(probes.count == table.count)

        try await fixture.app.test(.router) { client in
            for probe in probes {
                for caller in Self.callers {
                    let token = caller == "none" ? nil : fixture.tokens[caller]!
                    let response = try await client.call(probe.method, probe.uri, token: token, json: probe.body)
                    let expected = probe.expected[caller]!
                    #expect(response.status == expected, "\(probe.method) \(probe.uri) as \(caller): \(response.text)")
                    if response.status.code >= 400 {
                        #expect(response.headers[.contentType] == "application/problem+json")
                        #expect(response.object["status"] as? Int == expected.code)
                        #expect((response.object["code"] as? String)?.isEmpty == false)
                    }
                    if response.status == .unauthorized {
                        #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                    }
                }
            }
        }
    }

    @Test func expiredRevokedMalformedAndMissingTokensAnswer401() async throws {
        let fixture = try await TestVault.make(customers: 2)
        defer { fixture.remove() }
        let vault = fixture.vault
        let customer = fixture.customers[0].id
        let expiring = try await vault.issueToken(role: "customer", customerID: customer, name: nil, expiresIn: "PT1H", by: .localOperator)
        let revoked = try await vault.issueToken(role: "support", customerID: nil, name: "leaver", expiresIn: nil, by: .localOperator)
        try await vault.revokeToken(revoked.id, by: .localOperator)

        try await fixture.app.test(.router) { client in
            #expect(try await client.call(.get, "/v1/me", token: expiring.secret).status == .ok)
            fixture.clock.advance(by: 3601)
            let cases: [(token: String?, route: String, code: String, challenge: String)] = [
                (expiring.secret, "/v1/me", "expired_token", #"Bearer realm="cvault", error="invalid_token""#),
                (revoked.secret, "/v1/customers/\(customer)?purpose=service", "revoked_token", #"Bearer realm="cvault", error="invalid_token""#),
                ("cvt_not-a-real-token", "/v1/contests", "malformed_token", #"Bearer realm="cvault", error="invalid_token""#),
                ("cvt_" + String(repeating: "A", count: 43), "/v1/budget", "unknown_token", #"Bearer realm="cvault", error="invalid_token""#),
                (nil, "/v1/audit/report", "unauthenticated", #"Bearer realm="cvault""#),
            ]
            for item in cases {
                let response = try await client.call(.get, item.route, token: item.token)
                #expect(response.status == .unauthorized, "\(item.route)")
                #expect(response.object["code"] as? String == item.code)
                #expect(response.headers[.wwwAuthenticate] == item.challenge)
            }
            // Another scheme is no bearer token.
            let basic = try await client.call(.get, "/v1/me", headers: [.authorization: "Basic dXNlcjpwYXNz"])
            #expect(basic.status == .unauthorized)
            #expect(basic.object["code"] as? String == "unauthenticated")
        }
    }
}
