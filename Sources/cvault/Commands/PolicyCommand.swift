import ArgumentParser

/// `cvault policy …` (filled in by the policy work).
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "policy", abstract: "Check and explain consent policies.")
}
