import ArgumentParser
import Foundation
import Vault

/// `cvault init [DIR]`: a new vault folder with its key file, metadata and database.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new vault (root key file 0600, metadata, database, policy).",
        discussion:
            "Refuses to touch an existing vault or a non-empty folder. Back up the key file separately from the vault: without it nothing can be read."
    )

    @Argument(help: ArgumentHelp("The folder to create (default: --vault, $CVAULT_HOME, else ./vault).", valueName: "DIR"))
    var directory: String?

    @Option(name: .long, help: ArgumentHelp("The consent policy (default: the built-in policies/default.yaml).", valueName: "FILE"))
    var policy: String?

    @Option(name: .long, help: ArgumentHelp("Put the new root key file here instead of DIR/root.key.", valueName: "PATH"))
    var newKeyFile: String?

    @Flag(name: .long, help: "Derive the root key from $CVAULT_PASSPHRASE with scrypt instead of a key file.")
    var passphrase = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Keep the data in this PostgreSQL database (postgres://USER@HOST:PORT/DB, an existing empty database; the password comes from $PGPASSWORD or ~/.pgpass, never the URL) instead of DIR/vault.sqlite.",
            valueName: "URL"
        )
    )
    var database: String?

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let target = directory.map { URL(fileURLWithPath: $0) } ?? global.vaultDirectory
        var policyText: String?
        var policyName = "default.yaml"
        if let policy {
            guard let data = FileManager.default.contents(atPath: policy) else {
                throw VaultError(.invalidRequest, code: .policyUnreadable, "cannot read policy file \(policy)")
            }
            policyText = String(decoding: data, as: UTF8.self)
            policyName = URL(fileURLWithPath: policy).lastPathComponent
        }
        let rootKey: Vault.NewRootKey
        if passphrase {
            guard let secret = ProcessInfo.processInfo.environment["CVAULT_PASSPHRASE"], !secret.isEmpty else {
                throw VaultError(.invalidRequest, code: .passphraseMissing, "--passphrase needs the passphrase in $CVAULT_PASSPHRASE")
            }
            rootKey = .passphrase(secret)
        } else {
            rootKey = .keyFile(newKeyFile)
        }
        let vault = try await Vault.create(
            at: target,
            rootKey: rootKey,
            policyText: policyText,
            policyFileName: policyName,
            database: database ?? "vault.sqlite",
            options: global.vaultOptions
        )
        let keyPath = passphrase ? nil : (newKeyFile ?? target.appendingPathComponent("root.key").path)
        if global.json {
            try Output.json(
                InitReport(
                    vault: target.path,
                    keyFile: keyPath,
                    origin: vault.origin,
                    publicKey: vault.verifierKey.publicKeyBase64,
                    policy: vault.policyInfo.hash
                )
            )
        } else {
            Output.print("Created vault at \(target.path)")
            if let keyPath { Output.print("  root key:   \(keyPath) (mode 0600; back it up apart from the vault)") }
            if let database { Output.print("  database:   \(database)") }
            Output.print("  policy:     \(policyName) (sha256 \(vault.policyInfo.hash.prefix(16))…)")
            Output.print("  log origin: \(vault.origin)")
            Output.print("Next: cvault generate --customers 1000 --out customers.jsonl && cvault import customers.jsonl --vault \(target.path)")
        }
    }

    private struct InitReport: Encodable {
        let vault: String
        let keyFile: String?
        let origin: String
        let publicKey: String
        let policy: String
    }
}
