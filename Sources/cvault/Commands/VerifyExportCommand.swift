import ArgumentParser
import Foundation
import Vault

/// `cvault verify-export FILE`: check an export offline.
struct VerifyExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-export",
        abstract: "Check an export offline: the vault's signature, its checkpoint and every inclusion proof."
    )

    @Argument(help: "The export file.") var file: String
    @Option(name: .long, help: ArgumentHelp("Require this vault public key (base64, from `cvault audit public-key`).", valueName: "KEY"))
    var publicKey: String?
    @Flag(name: .long, help: "Print machine-readable JSON.") var json = false

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw VaultError(.invalidRequest, code: "file_unreadable", "cannot read \(file)")
        }
        let result = Vault.verifyExport(data, trustedPublicKey: publicKey)
        if json {
            try Output.json(result)
        } else if result.ok {
            Output.print("export OK: signed by the vault; \(result.entriesVerified) audit entries proven against its signed checkpoint"
                         + (publicKey == nil ? " (pass --public-key to pin the vault's key)" : ""))
        } else {
            Output.print("export FAILED verification:")
            for problem in result.problems { Output.print("  - \(problem)") }
        }
        if !result.ok { throw ExitCode(1) }
    }
}
