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
            Measures: count, sum(FIELD), mean(FIELD), clv, customer_equity, retention, share_of_wallet, rfm, \
            margin_mean, margin_variance, margin_sd (a customer's annual margin over the CLV window).

            --portfolio adds each group's margin mean, variance and standard deviation and prints the \
            efficient set: the mixes of groups with the highest mean margin per customer for each \
            variance, computed from the released numbers only (no further ε).
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
    @Flag(name: .long, help: "The customer portfolio: margin mean and variance per group, and the efficient set.") var portfolio = false
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also draw the answer as an SVG chart into FILE: error bars per measure, or with --portfolio the "
                + "mean–variance plane and the efficient frontier.",
            valueName: "FILE"
        )
    )
    var chart: String?
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard !measures.isEmpty || portfolio else { throw ValidationError("give at least one --measure, or --portfolio") }
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
        let request = AggregateRequest(
            measures: measures,
            groupBy: groupBy.map(splitList) ?? [],
            filters: whereClause,
            epsilon: epsilon,
            portfolio: portfolio
        )
        let vault = try await global.open()
        let answer = try await vault.aggregate(request, by: try await global.principal(vault))
        if let chart {
            do {
                try Data(AggregateChart.svg(for: answer).utf8).write(to: URL(fileURLWithPath: chart), options: .atomic)
                Output.note("wrote the chart to \(chart)")
            } catch {
                throw VaultError(
                    .invalidRequest,
                    code: .fileUnwritable,
                    "cannot write the chart to \(chart) (\(error.localizedDescription)); the answer was computed and its ε charged: "
                        + "ask the identical query again with another --chart path, a repeat is free"
                )
            }
        }
        if global.json { return try Output.json(answer) }
        Output.print("query: \(answer.result.query)")
        for group in answer.result.groups {
            let key = group.key.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            Output.print(key.isEmpty ? "all customers" : key)
            for value in group.values {
                let measure = value.measure
                Output.print(
                    "  \(measure.padding(toLength: 22, withPad: " ", startingAt: 0)) \(AggregateFormat.number(value.value, measure: measure))"
                        + "  ±scale \(AggregateFormat.number(value.noiseScale, measure: measure))"
                        + "  95% [\(AggregateFormat.number(value.interval.lowerBound, measure: measure)), \(AggregateFormat.number(value.interval.upperBound, measure: measure))]"
                )
            }
        }
        if let efficient = answer.efficientSet { printEfficientSet(efficient) }
        Output.print(
            "\(answer.result.suppressedGroups) group(s) not shown (suppressed or empty; a group needs a noisy count ≥ \(answer.result.suppressionThreshold))"
        )
        Output.print(
            answer.cached
                ? "answered from the cache (the data is unchanged since \(DayNumber.isoDate(answer.result.asOf))): no ε charged"
                : "ε charged: \(answer.epsilonCharged)"
        )
        Output.print("budget left: \(answer.budget.analystRemaining) for you, \(answer.budget.globalRemaining) globally")
    }
}

extension AggregateCommand {
    /// The frontier's corners, least risky first, and the groups no mix of them beats.
    private func printEfficientSet(_ efficient: EfficientSet) {
        func name(_ key: [String: String]) -> String {
            key.isEmpty ? "all customers" : key.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        Output.print("efficient set (mean annual margin per customer for each level of risk; mixes combine neighbouring corners):")
        for point in efficient.frontier {
            Output.print(
                "  \(name(point.key).padding(toLength: 28, withPad: " ", startingAt: 0)) mean \(AggregateFormat.number(point.mean, money: true))"
                    + "  sd \(AggregateFormat.number(point.variance.squareRoot(), money: true))"
            )
        }
        let beaten = efficient.groups.filter { !$0.efficient }.map { name($0.key) }
        if !beaten.isEmpty { Output.print("  matched or beaten by a mix of the above: \(beaten.joined(separator: ", "))") }
        Output.print("  (assumes customers' margins independent of each other; no covariance between groups is estimated)")
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
        Output.print(
            "  you:    spent \(status.analystSpent) in the period \(view.period) since \(view.since.formatted(.iso8601)); "
                + "\(status.analystLifetimeSpent) ever; left now \(status.analystRemaining) (lifetime cap: \(status.analystLifetimeRemaining) left, never renews)"
        )
        Output.print(
            "  global: spent \(status.globalSpent) in the period \(view.globalPeriod) since \(view.globalSince.formatted(.iso8601)); "
                + "\(status.globalLifetimeSpent) ever; left now \(status.globalRemaining) (lifetime cap: \(status.globalLifetimeRemaining) left, never renews)"
        )
    }
}

/// Numbers for people: money in currency units (the engine works in cents).
enum AggregateFormat {
    static func isMoney(_ measure: String) -> Bool { ChartUnit.of(measure) == .money }

    static func number(_ value: Double, money: Bool) -> String {
        money
            ? String(format: "%.2f", value / 100)
            : (value == value.rounded() && abs(value) < 1e15 ? String(format: "%.0f", value) : String(format: "%.4f", value))
    }

    /// A measure's value for people: money in currency units, a margin variance in units².
    static func number(_ value: Double, measure: String) -> String {
        measure == "margin_variance" ? String(format: "%.2f", value / 10_000) : number(value, money: isMoney(measure))
    }
}
