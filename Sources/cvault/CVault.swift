import ArgumentParser
import Foundation
import Vault

/// The `cvault` command: a privacy-respecting customer data vault.
@main
struct CVault: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cvault",
        abstract: "CustomerVault: customer profiles encrypted per customer, consent policies as code, a tamper-evident audit log.",
        version: CVaultVersion.current,
        subcommands: [
            DemoCommand.self,
            InitCommand.self,
            GenerateCommand.self,
            ImportCommand.self,
            TokenCommand.self,
            CustomerCommand.self,
            MeCommand.self,
            ContestsCommand.self,
            AggregateCommand.self,
            ModelCommand.self,
            BudgetCommand.self,
            AuditCommand.self,
            VerifyExportCommand.self,
            VerifyReceiptCommand.self,
            KeysCommand.self,
            BackupCommand.self,
            RestoreCommand.self,
            StorageCommand.self,
            WitnessCommand.self,
            RetentionCommand.self,
            PolicyCommand.self,
            ServeCommand.self,
            PortalCommand.self,
        ]
    )

    /// Exit codes: 0 ok, 1 refused or a failed check, 2 usage (ArgumentParser's own is 64).
    static func main() async {
        // Everything the vault writes (database, WAL, exports) is for its owner only.
        umask(0o077)
        Vault.bootstrapLogging(levelName: ProcessInfo.processInfo.environment["CVAULT_LOG_LEVEL"])
        do {
            var command = try await asyncParseAsRoot(nil)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            // Checkpoints this command committed are kept outside the database, and reach the
            // witnesses, before the process ends.
            await Vault.settle()
        } catch let error as VaultError {
            // A refusal commits its audit entry too: its checkpoint goes to the witnesses all the same.
            await Vault.settle()
            let hint = CLIHint.for(error).map { "\n  (\($0))" } ?? ""
            FileHandle.standardError.write(Data("error: \(Output.printable(error.message))\(hint)\n".utf8))
            Foundation.exit(1)
        } catch {
            await Vault.settle()
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// The version printed by `cvault --version`.
enum CVaultVersion {
    static let current = "0.1.0"
}
