import ArgumentParser
import Foundation
import Vault
import VaultAnalytics

/// `cvault aggregate`: noisy, suppressed, budgeted aggregates (analyst token).
struct AggregateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate",
        abstract: "Ask an aggregate question: noisy counts, sums, means, CLV, customer equity… never a row.",
        discussion: """
            Measures: count, sum(FIELD), mean(FIELD), clv, customer_equity, retention, share_of_wallet, rfm.
            Text output shows money in currency units; --json gives every number in the engine's units: \
            money (clv, customer_equity, sums and means of decimal fields) in cents, counts in customers, \
            retention and share_of_wallet as fractions in [0, 1].

            ε is charged to your budget and the global budget before the answer is computed; an identical \
            repeat is answered from the cache for free.
            """
    )

    @Option(name: .customLong("measure"), help: ArgumentHelp("A measure (repeatable).", valueName: "M")) var measures: [String] = []
    @Option(name: .long, help: ArgumentHelp("Group-by fields, comma-separated (policy group_by fields, or rfm).", valueName: "F[,F2]"))
    var groupBy: String?
    @Option(name: .customLong("where"), help: ArgumentHelp("An equality filter on a group-by field (repeatable).", valueName: "F=V"))
    var filters: [String] = []
    @Option(name: .long, help: "ε to spend (default: the policy's).") var epsilon: Double?
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard !measures.isEmpty else { throw ValidationError("give at least one --measure") }
        for filter in filters where filter.split(separator: "=").count != 2 {
            throw ValidationError("--where expects FIELD=VALUE")
        }
    }

    func run() async throws {
        var whereClause: [String: String] = [:]
        for filter in filters {
            let parts = filter.split(separator: "=", maxSplits: 1)
            whereClause[String(parts[0])] = String(parts[1])
        }
        let request = AggregateRequest(measures: measures, groupBy: groupBy.map(splitList) ?? [], filters: whereClause, epsilon: epsilon)
        let vault = try await global.open()
        let answer = try await vault.aggregate(request, by: try await global.principal(vault))
        if global.json { return try Output.json(answer) }
        Output.print("query: \(answer.result.query)")
        for group in answer.result.groups {
            let key = group.key.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            Output.print(key.isEmpty ? "all customers" : key)
            for value in group.values {
                let money = AggregateFormat.isMoney(value.measure)
                Output.print("  \(value.measure.padding(toLength: 22, withPad: " ", startingAt: 0)) \(AggregateFormat.number(value.value, money: money))"
                             + "  ±scale \(AggregateFormat.number(value.noiseScale, money: money))"
                             + "  95% [\(AggregateFormat.number(value.interval.lowerBound, money: money)), \(AggregateFormat.number(value.interval.upperBound, money: money))]")
            }
        }
        Output.print("\(answer.result.suppressedGroups) group(s) not shown (suppressed or empty; a group needs a noisy count ≥ \(answer.result.suppressionThreshold))")
        Output.print(answer.cached ? "answered from the cache (the data is unchanged since \(DayNumber.isoDate(answer.result.asOf))): no ε charged"
                                   : "ε charged: \(answer.epsilonCharged)")
        Output.print("budget left: \(answer.budget.analystRemaining) for you, \(answer.budget.globalRemaining) globally")
    }
}

/// `cvault budget`: spent and remaining ε.
struct BudgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "budget", abstract: "Your privacy budget: ε spent and left, yours and global.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let vault = try await global.open()
        let view = try await vault.budgetStatus(by: try await global.principal(vault))
        if global.json { return try Output.json(view) }
        let status = view.status
        Output.print("analyst \(view.analyst)")
        Output.print("  you:    spent \(status.analystSpent) in the period \(view.period) since \(view.since.formatted(.iso8601)); "
                     + "\(status.analystLifetimeSpent) ever; left now \(status.analystRemaining) (lifetime cap: \(status.analystLifetimeRemaining) left, never renews)")
        Output.print("  global: spent \(status.globalSpent) in the period \(view.globalPeriod) since \(view.globalSince.formatted(.iso8601)); "
                     + "\(status.globalLifetimeSpent) ever; left now \(status.globalRemaining) (lifetime cap: \(status.globalLifetimeRemaining) left, never renews)")
    }
}

/// Numbers for people: money in currency units (the engine works in cents).
enum AggregateFormat {
    static func isMoney(_ measure: String) -> Bool {
        measure == "clv" || measure == "customer_equity" || measure.contains("category_spend") || measure.contains("purchases")
    }

    static func number(_ value: Double, money: Bool) -> String {
        money ? String(format: "%.2f", value / 100) : (value == value.rounded() && abs(value) < 1e15 ? String(format: "%.0f", value) : String(format: "%.4f", value))
    }
}
