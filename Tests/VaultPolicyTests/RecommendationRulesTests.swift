import Foundation
import Testing
import VaultPolicy

/// The policy's `recommendations:` section: what the next-best-product model is trained on and
/// applied under, checked like every other rule.
@Suite struct RecommendationRulesTests {
    /// The default policy with its recommendations section replaced (nil: removed).
    static func policy(recommendations block: String?) throws -> String {
        let text = try shippedPolicyText("default.yaml")
        let start = try #require(text.range(of: "\nrecommendations:\n"))
        return String(text[..<start.lowerBound]) + (block.map { "\nrecommendations:\n" + $0 + "\n" } ?? "\n")
    }

    static func diagnostics(_ block: String) throws -> [String] {
        do {
            _ = try Policy.parse(yaml: try policy(recommendations: block), fileName: "p.yaml")
            return []
        } catch let error as PolicyValidationError {
            return error.diagnostics.map { "\($0.rule) \($0.message)" }
        }
    }

    @Test("the shipped policy trains on personalization consenters over its eight categories")
    func shipped() throws {
        let rules = try #require(try defaultPolicy().recommendations)
        #expect(rules.purpose == "personalization" && rules.categories.count == 8 && rules.maxCategoriesPerCustomer == 4)
        #expect(rules.interestsField == "product_interests" && rules.spendField == "category_spend" && rules.top == 3 && rules.epsilon == 1)
        #expect(rules.recent.description == "P90D")
    }

    @Test("a policy without the section parses, keeps no rules, and leaves the section out of its canonical form (so older policies keep their hash)")
    func absent() throws {
        let without = try Policy.parse(yaml: try Self.policy(recommendations: nil), fileName: "p.yaml")
        #expect(without.recommendations == nil && !without.canonicalJSON.contains(#""recommendations":"#))
        #expect(try defaultPolicy().canonicalJSON.contains(#""recommendations":{"categories":["grocery","garden""#))
    }

    @Test("each mistake is named with what to do")
    func mistakes() throws {
        let cases: [(String, String)] = [
            ("  purpose: analytics\n  categories: [a, b]", "purpose analytics is aggregate-only"),
            ("  purpose: personalisation\n  categories: [a, b]", "does not define (did you mean 'personalization'?)"),
            (
                "  purpose: service\n  categories: [a, b]",
                "purpose service rests on contract, but recommendations are trained on and applied to a customer only with their consent"
            ),
            ("  purpose: personalization\n  categories: [Garden, Toys]", "category name 'Toys' must be lower_snake_case"),
            ("  purpose: personalization\n  categories: []", "between 1 and 64 categories"),
            ("  purpose: personalization\n  categories: [a, a]", "'a' appears twice"),
            ("  purpose: personalization\n  categories: [Garden]", "category name 'Garden' must be lower_snake_case"),
            (
                "  purpose: personalization\n  categories: [a]\n  interests: segment",
                "interests of recommendations names 'segment', which is not a string_list field"
            ),
            ("  purpose: personalization\n  categories: [a]\n  spend: satisfaction", "not a decimal_map field"),
            ("  purpose: personalization\n  categories: [a]\n  max_categories_per_customer: 40", "between 1 and 16, got 40"),
            ("  purpose: personalization\n  categories: [a]\n  epsilon: 2", "above max_epsilon_per_query"),
            ("  purpose: personalization\n  categories: [a]\n  epsilon: -1", "must be a positive, finite number"),
            ("  purpose: personalization\n  categories: [a]\n  recent: 90 days", "recent of recommendations"),
            ("  purpose: personalization\n  categories: [a]\n  catgories: [b]", "unknown key 'catgories'"),
            ("  categories: [a]", "purpose"),
        ]
        for (block, expected) in cases {
            let found = try Self.diagnostics(block)
            #expect(found.contains { $0.contains(expected) }, "\(block): expected “\(expected)” in \(found)")
        }
    }
}
