import Foundation
import Vault
import VaultAnalytics
import VaultPolicy
import VaultStore

extension DemoCommand {
    /// Next best product: the operator trains the model on noisy counts, marketing asks for one
    /// consenting customer and is refused for one who withdrew, and a customer sees their own.
    func recommendationStep(_ vault: Vault, records: [CustomerRecord], marketing: Principal) async throws {
        heading(10, "The operator trains the next-best-product model on noisy counts; marketing asks what to offer, only with consent")
        let trained = try await vault.trainModel(epsilon: nil, by: .localOperator)
        let model = trained.model.model
        say(
            "model v\(trained.model.version): \(model.categories.count) categories, each customer's \(model.maxCategoriesPerCustomer) most recent counted;"
                + " ε \(model.epsilon) charged to the global budget, noise scale \(String(format: "%.0f", model.noiseScale)) per count; sha256 \(trained.sha256.prefix(16))… in the log"
        )
        guard let consenting = records.first(where: { $0.consents["personalization"] == .granted }),
            let withdrawn = records.first(where: { $0.consents["personalization"] != .granted })
        else { return }
        let answer = try await vault.nextBestProduct(for: consenting.id, purpose: "personalization", by: marketing)
        say("for \(consenting.id) (personalization granted):")
        for (rank, item) in answer.recommendations.enumerated() {
            say("  \(rank + 1). \(item.category): \(item.reasons.joined(separator: "; "))")
        }
        do {
            _ = try await vault.nextBestProduct(for: withdrawn.id, purpose: "personalization", by: marketing)
        } catch let error as VaultError {
            say("for \(withdrawn.id) (personalization withdrawn) → \(error.message)")
        }
        let token = try await vault.issueToken(role: "customer", customerID: consenting.id, name: nil, expiresIn: "PT1H", by: .localOperator)
        let own = try await vault.myNextBestProduct(by: try await vault.authenticate(token: token.secret))
        say(
            "\(consenting.id) sees the same in `cvault me next-best-product`: \(own.recommendations.map(\.category).joined(separator: ", ")) (and may withdraw personalization)"
        )
    }
}
