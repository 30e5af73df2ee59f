import ArgumentParser
import Foundation
import Vault

/// The key an offline check is pinned to: given outright, or read from a vault folder's vault.json.
struct PinnedKeyOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The vault's public key (base64, from `cvault audit public-key`).", valueName: "KEY"))
    var publicKey: String?
    @Option(name: .long, help: ArgumentHelp("Or: the vault folder whose key to use.", valueName: "DIR"))
    var vault: String?

    /// The pinned key, or nil when neither was given (the check then says UNPINNED and fails).
    func key() throws -> String? {
        if let publicKey { return publicKey }
        return try vault.map { try Vault.publicKey(of: URL(fileURLWithPath: $0)) }
    }
}

/// `cvault verify-export FILE`: check an export offline.
struct VerifyExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-export",
        abstract: "Check an export offline: the vault's signature, its checkpoint and every inclusion proof.",
        discussion:
            "Needs the vault's key (--public-key or --vault); without one it says UNPINNED and exits 1, since anyone can sign a document with a key of their own."
    )

    @Argument(help: "The export file.") var file: String
    @OptionGroup var pin: PinnedKeyOptions
    @Flag(name: .long, help: "Print machine-readable JSON.") var json = false

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw VaultError(.invalidRequest, code: .fileUnreadable, "cannot read \(file)")
        }
        let result = Vault.verifyExport(data, pinnedPublicKey: try pin.key())
        if json {
            try Output.json(result)
        } else if result.ok {
            Output.print("export OK: signed by the pinned vault key; \(result.entriesVerified) audit entries proven against its signed checkpoint")
        } else {
            Output.print(result.pinned ? "export FAILED verification:" : "export UNPINNED: not verified")
            for problem in result.problems { Output.print("  - \(problem)") }
        }
        if !result.ok { throw ExitCode(1) }
    }
}

/// `cvault verify-receipt FILE`: check an erasure receipt offline.
struct VerifyReceiptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-receipt",
        abstract: "Check an erasure receipt (from `me erase --json` or DELETE /v1/me) against the vault's key.",
        discussion: "Needs the vault's key (--public-key or --vault); without one it says UNPINNED and exits 1."
    )

    @Argument(help: "The receipt file (JSON).") var file: String
    @OptionGroup var pin: PinnedKeyOptions
    @Flag(name: .long, help: "Print machine-readable JSON.") var json = false

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw VaultError(.invalidRequest, code: .fileUnreadable, "cannot read \(file)")
        }
        let result = Vault.verifyReceipt(data, pinnedPublicKey: try pin.key())
        if json {
            try Output.json(result)
        } else if result.ok {
            Output.print(
                "receipt OK: signed by the pinned vault key; backups cannot decrypt this customer from \(result.backupsUndecryptableFrom ?? "an unstated date")"
            )
        } else {
            Output.print(result.pinned ? "receipt FAILED verification:" : "receipt UNPINNED: not verified")
            for problem in result.problems { Output.print("  - \(problem)") }
        }
        if !result.ok { throw ExitCode(1) }
    }
}
