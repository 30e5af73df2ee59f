import ArgumentParser
import Foundation
import Vault

/// `cvault portal link`: a one-time portal sign-in link staff hand to a customer.
struct PortalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portal",
        abstract: "The customer portal served by `cvault serve` at /portal/.",
        subcommands: [Link.self]
    )

    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a one-time sign-in link for a customer (works once, for 10 minutes; audited; operator)."
        )

        @Option(name: .long, help: "The customer's id.") var customer: String
        @Option(name: .long, help: ArgumentHelp("Where `cvault serve` is reached, as given to its --public-url.", valueName: "URL"))
        var publicURL = "http://127.0.0.1:8080"
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard let url = URL(string: publicURL), url.scheme == "https" || url.scheme == "http", url.host != nil else {
                throw ValidationError("--public-url must be an http(s) address such as https://vault.example.com")
            }
        }

        func run() async throws {
            let vault = try await global.open()
            let base = (publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL) + "/portal/link/"
            let message = try await vault.portalLink(customerID: customer, linkBase: base, by: try await global.operatorPrincipal(vault))
            if global.json { return try Output.json(["link": message.link, "expires_at": message.expiresAt.formatted(.iso8601)]) }
            Output.note(
                "hand this to the customer in person or over a channel you trust; it works once, until \(message.expiresAt.formatted(.iso8601))"
            )
            Output.print(message.link)
        }
    }
}
