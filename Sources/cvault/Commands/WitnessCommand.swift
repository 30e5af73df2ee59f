import ArgumentParser
import Foundation
import Vault
import VaultHTTP

/// `cvault witness …`: run a witness for someone else's vault, or point this vault at witnesses.
struct WitnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Witnesses (C2SP tlog-witness): run one for a vault you do not control, or have this vault submit to one.",
        discussion: """
            A witness cosigns a vault's checkpoints only while each is consistent with the last it cosigned, so a \
            vault whose log was rolled back or rewritten cannot get its cosignature. Run it apart from the vault \
            (init, trust, serve); the vault's operator then adds it (add) with the key `witness init` printed.
            """,
        subcommands: [Init.self, Trust.self, Serve.self, Add.self, Remove.self, List.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a witness: its key (0600) and state, in a new folder outside any vault.")
        @Argument(help: ArgumentHelp("The witness folder to create.", valueName: "DIR")) var directory: String
        @Option(name: .long, help: "The witness's key name (no spaces or '+'; default cvault-witness/<key prefix>).") var name: String?
        @Option(name: .long, help: ArgumentHelp("A log to watch: its verifier key from `cvault audit public-key` (repeatable).", valueName: "VKEY"))
        var log: [String] = []

        func run() async throws {
            let witness = try WitnessService.create(at: URL(fileURLWithPath: directory), name: name, logs: log)
            Output.print("Created witness \(witness.name) in \(directory)")
            Output.print("  its key (give it to the vault's operator for `cvault witness add URL KEY`):")
            Output.print(witness.verifierKey)
        }
    }

    struct Trust: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Have the witness watch another log (a vault, or a vault's new generation after a restore)."
        )
        @Argument(help: ArgumentHelp("The witness folder.", valueName: "DIR")) var directory: String
        @Argument(help: ArgumentHelp("The log's verifier key (`cvault audit public-key`).", valueName: "VKEY")) var key: String

        func run() async throws {
            let witness = try WitnessService(directory: URL(fileURLWithPath: directory))
            try await witness.trust(key)
            Output.print("\(witness.name) now watches \(key.split(separator: "+").first ?? "")")
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serve the witness over HTTP: POST /add-checkpoint (C2SP tlog-witness).")
        @Argument(help: ArgumentHelp("The witness folder.", valueName: "DIR")) var directory: String
        @Option(name: .long, help: "The address to listen on.") var host = "127.0.0.1"
        @Option(name: .long, help: "The TCP port.") var port = 8090

        func validate() throws {
            guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0–65535") }
        }

        func run() async throws {
            let witness = try WitnessService(directory: URL(fileURLWithPath: directory))
            let logger = VaultServer.logger(levelName: ProcessInfo.processInfo.environment["CVAULT_LOG_LEVEL"])
            let host = host
            try await WitnessServer.run(witness: witness, host: host, port: port, logger: logger) { port in
                Output.note("witness \(witness.name) serving on http://\(host):\(port) (SIGINT or SIGTERM stops it)")
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Have this vault submit every checkpoint to a witness (operator).")
        @Argument(help: ArgumentHelp("The witness's URL (requests go to URL/add-checkpoint).", valueName: "URL")) var url: String
        @Argument(help: ArgumentHelp("The witness's key, as `cvault witness init` printed it.", valueName: "KEY")) var key: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let status = try await vault.addWitness(url: url, key: key, by: try await global.operatorPrincipal(vault))
            if global.json { return try Output.json(status) }
            Output.print("added witness \(status.name): \(status.detail)")
            if status.state != .cosigned { throw ExitCode(1) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop submitting this vault's checkpoints to a witness (operator).")
        @Argument(help: ArgumentHelp("The witness's key.", valueName: "KEY")) var key: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            try await vault.removeWitness(key: key, by: try await global.operatorPrincipal(vault))
            Output.print("removed the witness; `cvault witness list` shows who is left")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The witnesses this vault submits to, and what each cosigned last.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let witnesses = try await vault.listWitnesses(by: try await global.operatorPrincipal(vault))
            if global.json { return try Output.json(witnesses) }
            if witnesses.isEmpty {
                return Output.print("no witness: the log is anchored only on this machine (add one with `cvault witness add URL KEY`)")
            }
            for witness in witnesses {
                Output.print(
                    "\(witness.name) at \(witness.url): "
                        + (witness.cosignedSize.map { "cosigned size \($0)" + (witness.cosignedAt.map { " at \($0.formatted(.iso8601))" } ?? "") }
                            ?? "nothing cosigned yet")
                )
            }
        }
    }
}
