import ArgumentParser
import Foundation
import Vault
import VaultPostgres
import VaultSQLite

/// Options every vault command shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The vault folder (default: $CVAULT_HOME, else ./vault).", valueName: "DIR"))
    var vault: String?

    @Option(name: .long, help: ArgumentHelp("The root key file, if not the one vault.json names (or $CVAULT_KEY_FILE).", valueName: "PATH"))
    var keyFile: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Bearer token of the actor. Visible to other local users in the process list: prefer $CVAULT_TOKEN or --token-file.",
            valueName: "TOKEN"
        )
    )
    var token: String?

    @Option(name: .long, help: ArgumentHelp("A file holding the bearer token of the actor (or set $CVAULT_TOKEN).", valueName: "PATH"))
    var tokenFile: String?

    @Flag(name: .long, help: "Print machine-readable JSON.")
    var json = false

    /// The vault folder to use.
    var vaultDirectory: URL {
        let path = vault ?? ProcessInfo.processInfo.environment["CVAULT_HOME"] ?? "vault"
        return URL(fileURLWithPath: path)
    }

    /// Options for opening: the key source comes from flags or the environment.
    var vaultOptions: VaultOptions {
        var options = VaultOptions.standard
        let environment = ProcessInfo.processInfo.environment
        if let passphrase = environment["CVAULT_PASSPHRASE"], !passphrase.isEmpty {
            options.keySource = .passphrase(passphrase)
        } else if let path = keyFile ?? environment["CVAULT_KEY_FILE"] {
            options.keySource = .keyFile(path)
        }
        return options
    }

    /// Opens the vault, and first rolls its key epoch if the current one has outlived its period:
    /// an erasure receipt promises the date by which backups become undecryptable, and every
    /// command the operator runs keeps that promise. `inspectOnly` opens a vault whose log fails its
    /// anchor check, for `audit verify`, and changes nothing.
    func open(inspectOnly: Bool = false, rollIfDue: Bool = true, signInNotifier: (any SignInNotifier)? = nil) async throws -> Vault {
        var options = vaultOptions
        options.inspectOnly = inspectOnly
        options.signInNotifier = signInNotifier
        let vault = try await Vault.open(at: vaultDirectory, options: options)
        if rollIfDue, !inspectOnly {
            let bar = Box<ProgressBar?>(nil)
            try await vault.rollKeyEpochIfDue { done, total in
                if bar.value == nil { bar.value = ProgressBar(total: total, label: "key epoch roll (due)") }
                bar.value?.update(done)
            }
        }
        return vault
    }

    /// The token given: `--token` (with a warning), `--token-file`, or `$CVAULT_TOKEN`.
    func bearerToken() throws -> String? {
        if let token {
            Output.note("warning: a token given with --token is visible to other local users (ps, /proc); use $CVAULT_TOKEN or --token-file")
            return token
        }
        if let tokenFile {
            guard let data = FileManager.default.contents(atPath: tokenFile) else {
                throw VaultError(.invalidRequest, code: .fileUnreadable, "cannot read the token file \(tokenFile)")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return ProcessInfo.processInfo.environment["CVAULT_TOKEN"]
    }

    /// The actor: the token's principal (required).
    func principal(_ vault: Vault) async throws -> Principal {
        guard let token = try bearerToken(), !token.isEmpty else {
            throw VaultError.unauthenticatedCLI
        }
        return try await vault.authenticate(token: token)
    }

    /// For operator commands: an operator token if one is given, else the local key holder.
    func operatorPrincipal(_ vault: Vault) async throws -> Principal {
        if let token = try bearerToken(), !token.isEmpty {
            return try await vault.authenticate(token: token)
        }
        return .localOperator
    }
}

extension VaultError {
    static var unauthenticatedCLI: VaultError {
        VaultError(
            .unauthenticated,
            code: .unauthenticated,
            "this command acts for someone: set CVAULT_TOKEN or pass --token-file PATH (tokens come from `cvault token issue`)"
        )
    }
}

extension VaultOptions {
    /// The storage backends this program is built with, and every other option at its default.
    static var standard: VaultOptions { VaultOptions(backends: [SQLiteBackend(), PostgresBackend()]) }
}
