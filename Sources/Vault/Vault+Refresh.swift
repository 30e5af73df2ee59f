import Foundation
import Logging
import Synchronization
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultStore

extension Vault {
    /// How often a long-running process (`cvault serve`) calls `refresh()`.
    public static let refreshInterval: Duration = .seconds(1)

    /// Takes up what other processes committed since this vault was opened — a newly applied
    /// policy, a new key epoch, a destroyed one — and returns whether anything changed.
    ///
    /// A server deciding under a policy that was replaced, or unable to open customers rewrapped
    /// under a KEK it never loaded, would keep granting withdrawn access or fail reads.
    /// Yields as soon as another instance committed a new policy or key change, where the database
    /// can tell (PostgreSQL's `LISTEN/NOTIFY`); nil where it cannot, and callers poll `refresh()`.
    public func changeNotifications() -> AsyncStream<Void>? { storage.changeNotifications() }

    @discardableResult
    public func refresh() async throws -> Bool {
        let (policyRow, kekRows) = try await storage.read { tx in (try tx.activePolicy(), try tx.keks()) }
        var changed = false
        let stored = Set(try keyStore.load(vaultID: metadata.vaultID)?.epochs.map(\.version) ?? [])
        if (kekRows.map(\.version).max() ?? 0) > (keyring.versions.max() ?? 0) || stored != keyring.versions {
            // A roll elsewhere added an epoch to the key store, or destroyed one: the key store decides.
            if try syncKeyring() { changed = true }
        }
        // Witnesses added with `cvault witness add` while this process runs.
        if let configured = try? VaultMetadata.load(from: directory).witnesses ?? [],
            configured.map(\.key) != witnessClient.witnesses.map(\.key.description), let client = try? WitnessClient(configured)
        {
            witnessClientState.withLock { $0 = client }
            logger.notice("now submitting checkpoints to the witnesses vault.json names", metadata: ["witnesses": "\(configured.count)"])
            changed = true
        }
        if let policyRow, policyRow.hash != policy.policy.hash {
            let policy = try Self.parsePolicy(policyRow.text, fileName: policyRow.fileName, stored: true)
            guard policy.hash == policyRow.hash else { throw VaultError.integrity("the stored policy does not match its recorded hash") }
            policyState.withLock { $0 = ActivePolicy(policy: policy, fileName: policyRow.fileName) }
            logger.notice("now deciding under a newly applied policy", metadata: ["hash": "\(policy.hash)"])
            changed = true
        }
        return changed
    }
}
