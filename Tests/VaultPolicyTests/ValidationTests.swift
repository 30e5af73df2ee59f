import Foundation
import Testing
import VaultPolicy

/// One broken fixture per validation rule, each asserting the exact position, rule and message.
struct ValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let fixture: String
        let expected: [String]
        var testDescription: String { fixture }
    }

    static let cases: [Case] = [
        Case(
            fixture: "yaml-syntax",
            expected: [
                "33:4 yaml_syntax invalid YAML: did not find expected key (while parsing a block mapping at line 31, column 3); fix the syntax here"
            ]
        ),
        Case(
            fixture: "yaml-alias",
            expected: [
                "21:10 yaml_alias anchors and aliases (&name, *name) are not allowed in policies: write every value out so each rule reads on its own"
            ]
        ),
        Case(
            fixture: "empty",
            expected: [
                "1:1 missing_key the file is empty: a policy starts with version: 1"
            ]
        ),
        Case(
            fixture: "wrong-type",
            expected: [
                "45:17 wrong_type operations of role customer must be a list such as [a, b], not a single value"
            ]
        ),
        Case(
            fixture: "unknown-key",
            expected: [
                "21:3 missing_key field spend has no retention: add retention: (an ISO 8601 duration in whole units, such as P30D (30 days), P3Y (3 years), P1Y6M or PT12H)",
                "26:5 unknown_key unknown key 'retension' in field spend (did you mean 'retention'?): allowed keys are section, type, category, sensitivity, lookup, retention, analytics, values, range, description",
            ]
        ),
        Case(
            fixture: "missing-category",
            expected: [
                "12:3 missing_key field birth_year has no category: add category: (a dotted data category such as user.contact.email)"
            ]
        ),
        Case(
            fixture: "invalid-sensitivity",
            expected: [
                "16:18 invalid_value sensitivity of field birth_year is 'secret': it must be one of low, medium, high"
            ]
        ),
        Case(
            fixture: "unsupported-version",
            expected: [
                "2:10 unsupported_version policy format version 2 is not supported: this cvault reads version 1"
            ]
        ),
        Case(
            fixture: "duplicate-field",
            expected: [
                "5:3 duplicate_name duplicate key 'email': it appears more than once in the same mapping, first here; keep one and remove or rename the others"
            ]
        ),
        Case(
            fixture: "duplicate-list-entry",
            expected: [
                "50:30 duplicate_name 'email' appears twice in read list of purpose service of role support: remove the repeat"
            ]
        ),
        Case(
            fixture: "unknown-field",
            expected: [
                "61:33 unknown_reference role analyst reaches field 'spending' under purpose analytics, but the policy defines no such field: define it under fields or fix the name"
            ]
        ),
        Case(
            fixture: "unknown-purpose",
            expected: [
                "55:7 unknown_reference role marketing names purpose 'newsleter', which the policy does not define (did you mean 'newsletter'?): define it under purposes or fix the name"
            ]
        ),
        Case(
            fixture: "unknown-role",
            expected: [
                "52:3 invalid_value unknown role 'marketer': the roles are customer, support, marketing, analyst, auditor, operator"
            ]
        ),
        Case(
            fixture: "consent-without-default",
            expected: [
                "34:3 consent_default purpose newsletter rests on consent but has no default: add default: denied (consent holds only after the customer grants it)"
            ]
        ),
        Case(
            fixture: "consent-default-granted",
            expected: [
                "36:14 consent_default default of purpose newsletter must be denied: consent is opt-in (GDPR Art. 7), so it holds only after the customer grants it; a purpose that runs without a grant needs another legal basis"
            ]
        ),
        Case(
            fixture: "invalid-category",
            expected: [
                "24:15 invalid_category category 'Spend' of field spend is not a dotted data category: write lower-case segments joined by dots, such as user.contact.email"
            ]
        ),
        Case(
            fixture: "unknown-category",
            expected: [
                "8:15 unknown_category category 'user.contact.emial' of field email is not a fideslang 3.1.4 data category (did you mean 'user.contact.email'?): use one of its categories, or declare it under categories: as a refinement of one, with a description"
            ]
        ),
        Case(
            fixture: "custom-category",
            expected: [
                "5:3 invalid_category category user.spending.yearly refines user.spending, which is neither in the fideslang taxonomy nor declared here: a custom category extends an existing one by one segment, such as user.financial.transactions under user.financial",
                "7:3 invalid_category category user.financial is already in the fideslang taxonomy: use it in fields without declaring it, and remove it here",
                "9:3 missing_key category user.financial.yearly has no description: add description: (what data the category covers)",
                "10:5 unknown_key unknown key 'descripton' in category user.financial.yearly (did you mean 'description'?): allowed keys are description",
            ]
        ),
        Case(
            fixture: "invalid-duration",
            expected: [
                "26:16 invalid_duration retention of field spend is '7 years': write an ISO 8601 duration in whole units, such as P30D (30 days), P3Y (3 years), P1Y6M or PT12H"
            ]
        ),
        Case(
            fixture: "bounds-min-above-max",
            expected: [
                "29:15 invalid_bounds bounds of field spend: min 5000 is greater than max 0; write [min, max] with min ≤ max"
            ]
        ),
        Case(
            fixture: "bounds-infinite",
            expected: [
                "29:15 invalid_bounds bounds of field spend: [0, .inf] are not both finite; public bounds must be finite numbers"
            ]
        ),
        Case(
            fixture: "epsilon-negative",
            expected: [
                "64:22 invalid_epsilon epsilon_per_query must be a positive, finite number, got -0.5: ε ≤ 0, NaN or infinity gives no privacy guarantee; a typical value is 0.5"
            ]
        ),
        Case(
            fixture: "epsilon-nan",
            expected: [
                "64:22 invalid_epsilon epsilon_per_query must be a positive, finite number, got .nan: ε ≤ 0, NaN or infinity gives no privacy guarantee; a typical value is 0.5"
            ]
        ),
        Case(
            fixture: "max-epsilon-below-default",
            expected: [
                "65:26 invalid_epsilon max_epsilon_per_query (0.25) is below epsilon_per_query (0.5): raise it or lower epsilon_per_query"
            ]
        ),
        Case(
            fixture: "query-epsilon-above-budget",
            expected: [
                "64:22 invalid_epsilon one query may spend ε 0.5, more than the per_analyst budget of 0.4: lower the query ε or raise the budget"
            ]
        ),
        Case(
            fixture: "k-too-small",
            expected: [
                "63:6 invalid_k k must be at least 2, got 1: a group smaller than that singles out one customer; the usual value is 10"
            ]
        ),
        Case(
            fixture: "retention-rate-out-of-range",
            expected: [
                "66:21 invalid_rate retention_rate must be a fraction between 0 and 1, got 1.5: write 0.10 for 10%"
            ]
        ),
        Case(
            fixture: "analyst-reads-rows",
            expected: [
                "58:29 operation_not_allowed role analyst may not have operation read: analysts see aggregates only, never rows; it may have aggregate"
            ]
        ),
        Case(
            fixture: "customer-with-purposes",
            expected: [
                "46:5 grant_mismatch role customer takes no purposes: customers act only on their own record; remove purposes"
            ]
        ),
        Case(
            fixture: "read-under-aggregate-purpose",
            expected: [
                "61:9 grant_mismatch purpose analytics is aggregate-only, so no role may read rows under it: list the fields under aggregate instead"
            ]
        ),
        Case(
            fixture: "aggregate-field-without-analytics",
            expected: [
                "61:40 grant_mismatch field email has analytics use none, so role analyst cannot aggregate it: remove it here or give the field an analytics use"
            ]
        ),
        Case(
            fixture: "lookup-on-integer",
            expected: [
                "18:13 invalid_value field birth_year (type integer) cannot be a lookup key: blind indexes work on string, email and phone fields; set lookup: false"
            ]
        ),
        Case(
            fixture: "group-by-on-decimal",
            expected: [
                "28:12 invalid_value field spend (type decimal) cannot be a group-by key: group_by works on string and integer fields"
            ]
        ),
    ]

    @Test(arguments: cases)
    func brokenFixtureIsRejectedAtItsPosition(_ testCase: Case) throws {
        let fileName = "broken/\(testCase.fixture).yaml"
        let text = try fixtureText(fileName)
        let error = try #require(throws: PolicyValidationError.self) { try Policy.parse(yaml: text, fileName: fileName) }
        #expect(error.diagnostics.map { "\($0.line):\($0.column) \($0.rule) \($0.message)" } == testCase.expected)
        #expect(error.diagnostics.allSatisfy { $0.file == fileName })
        #expect(error.code == "policy_invalid")
    }

    @Test func everyBrokenFixtureHasACase() throws {
        let directory = try #require(Bundle.module.url(forResource: "Fixtures/broken", withExtension: nil))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(".yaml".count)) }
        #expect(Set(names) == Set(Self.cases.map(\.fixture)))
    }

    @Test func diagnosticsRenderAsFileLineColumnMessage() throws {
        let text = try fixtureText("broken/k-too-small.yaml")
        let error = try #require(throws: PolicyValidationError.self) { try Policy.parse(yaml: text, fileName: "policies/shop.yaml") }
        #expect(
            error.description
                == "policies/shop.yaml:63:6: k must be at least 2, got 1: a group smaller than that singles out one customer; the usual value is 10"
        )
    }

    @Test func everyProblemIsReportedInFileOrder() throws {
        var text = try fixtureText("valid/minimal.yaml")
        for (old, new) in [("  k: 10\n", "  k: 0\n"), ("    sensitivity: medium\n", "    sensitivity: secret\n"), ("version: 1\n", "version: 3\n")] {
            text = text.replacingOccurrences(of: old, with: new)
        }
        let error = try #require(throws: PolicyValidationError.self) { try Policy.parse(yaml: text, fileName: "p.yaml") }
        #expect(error.diagnostics.map(\.rule) == ["unsupported_version", "invalid_value", "invalid_k"])
        #expect(error.diagnostics.map(\.line) == error.diagnostics.map(\.line).sorted())
    }

    @Test func shippedPoliciesValidate() throws {
        let retail = try defaultPolicy()
        #expect(retail.name == "retail-default")
        let bank = try Policy.parse(yaml: try shippedPolicyText("examples/bank.yaml"), fileName: "policies/examples/bank.yaml")
        #expect(bank.name == "retail-bank")
    }

    @Test func readmeExampleValidatesAndNamesEveryKey() throws {
        let readme = try shippedPolicyText("README.md")
        let start = try #require(readme.range(of: "## A complete example"))
        let block = readme[start.upperBound...]
        let open = try #require(block.range(of: "```yaml\n"))
        let close = try #require(block[open.upperBound...].range(of: "```"))
        let yaml = String(block[open.upperBound..<close.lowerBound])
        let policy = try Policy.parse(yaml: yaml, fileName: "policies/README.md")
        let allKeys = [
            "version:", "name:", "description:", "categories:", "fields:", "section:", "type:", "category:", "sensitivity:", "lookup:",
            "retention:", "analytics:", "use:", "bucket:", "bounds:", "amount:", "margin:", "values:", "range:",
            "purposes:", "basis:", "default:", "aggregate_only:", "roles:", "operations:", "read:", "write:", "aggregate:",
            "aggregation:", "k:", "epsilon_per_query:", "max_epsilon_per_query:", "budget:", "per_analyst:", "global:",
            "epsilon:", "period:", "clv:", "discount_rate:", "retention_rate:", "margin_window_years:", "annual_margin_bounds:",
            "contests:", "response_deadline:", "restrict_while_disputed:",
        ]
        for key in allKeys {
            #expect(yaml.contains(key), "the README example lacks \(key)")
        }
        #expect(Set(policy.roles.map(\.name)) == Set(RoleName.allCases))
    }
}
