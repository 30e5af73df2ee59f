import HTTPTypes
import Hummingbird
public import Logging
import ServiceLifecycle
import Synchronization
public import Vault

/// The HTTP server over a vault: the only door from `cvault serve` into Hummingbird.
public enum VaultServer {
    /// Serves the API on `host:port` until SIGTERM or SIGINT, then stops accepting connections,
    /// lets in-flight requests finish, and returns.
    ///
    /// - Parameter onListening: called once with the bound port (useful with port 0).
    /// - Throws: `VaultError` with code `port_in_use` when another process holds the port, or
    ///   `listen_failed` when the address cannot be bound for another reason.
    public static func run(
        vault: Vault,
        host: String,
        port: Int,
        limits: ConnectionLimits = ConnectionLimits(),
        publicURL: String? = nil,
        behindProxy: Bool = false,
        logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws {
        let listening = Mutex(false)
        let app = try application(
            vault: vault,
            host: host,
            port: port,
            limits: limits,
            publicURL: publicURL ?? "http://\(host):\(port)",
            behindProxy: behindProxy,
            services: [VaultMaintenance(vault: vault, logger: logger)],
            logger: logger
        ) { boundPort in
            listening.withLock { $0 = true }
            onListening(boundPort)
        }
        do {
            // The server and the vault's upkeep (`VaultMaintenance`) run as services of one
            // group: a signal shuts both down gracefully, and either failing stops the other.
            try await app.runService()
        } catch {
            guard !listening.withLock({ $0 }) else { throw error }
            if PortProbe.isInUse(host: host, port: port) {
                throw VaultError(
                    .unavailable,
                    code: .portInUse,
                    "port \(port) on \(host) is already in use by another process: stop that process, or choose another port (cvault serve --port)"
                )
            }
            throw VaultError(.unavailable, code: .listenFailed, "cannot listen on \(host):\(port): \(error)")
        }
    }

    /// Takes up policies applied and keys rotated by other processes (`cvault policy apply`,
    /// `cvault keys rotate`) while the server runs, until cancelled.
    static func watch(_ vault: Vault, logger: Logger) async {
        await withTaskGroup(of: Void.self) { group in
            // Where the database announces changes, they are taken up at once; the poll below
            // stays for what it does not announce (witnesses added to vault.json).
            if let notifications = vault.changeNotifications() {
                group.addTask {
                    for await _ in notifications {
                        await refresh(vault, logger: logger)
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: Vault.refreshInterval)
                    } catch {
                        return
                    }
                    await refresh(vault, logger: logger)
                }
            }
        }
    }

    private static func refresh(_ vault: Vault, logger: Logger) async {
        do {
            try await vault.refresh()
        } catch is CancellationError {
        } catch let error as VaultError {
            logger.error("cannot take up changes made by other processes; retrying", metadata: ["code": .string(error.code.rawValue)])
        } catch {
            // Only the type, as ProblemMiddleware logs it: a description could quote SQL.
            logger.error(
                "cannot take up changes made by other processes; retrying",
                metadata: ["error.type": .string(String(reflecting: type(of: error)))]
            )
        }
    }

    /// Rolls the key epoch when it is due and sweeps values past their retention once a day
    /// (checked every minute), so a running server keeps the date erasure receipts promise for
    /// backups and the policy's retention periods, until cancelled.
    static func keepSchedules(_ vault: Vault, logger: Logger) async {
        // Each job on its own: a roll that keeps failing must not starve the sweep, nor the reverse.
        func attempt(_ job: String, _ body: () async throws -> Void) async {
            do {
                try await body()
            } catch is CancellationError {
            } catch {
                logger.error(
                    "a scheduled job failed; retrying in a minute",
                    metadata: ["job": .string(job), "code": .string((error as? VaultError)?.code.rawValue ?? String(reflecting: type(of: error)))]
                )
            }
        }
        while !Task.isCancelled {
            await attempt("key epoch roll") { _ = try await vault.rollKeyEpochIfDue() }
            await attempt("retention sweep") { _ = try await vault.sweepRetentionIfDue() }
            do { try await Task.sleep(for: .seconds(60)) } catch { return }
        }
    }

    /// The request logger `cvault serve` uses: `info` (one line per request) unless `levelName`
    /// (e.g. `CVAULT_LOG_LEVEL`) names another level.
    public static func logger(levelName: String?) -> Logger {
        var logger = Logger(label: "cvault.http")
        logger.logLevel = levelName.flatMap(Logger.Level.init(rawValue:)) ?? .info
        return logger
    }

    /// The Hummingbird application; tests drive it with HummingbirdTesting's `.router` and `.live`.
    static func application(
        vault: Vault,
        host: String = "127.0.0.1",
        port: Int = 0,
        limits: ConnectionLimits = ConnectionLimits(),
        publicURL: String = "http://127.0.0.1",
        behindProxy: Bool = false,
        services: [any Service] = [],
        logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        Application(
            router: try VaultAPI(vault: vault).router(portal: PortalSite(vault: vault, publicURL: publicURL, behindProxy: behindProxy)),
            server: limits.server,
            configuration: limits.configuration(host: host, port: port),
            services: services,
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }
}
