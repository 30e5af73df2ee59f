import ArgumentParser
import Foundation
import Vault
import VaultHTTP

/// `cvault serve`: the HTTP API over the vault, until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API (bearer tokens from `cvault token issue`; OpenAPI document at /openapi.yaml).",
        discussion: """
            Logs one line per request to standard error (method, route pattern, status, duration, request id; \
            never query strings, bodies or values); set CVAULT_LOG_LEVEL=warning to silence them. \
            SIGTERM or SIGINT stops accepting connections and lets in-flight requests finish.
            """
    )

    @Option(name: .long, help: "The address to listen on (loopback by default; put TLS in front for anything else).")
    var host = "127.0.0.1"

    @Option(name: .long, help: "The TCP port.")
    var port = 8080

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The address customers reach the portal at, for the sign-in links the vault sends (default: http://HOST:PORT).",
            valueName: "URL"
        )
    )
    var publicURL: String?

    @Flag(name: .long, help: "A proxy in front adds each client's address as the last X-Forwarded-For entry: the portal's rate limits count by it.")
    var behindProxy = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Post portal sign-in messages to the firm's mail or SMS service at URL (https), signed with HMAC-SHA256 "
                + "under the secret in $CVAULT_SIGN_IN_WEBHOOK_SECRET; without it they go to outbox/ in the vault folder.",
            valueName: "URL"
        )
    )
    var signInWebhook: String?

    @Option(name: .long, help: "Seconds a connection may stay open without completing a request (slow clients are cut off).")
    var idleTimeout = 10

    @Option(name: .long, help: "Connections served at once; more wait in the listen backlog.")
    var maxConnections = 512

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0–65535") }
        guard (1...3_600).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be 1–3600 seconds") }
        guard (1...100_000).contains(maxConnections) else { throw ValidationError("--max-connections must be 1–100000") }
    }

    func run() async throws {
        var notifier: (any SignInNotifier)?
        if let signInWebhook {
            guard let url = URL(string: signInWebhook), url.host != nil else {
                throw ValidationError("--sign-in-webhook must be a URL such as https://mail.example.com/cvault")
            }
            let secret = Array((ProcessInfo.processInfo.environment["CVAULT_SIGN_IN_WEBHOOK_SECRET"] ?? "").utf8)
            notifier = try WebhookNotifier(url: url, secret: secret)
        }
        let vault = try await global.open(signInNotifier: notifier)
        if !["127.0.0.1", "localhost", "::1"].contains(host), publicURL?.hasPrefix("https://") != true {
            Output.note("warning: serving beyond loopback without an https --public-url: portal sign-in links and session cookies need TLS in front")
        }
        let logger = VaultServer.logger(levelName: ProcessInfo.processInfo.environment["CVAULT_LOG_LEVEL"])
        let host = host
        let limits = ConnectionLimits(idleTimeout: .seconds(idleTimeout), maximumConnections: maxConnections)
        try await VaultServer.run(
            vault: vault,
            host: host,
            port: port,
            limits: limits,
            publicURL: publicURL,
            behindProxy: behindProxy,
            logger: logger
        ) { port in
            Output.note("cvault serving \(vault.directory.path) on http://\(host):\(port) (SIGINT or SIGTERM stops it)")
        }
        Output.note("cvault serve stopped")
    }
}
