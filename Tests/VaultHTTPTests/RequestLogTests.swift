import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Vault

@testable import VaultHTTP

/// One line per request, with the route pattern and no values, ids, query strings or bodies.
@Suite struct RequestLogTests {
    @Test func eachRequestLogsOneLineWithoutValues() async throws {
        let fixture = try await TestVault.make(customers: 3)
        defer { fixture.remove() }
        let target = fixture.customers[1]
        guard case .string(let email)? = target.fields["email"] else {
            Issue.record("no e-mail")
            return
        }
        let encoded = email.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let requests: [(HTTPRequest.Method, String, String?, String?, String)] = [
            (.get, "/v1/customers/\(target.id)?purpose=service", fixture.tokens["support"], nil, "/v1/customers/{id}"),
            (.get, "/v1/customers?email=\(encoded)&purpose=service", fixture.tokens["support"], nil, "/v1/customers"),
            (
                .patch, "/v1/customers/\(target.id)?purpose=service", fixture.tokens["support"], #"{"set":{"postcode":"QQ1 1QQ"}}"#,
                "/v1/customers/{id}"
            ),
            (.get, "/v1/me", fixture.tokens["customer"], nil, "/v1/me"),
            (
                .post, "/v1/me/contests", fixture.tokens["customer"], #"{"field":"name","value":"Secret Name","reason":"Secret reason"}"#,
                "/v1/me/contests"
            ),
            (.get, "/v1/customers/\(target.id)?purpose=marketing", fixture.tokens["analyst"], nil, "/v1/customers/{id}"),
            (.get, "/v1/me", "cvt_bogus", nil, "/v1/me"),
            (.put, "/v1/me", fixture.tokens["customer"], nil, "unmatched"),  // a 405: no route has this method
            (.get, "/v1/\(target.id)", nil, nil, "unmatched"),
        ]
        let requestIDs = try await fixture.app.test(.router) { client in
            var ids: [String] = []
            for (method, uri, token, body, _) in requests {
                let response = try await client.call(method, uri, token: token, json: body)
                ids.append(try #require(response.headers[RequestLogMiddleware.requestIDHeader]))
            }
            return ids
        }
        let lines = fixture.log.all.filter { $0.contains(" request ") }
        #expect(lines.count == requests.count)
        for ((method, _, _, _, route), (line, id)) in zip(requests, zip(lines, requestIDs)) {
            #expect(line.hasPrefix("info request "), "\(line)")
            #expect(line.contains("http.method=\(method.rawValue)"), "\(line)")
            #expect(line.contains("http.route=\(route) "), "\(line)")
            #expect(line.contains("hb.request.id=\(id)"), "\(line)")
            #expect(line.range(of: #"http.status=\d{3}"#, options: .regularExpression) != nil, "\(line)")
            #expect(line.range(of: #"duration_us=\d+"#, options: .regularExpression) != nil, "\(line)")
            #expect(!line.contains(target.id) && !line.contains("purpose=") && !line.contains("?"), "\(line)")
        }
        let secrets = fixture.customerValues + [email, encoded, "QQ1 1QQ", "Secret Name", "Secret reason"] + fixture.tokens.values
        for line in fixture.log.all {
            for secret in secrets { #expect(!line.contains(secret), "a log line holds a value: \(line)") }
        }
    }
}
