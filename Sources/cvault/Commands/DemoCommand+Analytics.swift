import Foundation
import Vault
import VaultAnalytics

extension DemoCommand {
    /// The analyst's part of the story: customer equity and mean CLV by region, then a query so
    /// narrow that its groups are suppressed.
    func analystStep(_ vault: Vault, analyst: Principal) async throws {
        heading(9, "The analyst asks for customer equity and mean CLV by region: noisy, with intervals, never a row")
        let answer = try await vault.aggregate(AggregateRequest(measures: ["customer_equity", "clv", "count"], groupBy: ["region"], epsilon: 1),
                                               by: analyst)
        printAnswer(answer)
        say("repeating the identical query is answered from the cache at no cost:")
        let repeated = try await vault.aggregate(AggregateRequest(measures: ["count", "clv", "customer_equity"], groupBy: ["region"], epsilon: 1),
                                                 by: analyst)
        say("  cached: \(repeated.cached), ε charged: \(repeated.epsilonCharged)")

        say("a narrow query (region × segment × birth decade) hides every group too small to clear the threshold:")
        let narrow = try await vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["region", "segment", "birth_year"], epsilon: 0.5),
                                               by: analyst)
        say("  \(narrow.result.groups.count) group(s) released, \(narrow.result.suppressedGroups) suppressed or empty (indistinguishable), threshold: noisy count ≥ \(narrow.result.suppressionThreshold)")
        do {
            _ = try await vault.readCustomer("c-0000001", purpose: "analytics", by: analyst)
        } catch let error as VaultError {
            say("the analyst tries to read a row → \(error.message)")
        }
    }

    func printAnswer(_ answer: AggregateAnswer) {
        for group in answer.result.groups {
            let key = group.key.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            let values = group.values.map { value in
                "\(value.measure) \(format(value.measure, value.value)) [\(format(value.measure, value.interval.lowerBound)) … \(format(value.measure, value.interval.upperBound))]"
            }
            say("  \(key.isEmpty ? "all" : key): " + values.joined(separator: "; "))
        }
        say("  \(answer.result.suppressedGroups) group(s) suppressed; ε charged \(answer.epsilonCharged); analyst budget left \(answer.budget.analystRemaining), global \(answer.budget.globalRemaining)")
    }

    private func format(_ measure: String, _ value: Double) -> String {
        // Money measures are in cents.
        if measure == "clv" || measure == "customer_equity" || measure.hasPrefix("sum(") && measure.contains("spend") {
            return String(format: "%.0f", value / 100)
        }
        return value.rounded() == value ? String(format: "%.0f", value) : String(format: "%.2f", value)
    }
}
