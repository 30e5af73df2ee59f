import Hummingbird
import HummingbirdCore

/// What a client may hold of the server: how long a connection may sit without finishing a request
/// (headers trickled a byte at a time included: the clock restarts only on a complete request part)
/// and how many connections are served at once. Beyond the cap, new connections wait in the
/// listen backlog until one closes, rather than each costing the server memory.
public struct ConnectionLimits: Sendable {
    /// Time a connection may stay open without completing a request part, or between requests.
    public var idleTimeout: Duration
    /// Connections served at once.
    public var maximumConnections: Int

    /// Limits for a server on the open network.
    public init(idleTimeout: Duration = .seconds(10), maximumConnections: Int = 512) {
        self.idleTimeout = idleTimeout
        self.maximumConnections = maximumConnections
    }

    var server: HTTPServerBuilder {
        let (seconds, attoseconds) = idleTimeout.components
        return .http1(configuration: .init(idleTimeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)))
    }

    func configuration(host: String, port: Int) -> ApplicationConfiguration {
        ApplicationConfiguration(
            address: .hostname(host, port: port),
            serverName: nil,
            availableConnectionsDelegate: MaximumAvailableConnections(maximumConnections)
        )
    }
}
