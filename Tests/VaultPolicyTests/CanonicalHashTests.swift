import Foundation
import Testing
import VaultCrypto
import VaultPolicy

/// The policy's identity: stable under reformatting, different after any change to a rule.
struct CanonicalHashTests {
    @Test func reformattingKeepsTheHash() throws {
        let minimal = try Policy.parse(yaml: try fixtureText("valid/minimal.yaml"), fileName: "minimal.yaml")
        let reformatted = try Policy.parse(yaml: try fixtureText("valid/minimal-reformatted.yaml"), fileName: "reformatted.yaml")
        #expect(reformatted.canonicalJSON == minimal.canonicalJSON)
        #expect(reformatted.hash == minimal.hash)
    }

    @Test func whitespaceAndCommentsDoNotChangeTheDefaultPolicyHash() throws {
        let text = try shippedPolicyText("default.yaml")
        let original = try Policy.parse(yaml: text, fileName: "default.yaml")
        // Double every indentation, drop every comment and add blank lines: the same document.
        let reformatted = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let indent = line.prefix { $0 == " " }.count
            var body = String(line.dropFirst(indent))
            if let hash = body.range(of: " #") ?? (body.hasPrefix("#") ? body.range(of: "#") : nil) {
                body = String(body[..<hash.lowerBound])
            }
            return String(repeating: " ", count: indent * 2) + body + "\n"
        }.joined()
        #expect(reformatted != text)
        let policy = try Policy.parse(yaml: reformatted, fileName: "default.yaml")
        #expect(policy.hash == original.hash)
    }

    @Test func theHashIsTheSHA256OfTheCanonicalJSON() throws {
        let policy = try Policy.parse(yaml: try fixtureText("valid/minimal.yaml"), fileName: "minimal.yaml")
        #expect(policy.hash == SHA256.hash(data: Array(policy.canonicalJSON.utf8)).hex)
        #expect(
            policy.canonicalJSON == #"""
                {"aggregation":{"budget":{"global":{"epsilon":20,"lifetime":80,"period":"P30D"},"per_analyst":{"epsilon":5,"lifetime":20,"period":"P30D"}},"clv":{"annual_margin_bounds":[0,2000],"discount_rate":0.1,"margin_window_years":5,"retention_rate":0.75},"epsilon_per_query":0.5,"k":10,"max_epsilon_per_query":0.5},"contests":{"response_deadline":"P30D","restrict_while_disputed":["analytics","newsletter"]},"fields":{"birth_year":{"analytics":{"bucket":10,"use":"group_by"},"category":"user.demographic.date_of_birth","lookup":false,"retention":"P6Y","section":"characteristics","sensitivity":"medium","type":"integer"},"email":{"analytics":{"use":"none"},"category":"user.contact.email","lookup":true,"retention":"P6Y","section":"characteristics","sensitivity":"high","type":"email"},"spend":{"analytics":{"bounds":[0,5000],"use":"measure"},"category":"user.financial","lookup":false,"retention":"P7Y","section":"purchases","sensitivity":"high","type":"decimal"}},"name":"minimal","purposes":{"analytics":{"aggregate_only":true,"basis":"consent","default":"denied","description":"Noisy statistics."},"newsletter":{"aggregate_only":false,"basis":"consent","default":"denied","description":"Send the newsletter."},"service":{"aggregate_only":false,"basis":"contract","description":"Deliver orders."}},"roles":{"analyst":{"operations":["aggregate"],"purposes":{"analytics":{"aggregate":["birth_year","spend"],"read":[],"write":[]}}},"customer":{"operations":["self_read"],"purposes":{}},"marketing":{"operations":["read"],"purposes":{"newsletter":{"aggregate":[],"read":["email"],"write":[]}}},"support":{"operations":["read","write"],"purposes":{"service":{"aggregate":[],"read":["email","spend"],"write":["email"]}}}},"version":1}
                """#
        )
    }

    /// A stored policy is checked against its recorded hash whenever a vault opens, so the hash of a
    /// text with control characters must stay what it always was: `\u0008` and `\u000c`, not
    /// RFC 8785's `\b` and `\f` (pinned from the writer before the shared canonical writer).
    @Test func controlCharactersHashAsTheyAlwaysDid() throws {
        let text = try fixtureText("valid/minimal.yaml").replacingOccurrences(
            of: "description: Deliver orders.",
            with: #"description: "Deliver\borders\f\u0001 now.""#
        )
        let policy = try Policy.parse(yaml: text, fileName: "controls.yaml")
        #expect(policy.canonicalJSON.contains(#""Deliver\u0008orders\u000c\u0001 now.""#))
        #expect(policy.hash == "1ea025dd919cde5904dc78bd67388b0dafd803f53ba37745874fa196ef15a469")
    }

    /// Each edit changes exactly one rule of the default policy.
    static let ruleChanges: [(String, String)] = [
        ("    sensitivity: medium\n    retention: P6Y          # limitation", "    sensitivity: high\n    retention: P6Y          # limitation"),
        ("    retention: P7Y ", "    retention: P8Y "),
        ("      bucket: 10 ", "      bucket: 5 "),
        ("      bounds: [0, 20000] ", "      bounds: [0, 25000] "),
        ("        margin: [0, 3000]", "        margin: [0, 3500]"),
        ("    lookup: true\n    retention: P6Y\n    description: Telephone", "    lookup: false\n    retention: P6Y\n    description: Telephone"),
        ("    category: user.contact.address.state", "    category: user.contact.address.city"),
        ("    values: [new, active, loyal, lapsed]", "    values: [new, active, loyal]"),
        ("    range: [1, 5]", "    range: [1, 7]"),
        // Without the recommendations' interests (which must name a string_list field).
        ("    type: string_list", "    type: string"),
        ("  legal_hold:\n    basis: legal_obligation", "  legal_hold:\n    basis: contract"),
        ("    basis: legitimate_interest", "    basis: contract"),
        ("        read: [name, email, postcode, purchases]", "        read: [name, email, purchases]"),
        ("        write: [name, email, phone, postcode, region, preferred_channel]", "        write: [name, email, phone, postcode, region]"),
        ("    operations: [read, write, review_contests]", "    operations: [read, write]"),
        ("  k: 10 ", "  k: 11 "),
        ("  epsilon_per_query: 0.5", "  epsilon_per_query: 0.4"),
        ("  max_epsilon_per_query: 1", "  max_epsilon_per_query: 2"),
        ("    per_analyst: {epsilon: 5, period: P30D, lifetime: 20}", "    per_analyst: {epsilon: 5, period: P31D, lifetime: 20}"),
        ("    global: {epsilon: 20, period: P30D, lifetime: 80}", "    global: {epsilon: 21, period: P30D, lifetime: 80}"),
        ("    per_analyst: {epsilon: 5, period: P30D, lifetime: 20}", "    per_analyst: {epsilon: 5, period: P30D, lifetime: 21}"),
        ("    global: {epsilon: 20, period: P30D, lifetime: 80}", "    global: {epsilon: 20, period: P30D, lifetime: 81}"),
        ("    discount_rate: 0.10", "    discount_rate: 0.11"),
        ("    retention_rate: 0.75", "    retention_rate: 0.7"),
        ("    margin_window_years: 5", "    margin_window_years: 6"),
        ("    annual_margin_bounds: [0, 3000]", "    annual_margin_bounds: [100, 3000]"),
        ("  response_deadline: P30D", "  response_deadline: P1M"),
        ("  restrict_while_disputed: [marketing, personalization, analytics]", "  restrict_while_disputed: [marketing, analytics]"),
        ("name: retail-default", "name: retail-default-2"),
        ("    description: Send offers through the customer's preferred channel.", "    description: Send offers by e-mail."),
        ("  categories: [grocery, garden, kitchen,", "  categories: [garden, grocery, kitchen,"),
        ("  max_categories_per_customer: 4 ", "  max_categories_per_customer: 3 "),
        ("  recent: P90D ", "  recent: P60D "),
        ("  epsilon: 1\n  top: 3", "  epsilon: 0.5\n  top: 3"),
        ("  top: 3\n", "  top: 5\n"),
        ("  spend: category_spend\n", "\n"),
    ]

    @Test func everyRuleChangeChangesTheHash() throws {
        let text = try shippedPolicyText("default.yaml")
        let original = try Policy.parse(yaml: text, fileName: "default.yaml").hash
        var hashes: Set<String> = [original]
        for (old, new) in Self.ruleChanges {
            #expect(text.components(separatedBy: old).count == 2, "the edit target must occur once: \(old)")
            var edited = text.replacingOccurrences(of: old, with: new)
            if new == "    type: string" { edited = edited.replacingOccurrences(of: "  interests: product_interests\n", with: "") }
            let policy = try Policy.parse(yaml: edited, fileName: "default.yaml")
            #expect(hashes.insert(policy.hash).inserted, "unchanged or repeated hash after \(new)")
        }
        #expect(hashes.count == Self.ruleChanges.count + 1)
    }
}
