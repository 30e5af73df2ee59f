import ArgumentParser
import Foundation
import Vault
import VaultStore

/// `cvault storage copy --to DEST`: moving a vault between SQLite and PostgreSQL.
struct StorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Move a vault into PostgreSQL, or copy it into a SQLite folder to investigate (operator).",
        subcommands: [Copy.self]
    )

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the vault's database and prove the copy.",
            discussion: """
                --to postgres://USER@HOST:PORT/DB moves the vault: stop every process using it first. Everything is copied \
                from one snapshot into the (existing, empty) database, in batches; an interrupted copy resumes when run \
                again. The copy is proved — the same audit log and checkpoint, every customer readable, the same budgets \
                and contests — and only then does vault.json name the new database. The old database file is left as it \
                was: it becomes undecryptable with the current key epochs, like a backup. The password comes from \
                $PGPASSWORD or ~/.pgpass, never from the URL.

                --to sqlite:DIR makes DIR a new vault folder holding a copy, for an investigation on a laptop, while the \
                vault goes on serving: a backup restored into DIR, with the key store, the erasure ledger and (if it is \
                in the vault folder) the root key file. Its log continues under its own origin, without witnesses.
                """
        )

        @Option(name: .long, help: ArgumentHelp("postgres://USER@HOST:PORT/DB, or sqlite:DIR for a new vault folder.", valueName: "DEST"))
        var to: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            if to.hasPrefix("sqlite:") {
                let folder = String(to.dropFirst("sqlite:".count))
                guard !folder.isEmpty else {
                    throw VaultError(.invalidRequest, code: .badDestination, "sqlite: needs a folder, as in --to sqlite:./investigation")
                }
                let report = try await Vault.copyToNewFolder(
                    from: global.vaultDirectory,
                    into: URL(fileURLWithPath: folder),
                    options: global.vaultOptions
                )
                if global.json { return try Output.json(report) }
                Output.print("copied the vault into \(folder): audit log of \(report.backupLogSize) entries, \(report.customersRestored) customers")
                Output.print("  its log continues under its own origin \(report.origin); open it with --vault \(folder)")
                return
            }
            let bar = Box<ProgressBar?>(nil)
            let step = Box<String>("")
            let report = try await Vault.moveStorage(of: global.vaultDirectory, to: to, options: global.vaultOptions) { progress in
                if step.value != progress.step {
                    step.value = progress.step
                    bar.value = ProgressBar(total: progress.total, label: "copy \(progress.step)")
                }
                bar.value?.update(progress.done)
            }
            if global.json { return try Output.json(report) }
            Output.print("moved the vault into \(report.destination)\(report.resumed ? " (resumed)" : "")")
            Output.print(
                "  proved: \(report.customers) customers (\(report.customersReadable) live ones readable), audit log of \(report.auditSize) entries with root \(report.auditRoot), \(report.charges) budget charges, \(report.contests) contests"
            )
            Output.print(
                "  vault.json now names it; the old database file is left as it was (undecryptable once the current key epochs are destroyed)"
            )
        }
    }
}
