import ArgumentParser

/// `cvault policy …`: check policy files and explain decisions.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check, explain and apply consent policies.",
        subcommands: [PolicyCheckCommand.self, PolicyExplainCommand.self, PolicyApplyCommand.self, PolicyHistoryCommand.self]
    )
}
