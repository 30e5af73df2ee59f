import ArgumentParser
import Foundation
import Vault
import VaultAnalytics

/// `cvault model train|show`: the next-best-product model, trained on noisy counts only.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Train and show the next-best-product model (differentially private category counts).",
        subcommands: [Train.self, Show.self]
    )

    struct Train: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a new model version over the customers whose recommendation purpose holds; charges ε to the budget (operator token)."
        )

        @Option(name: .long, help: "ε to spend (default: the policy's recommendations epsilon).") var epsilon: Double?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let view = try await vault.trainModel(epsilon: epsilon, by: try await global.operatorPrincipal(vault))
            if global.json { return try Output.json(view) }
            printModel(view)
            if let budget = view.budget {
                Output.print("charged ε \(view.epsilonCharged); left this period: \(budget.globalRemaining) globally")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a trained model (the newest unless --version is given).")

        @Option(name: .long, help: "The version to show.") var version: Int64?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let view = try await vault.showModel(version: version, by: try await global.operatorPrincipal(vault))
            if global.json { return try Output.json(view) }
            printModel(view)
        }
    }
}

private func printModel(_ view: ProductModelView) {
    let stored = view.model
    let model = stored.model
    Output.print("model v\(stored.version) · trained \(stored.trainedAt.formatted(.iso8601)) · purpose \(stored.purpose) · sha256 \(view.sha256)")
    Output.print(
        "ε \(model.epsilon) · each customer's \(model.maxCategoriesPerCustomer) most recent categories · sensitivity \(model.sensitivity)"
            + " · noise scale \(String(format: "%.1f", model.noiseScale)) per count"
    )
    Output.print("about \(max(0, model.customers)) customers (noisy)")
    let width = max(10, model.categories.map(\.count).max() ?? 0)
    for (i, category) in model.categories.enumerated() {
        let partners = model.categories.indices.filter { $0 != i }
            .map { (model.categories[$0], model.coPurchases(i, $0)) }
            .sorted { $0.1 > $1.1 }.prefix(2)
            .map { "\($0.0) \(max(0, $0.1))" }.joined(separator: ", ")
        Output.print(
            "  \(category.padding(toLength: width, withPad: " ", startingAt: 0)) \(String(max(0, model.popularity[i])).leftPadded(8))  most bought with: \(partners)"
        )
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
