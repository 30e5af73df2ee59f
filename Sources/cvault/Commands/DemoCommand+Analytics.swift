import Foundation
import Vault
import VaultAnalytics

extension DemoCommand {
    /// The analyst's part of the story: customer equity and mean CLV by region, the customer
    /// portfolio by segment, then a query so narrow that its groups are suppressed.
    func analystStep(_ vault: Vault, analyst: Principal, folder: URL) async throws {
        heading(9, "The analyst asks for customer equity and mean CLV by region: noisy, with intervals, never a row")
        let answer = try await vault.aggregate(
            AggregateRequest(measures: ["customer_equity", "clv", "count"], groupBy: ["region"], epsilon: 1),
            by: analyst
        )
        printAnswer(answer)
        say("repeating the identical query is answered from the cache at no cost:")
        let repeated = try await vault.aggregate(
            AggregateRequest(measures: ["count", "clv", "customer_equity"], groupBy: ["region"], epsilon: 1),
            by: analyst
        )
        say("  cached: \(repeated.cached), ε charged: \(repeated.epsilonCharged)")

        say("the customer portfolio by segment: mean and spread of annual margin per customer, and the efficient set (no extra ε for the set):")
        let portfolio = try await vault.aggregate(AggregateRequest(measures: [], groupBy: ["segment"], epsilon: 1, portfolio: true), by: analyst)
        for (group, point) in zip(portfolio.result.groups, portfolio.efficientSet?.groups ?? []) {
            func money(_ measure: String) -> String {
                guard let value = group.values.first(where: { $0.measure == measure }) else { return "?" }
                return String(format: "%.0f [%.0f … %.0f]", value.value / 100, value.interval.lowerBound / 100, value.interval.upperBound / 100)
            }
            say(
                "  segment=\(group.key["segment"] ?? "?"): mean \(money("margin_mean")), sd \(money("margin_sd"))"
                    + (point.efficient ? " — on the efficient set" : " — a mix of efficient segments does as well or better")
            )
        }

        let chart = folder.appendingPathComponent("portfolio.svg")
        try Data(AggregateChart.svg(for: portfolio).utf8).write(to: chart, options: .atomic)
        say("  the frontier chart: \(chart.path) (open it in a browser)")

        say("a narrow query (region × segment × birth decade) hides every group too small to clear the threshold:")
        let narrow = try await vault.aggregate(
            AggregateRequest(measures: ["count"], groupBy: ["region", "segment", "birth_year"], epsilon: 0.5),
            by: analyst
        )
        say(
            "  \(narrow.result.groups.count) group(s) released, \(narrow.result.suppressedGroups) suppressed or empty (indistinguishable), threshold: noisy count ≥ \(narrow.result.suppressionThreshold)"
        )
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
        say(
            "  \(answer.result.suppressedGroups) group(s) suppressed; ε charged \(answer.epsilonCharged); analyst budget left \(answer.budget.analystRemaining), global \(answer.budget.globalRemaining)"
        )
    }

    private func format(_ measure: String, _ value: Double) -> String {
        // Money measures are in cents.
        if measure == "clv" || measure == "customer_equity" || measure.hasPrefix("sum(") && measure.contains("spend") {
            return String(format: "%.0f", value / 100)
        }
        return value.rounded() == value ? String(format: "%.0f", value) : String(format: "%.2f", value)
    }
}
