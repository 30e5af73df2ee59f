import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Vault

@testable import VaultHTTP

/// Every 4xx is an RFC 9457 problem with a stable code, and says nothing about customers' values.
@Suite struct ErrorShapeTests {
    /// Checks the problem shape and returns its body.
    @discardableResult
    static func problem(
        _ response: TestResponse,
        _ status: HTTPResponse.Status,
        code: VaultError.Code,
        fixture: TestVault,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> [String: Any] {
        let body = response.object
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        #expect(body["status"] as? Int == status.code, sourceLocation: sourceLocation)
        #expect(body["title"] as? String == status.reasonPhrase, sourceLocation: sourceLocation)
        #expect(body["code"] as? String == code.rawValue, sourceLocation: sourceLocation)
        #expect(body["type"] as? String == "https://customervault.local/problems/\(code)", sourceLocation: sourceLocation)
        #expect((body["detail"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        for value in fixture.customerValues {
            #expect(!response.text.contains(value), "a problem body quotes a customer value", sourceLocation: sourceLocation)
        }
        return body
    }

    @Test func badRequestsNameThePointerOfTheProblem() async throws {
        let fixture = try await TestVault.make(customers: 2)
        defer { fixture.remove() }
        let customer = fixture.tokens["customer"]!
        let cases: [(HTTPRequest.Method, String, String, String)] = [
            (.put, "/v1/me/consents/marketing", #"{"state":"#, ""),
            (.put, "/v1/me/consents/marketing", #"{"state":"granted","note":"hi"}"#, "/note"),
            (.put, "/v1/me/consents/marketing", #"{"state":"maybe"}"#, "/state"),
            (.put, "/v1/me/consents/marketing", #"["granted"]"#, ""),
            (.delete, "/v1/me", #"{"confirm":"yes"}"#, "/confirm"),
            (.delete, "/v1/me", #"{}"#, "/confirm"),
            (.delete, "/v1/me", #"{"confirm":false}"#, "/confirm"),
            (.post, "/v1/me/contests", #"{"field":"name","value":"X"}"#, "/reason"),
            (.post, "/v1/me/contests", #"{"field":"name","value":"X","reason":null}"#, "/reason"),
        ]
        try await fixture.app.test(.router) { client in
            for (method, uri, body, pointer) in cases {
                let response = try await client.call(method, uri, token: customer, json: body)
                let problem = Self.problem(response, .badRequest, code: .invalidBody, fixture: fixture)
                #expect(problem["pointer"] as? String == pointer, "\(body)")
            }
            let analyst = fixture.tokens["analyst"]!
            let nested = try await client.call(.post, "/v1/aggregates", token: analyst, json: #"{"measures":["count",7]}"#)
            #expect(Self.problem(nested, .badRequest, code: .invalidBody, fixture: fixture)["pointer"] as? String == "/measures/1")
            let escaped = try await client.call(.post, "/v1/aggregates", token: analyst, json: #"{"measures":["count"],"a/b~c":1}"#)
            #expect(Self.problem(escaped, .badRequest, code: .invalidBody, fixture: fixture)["pointer"] as? String == "/a~1b~0c")

            // Query parameters are checked too, and the facade's own refusals keep their codes.
            let support = fixture.tokens["support"]!
            let id = fixture.customers[1].id
            Self.problem(
                try await client.call(.get, "/v1/customers/\(id)?purpse=service", token: support),
                .badRequest,
                code: .invalidQuery,
                fixture: fixture
            )
            Self.problem(try await client.call(.get, "/v1/customers/\(id)", token: support), .badRequest, code: .invalidQuery, fixture: fixture)
            Self.problem(
                try await client.call(.get, "/v1/audit/entries?limit=-1", token: fixture.tokens["auditor"]!),
                .badRequest,
                code: .invalidQuery,
                fixture: fixture
            )
            // A request of the right shape that the policy cannot carry out is a 422.
            Self.problem(
                try await client.call(.put, "/v1/me/consents/service", token: customer, json: #"{"state":"granted"}"#),
                .unprocessableContent,
                code: .basisNotConsent,
                fixture: fixture
            )
        }
    }

    @Test func forbiddenReadsCarryEveryFieldsReason() async throws {
        let fixture = try await TestVault.make(customers: 2)
        defer { fixture.remove() }
        let id = fixture.customers[1].id
        try await fixture.app.test(.router) { client in
            let response = try await client.call(.get, "/v1/customers/\(id)?purpose=service&fields=name,email", token: fixture.tokens["marketing"]!)
            let problem = Self.problem(response, .forbidden, code: .init(rawValue: "role_not_permitted_purpose"), fixture: fixture)
            let denied = try #require(problem["denied"] as? [[String: Any]])
            #expect(denied.map { $0["field"] as? String } == ["name", "email"])
            for denial in denied {
                #expect((denial["reason"] as? String)?.contains("marketing") == true, "\(denial)")
                #expect(denial["code"] as? String == "role_not_permitted_purpose")
            }
            // An analyst never reaches a row; the reason says why.
            let analyst = try await client.call(.get, "/v1/customers/\(id)?purpose=analytics", token: fixture.tokens["analyst"]!)
            #expect(
                (Self.problem(analyst, .forbidden, code: .init(rawValue: "aggregate_only"), fixture: fixture)["detail"] as? String)?
                    .contains("reads aggregates only") == true
            )
            // A role without the operation is refused by the facade, with the policy's reason.
            let operatorResponse = try await client.call(.get, "/v1/contests", token: fixture.tokens["operator"]!)
            #expect(
                (Self.problem(operatorResponse, .forbidden, code: .init(rawValue: "operation_not_permitted"), fixture: fixture)["detail"] as? String)?
                    .contains("operator") == true
            )
        }
    }

    @Test func notFoundMethodNotAllowedConflictAndGone() async throws {
        let fixture = try await TestVault.make(customers: 3)
        defer { fixture.remove() }
        let customer = fixture.tokens["customer"]!
        let support = fixture.tokens["support"]!
        let me = fixture.customers[0].id
        try await fixture.app.test(.router) { client in
            Self.problem(
                try await client.call(.get, "/v1/customers/\(fixture.customers[2].id)?purpose=service", token: customer),
                .notFound,
                code: .notFound,
                fixture: fixture
            )
            Self.problem(
                try await client.call(.get, "/v1/customers/c-9999999?purpose=service", token: support),
                .notFound,
                code: .notFound,
                fixture: fixture
            )
            Self.problem(try await client.call(.get, "/v1/nothing-here", token: support), .notFound, code: .noRoute, fixture: fixture)
            Self.problem(
                try await client.call(.get, "/v1/me/consents/astrology", token: customer),
                .notFound,
                code: .unknownPurpose,
                fixture: fixture
            )

            let wrong = try await client.call(.put, "/v1/me", token: customer)
            Self.problem(wrong, .methodNotAllowed, code: .methodNotAllowed, fixture: fixture)
            #expect(wrong.headers[.allow] == "GET, DELETE")
            let post = try await client.call(.post, "/healthz")
            Self.problem(post, .methodNotAllowed, code: .methodNotAllowed, fixture: fixture)
            #expect(post.headers[.allow] == "GET")

            let contest = #"{"field":"postcode","value":"ZZ9 9ZZ","reason":"moved"}"#
            #expect(try await client.call(.post, "/v1/me/contests", token: customer, json: contest).status == .created)
            Self.problem(
                try await client.call(.post, "/v1/me/contests", token: customer, json: contest),
                .conflict,
                code: .alreadyContested,
                fixture: fixture
            )

            #expect(try await client.call(.delete, "/v1/me", token: customer, json: #"{"confirm":true}"#).status == .ok)
            Self.problem(
                try await client.call(.get, "/v1/customers/\(me)?purpose=service", token: support),
                .gone,
                code: .customerErased,
                fixture: fixture
            )
            Self.problem(
                try await client.call(.patch, "/v1/customers/\(me)?purpose=service", token: support, json: #"{"set":{"region":"north"}}"#),
                .gone,
                code: .customerErased,
                fixture: fixture
            )
        }
    }

    @Test func bodiesMustBeSmallJSON() async throws {
        let fixture = try await TestVault.make(customers: 2)
        defer { fixture.remove() }
        let customer = fixture.tokens["customer"]!
        try await fixture.app.test(.router) { client in
            let reason = String(repeating: "x", count: 70 * 1024)
            let large = #"{"field":"name","value":"X","reason":"\#(reason)"}"#
            Self.problem(
                try await client.call(.post, "/v1/me/contests", token: customer, json: large),
                .contentTooLarge,
                code: .bodyTooLarge,
                fixture: fixture
            )
            for type in ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"] {
                Self.problem(
                    try await client.call(
                        .put,
                        "/v1/me/consents/marketing",
                        token: customer,
                        json: #"{"state":"granted"}"#,
                        headers: [.contentType: type]
                    ),
                    .unsupportedMediaType,
                    code: .unsupportedMediaType,
                    fixture: fixture
                )
            }
            Self.problem(
                try await client.call(.delete, "/v1/me", token: customer),
                .unsupportedMediaType,
                code: .unsupportedMediaType,
                fixture: fixture
            )
            let utf8 = try await client.call(
                .put,
                "/v1/me/consents/marketing",
                token: customer,
                json: #"{"state":"granted"}"#,
                headers: [.contentType: "Application/JSON; charset=UTF-8"]
            )
            #expect(utf8.status == .noContent)
        }
    }

    @Test func anExhaustedBudgetAnswers429() async throws {
        let fixture = try await TestVault.make(customers: 2)
        defer { fixture.remove() }
        let analyst = fixture.tokens["analyst"]!
        try await fixture.app.test(.router) { client in
            // The default policy gives each analyst ε = 5 per period and at most 1 per query.
            for group in ["region", "segment", "preferred_channel", "price_sensitivity", "birth_year"] {
                let response = try await client.call(
                    .post,
                    "/v1/aggregates",
                    token: analyst,
                    json: #"{"measures":["count"],"group_by":["\#(group)"],"epsilon":1}"#
                )
                #expect(response.status == .ok, "\(response.text)")
            }
            let refused = try await client.call(.post, "/v1/aggregates", token: analyst, json: #"{"measures":["count"],"epsilon":1}"#)
            Self.problem(refused, .tooManyRequests, code: .budgetExhausted, fixture: fixture)
        }
    }

    /// Found by schemathesis (`.ci/api-check`): each of these was answered as though it were valid,
    /// or with a 400 for a request of the right shape.
    @Test func requestsOutsideTheDocumentAreRefused() async throws {
        let fixture = try await TestVault.make(customers: 2)
        defer { fixture.remove() }
        let customer = fixture.tokens["customer"]!
        let support = fixture.tokens["support"]!
        let auditor = fixture.tokens["auditor"]!
        let id = fixture.customers[1].id
        try await fixture.app.test(.router) { client in
            let opened = try await client.call(
                .post,
                "/v1/me/contests",
                token: customer,
                json: #"{"field":"postcode","value":"ZZ9 9ZZ","reason":"I moved"}"#
            )
            let contestID = try #require(opened.object["id"] as? String)
            for body in [#"{"withdraw":false,"reply":"x"}"#, #"{"withdraw":null}"#, #"{"reply":null}"#, #"{"withdraw":false}"#] {
                let update = try await client.call(.patch, "/v1/me/contests/\(contestID)", token: customer, json: body)
                Self.problem(update, .badRequest, code: .invalidBody, fixture: fixture)
            }
            for fields in ["name,,email", "name,", "Name", "na%20me"] {
                let read = try await client.call(.get, "/v1/customers/\(id)?purpose=service&fields=\(fields)", token: support)
                Self.problem(read, .badRequest, code: .invalidQuery, fixture: fixture)
            }
            for query in ["limit=0", "limit=10001", "from=9223372036854775808", "from=+1", "limit=1%200"] {
                let entries = try await client.call(.get, "/v1/audit/entries?\(query)", token: auditor)
                Self.problem(entries, .badRequest, code: .invalidQuery, fixture: fixture)
            }
            // Names the document types by pattern or enum are checked here, not by the policy (400, not 422).
            let patternCases: [(HTTPRequest.Method, String, String?, String?, VaultError.Code)] = [
                (.get, "/v1/contests?status=bogus", support, nil, .invalidQuery),
                (.put, "/v1/me/consents/Marketing", customer, #"{"state":"granted"}"#, .invalidQuery),
                (.get, "/v1/customers/\(id)?purpose=Service", support, nil, .invalidQuery),
                (.post, "/v1/me/contests", customer, #"{"field":"Bad","value":"x","reason":"x"}"#, .invalidBody),
                (.patch, "/v1/customers/\(id)?purpose=service", support, #"{"set":{"Name":"x"}}"#, .invalidBody),
            ]
            for (method, uri, token, body, code) in patternCases {
                Self.problem(try await client.call(method, uri, token: token, json: body), .badRequest, code: code, fixture: fixture)
            }
            let nullEpsilon = try await client.call(
                .post,
                "/v1/aggregates",
                token: fixture.tokens["analyst"]!,
                json: #"{"measures":["count"],"epsilon":null}"#
            )
            Self.problem(nullEpsilon, .badRequest, code: .invalidBody, fixture: fixture)
            // Well-formed JSON with a value the field cannot hold is the vault's refusal, not a parse error.
            let huge = try await client.call(
                .post,
                "/v1/me/contests",
                token: customer,
                json: #"{"field":"birth_year","value":1e200,"reason":"x"}"#
            )
            #expect(huge.status == .unprocessableContent, "\(huge.text)")
            // A method the document does not list is a 405 naming the ones it does.
            let trace = try await client.call(.init("TRACE")!, "/v1/me", token: customer)
            Self.problem(trace, .methodNotAllowed, code: .methodNotAllowed, fixture: fixture)
            #expect(trace.headers[.allow]?.contains("GET") == true)
            // With a trailing slash too, as the router reads the path.
            let slashed = try await client.call(.get, "/v1/me/", token: customer)
            let post = try await client.call(.post, "/v1/me/", token: customer)
            #expect(post.status == (slashed.status == .ok ? .methodNotAllowed : .notFound), "GET /v1/me/ answered \(slashed.status)")
        }
    }
}
