import Foundation
import Logging
import Synchronization
import VaultCrypto
import VaultPolicy
import VaultStore

extension Vault {
    /// How often a long-running process (`cvault serve`) calls `refresh()`.
    public static let refreshInterval: Duration = .seconds(1)

    /// Takes up what other processes committed since this vault was opened — a newly applied
    /// policy, new KEKs from a key rotation — and returns whether anything changed.
    ///
    /// A server deciding under a policy that was replaced, or unable to open customers rewrapped
    /// under a KEK it never loaded, would keep granting withdrawn access or fail reads.
    @discardableResult
    public func refresh() async throws -> Bool {
        let (policyRow, kekRows) = try await storage.read { tx in (try tx.activePolicy(), try tx.keks()) }
        var changed = false
        for row in kekRows where !keyring.contains(version: row.version) {
            do {
                keyring.add(try keys.unwrapKEK(Array(row.wrapped), version: row.version))
            } catch {
                throw VaultError.integrity("KEK version \(row.version) failed its integrity check")
            }
            logger.notice("loaded a new key-encryption key", metadata: ["kek_version": "\(row.version)"])
            changed = true
        }
        if let policyRow, policyRow.hash != policy.policy.hash {
            let policy = try Self.parsePolicy(policyRow.text, fileName: policyRow.fileName)
            guard policy.hash == policyRow.hash else { throw VaultError.integrity("the stored policy does not match its recorded hash") }
            policyState.withLock { $0 = ActivePolicy(policy: policy, fileName: policyRow.fileName) }
            logger.notice("now deciding under a newly applied policy", metadata: ["hash": "\(policy.hash)"])
            changed = true
        }
        return changed
    }
}
