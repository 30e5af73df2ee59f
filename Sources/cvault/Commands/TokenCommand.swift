import ArgumentParser
import Foundation
import Vault

/// `cvault token issue|revoke|list`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Issue, revoke and list bearer tokens (operator).",
        subcommands: [Issue.self, Revoke.self, List.self]
    )

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a token; it is printed once, alone on the last line of standard output.",
            discussion: "Only its keyed hash is stored: a lost token cannot be recovered, only revoked and reissued."
        )

        @Option(name: .long, help: "Role: customer, support, marketing, analyst, auditor or operator.")
        var role: String

        @Option(name: .long, help: ArgumentHelp("The customer a customer token acts for.", valueName: "ID"))
        var customer: String?

        @Option(name: .long, help: ArgumentHelp("The staff member a staff token acts for.", valueName: "NAME"))
        var name: String?

        @Option(name: .long, help: ArgumentHelp("Lifetime as an ISO 8601 duration (e.g. P30D, PT12H).", valueName: "DURATION"))
        var expires: String?

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let issued = try await vault.issueToken(
                role: role,
                customerID: customer,
                name: name,
                expiresIn: expires,
                by: try await global.operatorPrincipal(vault)
            )
            let expiry = issued.expiresAt.map { "expires \($0.formatted(.iso8601))" } ?? "does not expire"
            Output.note("Issued token \(issued.id) for \(issued.role) \(issued.subject) (\(expiry)). Store it now: it is shown only once.")
            Output.print(issued.secret)
        }

    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id (tok_…) or its secret.")

        @Argument(help: ArgumentHelp("Token id or secret.", valueName: "TOKEN-ID"))
        var token: String

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            try await vault.revokeToken(token, by: try await global.operatorPrincipal(vault))
            Output.print("revoked")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (ids, roles, subjects; never secrets).")

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let tokens = try await vault.listTokens(by: try await global.operatorPrincipal(vault))
            if global.json { return try Output.json(tokens) }
            for token in tokens {
                let state = token.revokedAt != nil ? "revoked" : (token.expiresAt.map { $0 < Date() ? "expired" : "active" } ?? "active")
                Output.print("\(token.id)  \(token.role.padding(toLength: 10, withPad: " ", startingAt: 0))  \(token.subject)  \(state)")
            }
        }
    }
}
