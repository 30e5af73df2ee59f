import ArgumentParser
import Foundation
import Vault
import VaultPolicy
import VaultStore

/// `cvault me …`: what a customer can do with their own data (customer token).
struct MeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "me",
        abstract: "Your own data: see it, your consents, contest, export, erase (customer token).",
        subcommands: [Show.self, Log.self, Consents.self, Consent.self, Contest.self, Contests.self, Export.self, Erase.self, NextBestProduct.self]
    )

    struct NextBestProduct: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "next-best-product",
            abstract: "What the firm would recommend to you, and why (nothing unless you agreed to personalization)."
        )
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let answer = try await vault.myNextBestProduct(by: try await global.principal(vault))
            if global.json { return try Output.json(answer) }
            showRecommendations(answer)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show your whole profile.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            try show([try await vault.myProfile(by: try await global.principal(vault))], json: global.json)
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Who read or changed what, when and why — each entry proven against the signed log."
        )
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let log = try await vault.myLog(by: try await global.principal(vault))
            if global.json { return try Output.json(log) }
            for item in log.entries {
                let e = item.entry
                Output.print(
                    "#\(item.seq) \(e.at) \(e.actor) (\(e.role)) \(e.op) \(e.decision)" + (e.purpose.map { " for \($0)" } ?? "")
                        + (e.fields.isEmpty ? "" : ": \(e.fields.joined(separator: ", "))") + " — \(e.reason)"
                        + (item.verified ? "  ✓" : "  ✗ PROOF FAILED")
                )
            }
            Output.print(
                log.allVerified
                    ? "All \(log.entries.count) entries are proven (RFC 9162 inclusion proofs) to be in the log whose signed checkpoint of size \(log.size) is:"
                    : "WARNING: some entries could not be proven against the signed checkpoint:"
            )
            Output.print(log.checkpoint.trimmingCharacters(in: .newlines))
            if !log.allVerified { throw ExitCode(1) }
        }
    }

    struct Contest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Contest a field: propose the correct value and say why.",
            discussion: "While the contest is open the field is disputed and the purposes the policy names may not use it (GDPR Art. 18)."
        )
        @Argument(help: "The field.") var field: String
        @Option(name: .long, help: "The correct value.") var value: String
        @Option(name: .long, help: "Why the current value is wrong.") var reason: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let contest = try await vault.openContest(field: field, proposedValue: value, reason: reason, by: try await global.principal(vault))
            if global.json { return try Output.json(contest) }
            Output.print("contest \(contest.id) opened on \(field); staff must answer by \(contest.deadline.formatted(.iso8601))")
        }
    }

    struct Contests: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Your contests and their status; withdraw or reply to staff.")
        @Option(name: .long, help: ArgumentHelp("Withdraw this contest.", valueName: "ID")) var withdraw: String?
        @Option(name: .long, help: ArgumentHelp("Reply to staff's question on this contest (with --message).", valueName: "ID")) var reply: String?
        @Option(name: .long, help: "Your reply.") var message: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let principal = try await global.principal(vault)
            if let id = withdraw ?? reply {
                let contest = try await vault.updateMyContest(id: id, withdraw: withdraw != nil, reply: message, by: principal)
                if global.json { return try Output.json(contest) }
                return Output.print(line(contest))
            }
            let contests = try await vault.myContests(by: principal)
            if global.json { return try Output.json(contests) }
            if contests.isEmpty { Output.note("you have no contests") }
            for contest in contests {
                Output.print(line(contest))
                Output.print("  proposed: \(contest.proposedValue?.description ?? "—"); your reason: \(contest.reason ?? "—")")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write all your data, consents, contests and proven audit entries as one signed JSON document."
        )
        @Option(name: .long, help: ArgumentHelp("Write here instead of standard output.", valueName: "FILE")) var out: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let data = try await vault.exportMine(by: try await global.principal(vault))
            if let out {
                guard FileManager.default.createFile(atPath: out, contents: data, attributes: [.posixPermissions: 0o600]) else {
                    throw VaultError(.unavailable, code: .writeFailed, "cannot write \(out)")
                }
                Output.note("wrote your export to \(out); check it anywhere with `cvault verify-export \(out)`")
            } else {
                FileHandle.standardOutput.write(data)
            }
        }
    }

    struct Consents: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every purpose, its legal basis, your choice and whether it holds now.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let consents = try await vault.myConsents(by: try await global.principal(vault))
            if global.json { return try Output.json(consents) }
            for consent in consents {
                let choice = consent.state.map { "\($0) \(consent.at!.formatted(.iso8601))" } ?? "no choice made"
                Output.print(
                    "\(consent.purpose.padding(toLength: 18, withPad: " ", startingAt: 0)) \(consent.basis.padding(toLength: 20, withPad: " ", startingAt: 0)) \(consent.holds ? "holds " : "denied") \(choice)"
                )
                Output.print("    \(consent.reason)")
            }
        }
    }

    struct Consent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Grant or withdraw consent, or object to a legitimate-interest purpose.")

        enum Action: String, ExpressibleByArgument, CaseIterable {
            case grant, withdraw, object
        }

        @Argument(help: "grant, withdraw or object.") var action: Action
        @Argument(help: "The purpose.") var purpose: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let state: ConsentRecord.Status =
                switch action {
                case .grant: .granted
                case .withdraw: .withdrawn
                case .object: .objected
                }
            try await vault.setMyConsent(purpose: purpose, to: state, by: try await global.principal(vault))
            if global.json { return try Output.json(["purpose": purpose, "state": state.rawValue]) }
            Output.print("\(purpose): \(state.rawValue)")
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase all your data (crypto-shredding); prints a signed receipt.",
            discussion: """
                Permanent. Your data and data-encryption key leave the live vault at once; backups made before hold your key                 only under a key epoch that the vault destroys on the date the receipt names, after which no backup can be                 decrypted for you. The audit log keeps its entries (ids and field names, never values).                 Check the receipt with `cvault verify-receipt FILE --public-key KEY`.
                """
        )

        @Flag(name: .long, help: "Confirm that the erasure is permanent.") var confirm = false
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let receipt = try await vault.eraseMe(confirm: confirm, by: try await global.principal(vault))
            if global.json { return try Output.json(receipt) }
            Output.print(
                "Erased at \(receipt.erasedAt.formatted(.iso8601)); backups the vault made cannot decrypt your data from \(receipt.backupsUndecryptableFrom.formatted(.iso8601))."
            )
            Output.print("Signed receipt:")
            Output.print(receipt.statement)
            Output.print("signature (Ed25519, base64): \(receipt.signature)")
            Output.print("public key (base64):         \(receipt.publicKey)")
        }
    }
}
