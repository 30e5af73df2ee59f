import ArgumentParser
import Foundation
import Vault

/// `cvault policy apply FILE`: put a new policy in force in a vault (operator).
struct PolicyApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Validate a policy and put it in force in the vault; earlier versions stay in the history.",
        discussion: "Every audit entry records the hash of the policy it was decided under."
    )

    @Argument(help: "The policy file.") var file: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw VaultError(.invalidRequest, code: .fileUnreadable, "cannot read \(file)")
        }
        let vault = try await global.open()
        let version = try await vault.applyPolicy(
            text: String(decoding: data, as: UTF8.self),
            fileName: URL(fileURLWithPath: file).lastPathComponent,
            by: try await global.operatorPrincipal(vault)
        )
        if global.json {
            try Output.json(version)
        } else {
            Output.print("policy \(version.fileName) (sha256 \(version.hash)) is now in force")
        }
        Output.note("a running `cvault serve` on this vault takes it up within a second")
    }
}

/// `cvault policy history`: every policy version the vault has had.
struct PolicyHistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "List the policy versions this vault has had, oldest first.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let vault = try await global.open()
        let history = try await vault.policyHistory()
        if global.json { return try Output.json(history) }
        for version in history {
            Output.print("\(version.appliedAt.formatted(.iso8601))  \(version.hash)  \(version.fileName)")
        }
    }
}
