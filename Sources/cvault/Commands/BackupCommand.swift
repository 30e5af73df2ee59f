import ArgumentParser
import Foundation
import Vault

/// `cvault backup DEST`: an online, consistent copy of the database.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database into a new file, online and consistent (SQLite's backup API).",
        discussion: """
            The backup holds ciphertext and customer keys wrapped under key epochs — never the epochs' keys, which stay \
            in the vault folder's key store (epoch.keys). It can be restored only while those epochs live: after the \
            key roll that destroys them it cannot be decrypted by anyone, which is how erasure reaches backups. Keep \
            copies of the key store (and erasure.ledger) apart from data backups, and no longer than an epoch lives.
            """
    )

    @Argument(help: ArgumentHelp("The new backup file (refuses to overwrite one).", valueName: "DEST"))
    var destination: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let vault = try await global.open()
        let info = try await vault.backup(to: destination, by: try await global.operatorPrincipal(vault))
        if global.json { return try Output.json(info) }
        Output.print(
            "backup written to \(info.path): audit log of \(info.logSize) entries, key epoch(s) \(info.keyEpochs.map { "v\($0)" }.joined(separator: ", "))"
        )
        Output.print(
            "it can be restored until those epochs are destroyed, due \(info.undecryptableFrom.formatted(.iso8601)); after that nobody can decrypt it"
        )
    }
}

/// `cvault restore SRC DIR`: the one deliberate rollback of the log.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace a vault's database with a backup (stop `cvault serve` first).",
        discussion: """
            DIR is the vault folder: it keeps its vault.json, root key and key store; the current database is kept aside \
            as vault.sqlite.replaced-<time>. The backup must prove its own audit log. Customers erased since the backup \
            was taken are erased again (from erasure.ledger); customers whose key epoch was destroyed cannot be decrypted \
            and are erased. The log continues as a new generation under a new origin, and its first entry records what \
            was restored and from which checkpoint: tell your witnesses to accept the new origin.
            """
    )

    @Argument(help: ArgumentHelp("The backup file (from `cvault backup`).", valueName: "SRC"))
    var source: String
    @Argument(help: ArgumentHelp("The vault folder to restore into.", valueName: "DIR"))
    var directory: String
    @Flag(name: .long, help: "Confirm that everything after the backup is rolled back (erasures excepted).") var confirm = false
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let report = try await Vault.restore(from: source, into: URL(fileURLWithPath: directory), confirm: confirm, options: global.vaultOptions)
        if global.json { return try Output.json(report) }
        Output.print(
            "restored \(directory) from \(source): the log continues from size \(report.backupLogSize)"
                + (report.previousLogSize.map { " (the vault had signed up to \($0); what lay between was rolled back)" } ?? "")
        )
        Output.print(
            "  customers: \(report.customersRestored) restored, \(report.erasuresReapplied) erased again (erased after the backup), "
                + "\(report.customersUnreadable) erased because their key epoch was destroyed"
        )
        if let replaced = report.replacedDatabase {
            Output.print("  the replaced database is kept at \(replaced); delete it once you no longer need it")
        }
        Output.print("  new log origin: \(report.origin) — add it to every witness that watched this vault")
    }
}
