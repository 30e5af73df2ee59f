import ArgumentParser

/// `cvault policy …`: check policy files and explain decisions.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check and explain consent policies.",
        subcommands: [PolicyCheckCommand.self, PolicyExplainCommand.self]
    )
}
