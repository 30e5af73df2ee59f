public import Foundation
import Logging
import Synchronization
import VaultAudit
import VaultPolicy
import VaultStore

/// A policy version that was in force.
public struct PolicyVersion: Sendable, Codable {
    /// SHA-256 of its canonical form.
    public let hash: String
    /// The file it came from.
    public let fileName: String
    /// When it was applied.
    public let appliedAt: Date
}

extension Vault {
    /// Validates and applies a new policy; earlier versions stay in the history (and in audit entries).
    ///
    /// - Parameters:
    ///   - text: the policy's YAML, kept as given: its canonical form's hash names it in every later entry.
    ///   - fileName: the file it came from, recorded with the version and named in validation messages.
    ///   - principal: a role the policy in force grants `apply_policy`.
    /// - Returns: the version now in force.
    /// - Throws: `VaultError.Code.invalidPolicy` listing every problem; `.policyUnchanged` when it is already in force;
    ///   kind `.denied` without `apply_policy`.
    @discardableResult
    public func applyPolicy(text: String, fileName: String, by principal: Principal) async throws -> PolicyVersion {
        try requireOperation(.applyPolicy, principal)
        let policy = try Self.parsePolicy(text, fileName: fileName)
        let current = self.policy.policy.hash
        guard policy.hash != current else {
            throw VaultError.conflict(.policyUnchanged, "this policy (\(policy.hash.prefix(12))…) is already in force")
        }
        let now = clock.now()
        try await mutate { tx, audit in
            try tx.insertPolicy(PolicyRow(hash: policy.hash, text: text, fileName: fileName, appliedAt: now))
            try audit.append(
                AuditDraft(
                    principal: principal,
                    op: .policyApply,
                    decision: .allow,
                    reason: .byOperator,
                    details: ["previous": current, "new": policy.hash, "file": fileName]
                )
            )
        }
        policyState.withLock { $0 = ActivePolicy(policy: policy, fileName: fileName) }
        logger.info("policy applied", metadata: ["hash": "\(policy.hash)"])
        return PolicyVersion(hash: policy.hash, fileName: fileName, appliedAt: now)
    }

    /// Every policy version applied to this vault, oldest first.
    public func policyHistory() async throws -> [PolicyVersion] {
        try await storage.read { tx in
            try tx.policies().map { PolicyVersion(hash: $0.hash, fileName: $0.fileName, appliedAt: $0.appliedAt) }
        }
    }
}
