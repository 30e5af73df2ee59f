import ArgumentParser

/// `cvault init DIR`.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a new vault.")
}
