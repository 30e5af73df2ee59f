import ArgumentParser
import Foundation
import Vault

/// `cvault contests list|show|resolve`: staff review of customers' contests.
struct ContestsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contests",
        abstract: "Review customers' contests (support staff).",
        subcommands: [List.self, Show.self, Resolve.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List contests (values are not shown).")
        @Option(name: .long, help: "open, overdue or all (default: all).") var status: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let contests = try await vault.listContests(status: status, by: try await global.principal(vault))
            if global.json { return try Output.json(contests) }
            if contests.isEmpty { Output.note("no contests") }
            for contest in contests { Output.print(line(contest)) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one contest with its proposed value and reason (audited).")
        @Argument(help: "Contest id.") var id: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let contest = try await vault.reviewContest(id: id, by: try await global.principal(vault))
            if global.json { return try Output.json(contest) }
            Output.print(line(contest))
            Output.print("  proposed: \(contest.proposedValue?.description ?? "—")")
            Output.print("  reason:   \(contest.reason ?? "—")")
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accept (apply the correction), reject, or ask for information.")
        @Argument(help: "Contest id.") var id: String
        @Flag(name: .long, help: "Apply the proposed value.") var accept = false
        @Flag(name: .long, help: "Keep the current value.") var reject = false
        @Flag(name: .long, help: "Ask the customer for more information.") var requestInfo = false
        @Option(name: .long, help: "Why (the customer sees it).") var reason: String
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard [accept, reject, requestInfo].filter({ $0 }).count == 1 else {
                throw ValidationError("give exactly one of --accept, --reject or --request-info")
            }
        }

        func run() async throws {
            let resolution: ContestResolution = accept ? .accept : (reject ? .reject : .requestInfo)
            let vault = try await global.open()
            let contest = try await vault.resolveContest(id: id, resolution: resolution, reason: reason, by: try await global.principal(vault))
            if global.json { return try Output.json(contest) }
            Output.print(line(contest))
        }
    }
}

func line(_ contest: ContestView) -> String {
    "\(contest.id)  \(contest.customer)  \(contest.field)  \(contest.status)\(contest.overdue ? " (OVERDUE)" : "")  opened \(contest.openedAt.formatted(.iso8601))  due \(contest.deadline.formatted(.iso8601))"
        + (contest.resolution.map { "\n  staff: \($0)" } ?? "")
}
