import Logging
import ServiceLifecycle
import Vault

/// The vault's upkeep while it serves, as a service of the application's group: taking up policies
/// and keys changed by other processes (`VaultServer.watch`), rolling key epochs and sweeping
/// retention (`VaultServer.keepSchedules`). It ends when the group shuts down gracefully.
struct VaultMaintenance: Service {
    let vault: Vault
    let logger: Logger

    func run() async throws {
        let vault = vault
        let logger = logger
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await VaultServer.watch(vault, logger: logger) }
                group.addTask { await VaultServer.keepSchedules(vault, logger: logger) }
            }
        }
    }
}
