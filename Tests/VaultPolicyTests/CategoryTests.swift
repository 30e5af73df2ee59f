import Foundation
import Testing

@testable import VaultPolicy

/// Data categories are fideslang's, or declared as refinements of them the way fideslang allows.
struct CategoryTests {
    @Test("every field of the shipped policies has a fideslang category or one the policy declares under a fideslang parent")
    func shippedPoliciesUseTheTaxonomy() throws {
        for path in ["default.yaml", "examples/bank.yaml"] {
            let policy = try Policy.parse(yaml: try shippedPolicyText(path), fileName: path)
            let declared = Set(policy.categories.map(\.key))
            for field in policy.fields {
                #expect(FideslangTaxonomy.dataCategories.contains(field.category) || declared.contains(field.category), "\(path): \(field.name)")
            }
            for category in policy.categories {
                #expect(FideslangTaxonomy.dataCategories.contains(category.parent) || declared.contains(category.parent))
                #expect(!FideslangTaxonomy.dataCategories.contains(category.key))
            }
        }
    }

    @Test("a custom category may refine another; it is part of the canonical form, so changing it changes the hash")
    func customCategoriesAreCanonical() throws {
        let text = try fixtureText("valid/custom-categories.yaml")
        let policy = try Policy.parse(yaml: text, fileName: "custom.yaml")
        #expect(policy.categories.map(\.key) == ["user.financial.yearly", "user.financial.yearly.estimated"])
        #expect(policy.categories.map(\.parent) == ["user.financial", "user.financial.yearly"])
        #expect(policy.canonicalJSON.contains(#""categories":{"user.financial.yearly":{"description":"What the customer spends in a year."}"#))
        let edited = try Policy.parse(
            yaml: text.replacingOccurrences(of: "The customer's own estimate of it.", with: "Their estimate."),
            fileName: "custom.yaml"
        )
        #expect(edited.hash != policy.hash)
        // A policy without categories has none in its canonical form, as before they existed.
        #expect(!(try Policy.parse(yaml: try fixtureText("valid/minimal.yaml"), fileName: "minimal.yaml")).canonicalJSON.contains("categories"))
    }

    @Test(
        "a policy a vault applied before categories were checked still parses as stored, with the hash it was recorded under; as a new policy it is refused"
    )
    func storedPoliciesKeepOpening() throws {
        let text = try fixtureText("legacy/default-before-categories.yaml")
        let stored = try Policy.parse(stored: text, fileName: "default.yaml")
        #expect(stored.hash == "a284f7595d5cb3e2cb2f6e1cfbdfaf6044817c4eb4e78ef164d5fbf22fed940d")
        let error = try #require(throws: PolicyValidationError.self) { try Policy.parse(yaml: text, fileName: "default.yaml") }
        #expect(error.diagnostics.map(\.rule) == Array(repeating: "unknown_category", count: 7))
        #expect(error.diagnostics.first?.message.contains("user.behavior.segment") == true)
    }
}
