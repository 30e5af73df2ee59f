public import Foundation
import Logging
import VaultAudit
import VaultCrypto
import VaultFormat
public import VaultPolicy
import VaultStore

/// One purpose as a customer sees it: its basis, their choice, and whether it holds now.
public struct ConsentView: Sendable, Codable {
    /// Purpose name.
    public let purpose: String
    /// What it is for.
    public let description: String
    /// Legal basis.
    public let basis: String
    /// The customer's choice, if any.
    public let state: String?
    /// When they chose.
    public let at: Date?
    /// Whether processing for this purpose is allowed now.
    public let holds: Bool
    /// Why (or why not).
    public let reason: String
}

/// A signed statement that a customer's data was crypto-shredded, and from when backups cannot
/// bring it back.
public struct ErasureReceipt: Sendable, Codable {
    /// The canonical JSON that was signed.
    public let statement: String
    /// Base64 Ed25519 signature over `statement`'s UTF-8 bytes.
    public let signature: String
    /// Base64 Ed25519 public key that verifies it.
    public let publicKey: String
    /// When the live data and key were destroyed.
    public let erasedAt: Date
    /// When the key epoch every earlier backup depends on is due to be destroyed: from then on no
    /// backup the vault made can decrypt this customer's data.
    public let backupsUndecryptableFrom: Date
}

extension Vault {
    /// The customer's own profile: every field, their consents and pending contests (audited).
    public func myProfile(by principal: Principal) async throws -> CustomerView {
        try await myProfile(by: principal, confirming: nil)
    }

    /// The customer's own profile for a principal from the token cache, whose token the read's
    /// transaction confirms.
    package func myProfile(by provisional: ProvisionalPrincipal) async throws -> CustomerView {
        try await confirmingFirst(provisional) { try await myProfile(by: provisional.principal, confirming: provisional.tokenID) }
    }

    private func myProfile(by principal: Principal, confirming tokenID: String?) async throws -> CustomerView {
        let customerID = try selfID(principal, .selfRead)
        let policy = policy.policy
        let now = clock.now()
        return try open(
            try await logged(customerID: customerID, confirming: tokenID) { tx, audit, prefetched in
                try self.readLocked(
                    tx,
                    &audit,
                    ReadRequest(
                        customerID: customerID,
                        purpose: nil,
                        fields: policy.fields.map(\.name),
                        principal: principal,
                        policy: policy,
                        now: now,
                        op: .selfRead
                    ),
                    prefetched: prefetched
                )
            }
        )
    }

    /// Every purpose of the policy with the customer's choice and whether it holds now.
    public func myConsents(by principal: Principal) async throws -> [ConsentView] {
        let customerID = try selfID(principal, .selfRead)
        let policy = policy.policy
        let now = clock.now()
        return try await logged(customerID: customerID) { tx, audit, prefetched in
            let (_, records, state) = try self.loadForDecision(
                tx,
                customerID: customerID,
                principal: principal,
                purpose: nil,
                fields: [],
                audit: &audit,
                op: .selfConsents,
                prefetched: prefetched
            )
            _ = records
            try audit.append(AuditDraft(principal: principal, customer: customerID, op: .selfConsents, decision: .allow, reason: .allowedSelf))
            return policy.purposes.map { purpose in
                let record = state.consent[purpose.name]
                let holds = policy.basisHolds(purpose: purpose.name, consent: state.consent, now: now)
                return ConsentView(
                    purpose: purpose.name,
                    description: purpose.description,
                    basis: purpose.basis.rawValue,
                    state: record?.status.rawValue,
                    at: record?.at,
                    holds: holds.allowed,
                    reason: holds.reason
                )
            }
        }
    }

    /// A customer's choice about a purpose: `granted`/`withdrawn` for consent purposes, `objected`
    /// or `withdrawn` (of the objection) for legitimate-interest purposes.
    ///
    /// - Parameters:
    ///   - name: lower_snake_case purpose name the policy defines, resting on consent or legitimate interest.
    ///   - state: the choice; which ones a purpose takes depends on its legal basis, as above.
    ///   - principal: a customer token whose role the policy grants `self_consent`; it sets only its own choices.
    /// - Throws: `VaultError.Code.unknownPurpose`; `.noConsentNeeded`, `.useWithdraw` or `.basisNotConsent` for a
    ///   choice the basis does not take; `.customerOnly` for a staff token; `.customerErased`, audited before it is thrown.
    public func setMyConsent(purpose name: String, to state: ConsentRecord.Status, by principal: Principal) async throws {
        let customerID = try selfID(principal, .selfConsent)
        guard let purpose = policy.policy.purpose(named: name) else {
            throw VaultError.invalid(
                .unknownPurpose,
                "unknown purpose \(name): the policy defines \(policy.policy.purposes.map(\.name).joined(separator: ", "))"
            )
        }
        switch (purpose.basis, state) {
        case (.consent, .granted), (.consent, .withdrawn), (.legitimateInterest, .objected), (.legitimateInterest, .withdrawn):
            break
        case (.legitimateInterest, .granted):
            throw VaultError.invalid(
                .noConsentNeeded,
                "purpose \(name) rests on legitimate interest: it needs no consent; you may object to it instead"
            )
        case (.consent, .objected):
            throw VaultError.invalid(.useWithdraw, "purpose \(name) rests on consent: withdraw it instead of objecting")
        default:
            throw VaultError.invalid(
                .basisNotConsent,
                "purpose \(name) rests on \(purpose.basis.rawValue.replacingOccurrences(of: "_", with: " ")): it does not depend on your consent"
            )
        }
        let now = clock.now()
        try await mutate { tx, audit in
            _ = try self.loadForDecision(tx, customerID: customerID, principal: principal, purpose: name, fields: [], audit: &audit, op: .selfConsent)
            let effective: ConsentRecord.Status
            if purpose.basis == .legitimateInterest, state == .withdrawn {
                // Withdrawing an objection restores processing under the legitimate interest.
                effective = .withdrawn
            } else {
                effective = state
            }
            try tx.setConsent(customerID: customerID, ConsentRow(purpose: name, state: ConsentRow.State(effective), at: now, source: .customer))
            try audit.append(
                AuditDraft(
                    principal: principal,
                    purpose: name,
                    customer: customerID,
                    op: Self.consentOperation(state, purpose.basis),
                    decision: .allow,
                    reason: .allowedSelf
                )
            )
        }
    }

    static func consentOperation(_ state: ConsentRecord.Status, _ basis: Purpose.LegalBasis) -> AuditOperation {
        switch (state, basis) {
        case (.granted, _): .consentGrant
        case (.objected, _): .consentObject
        case (.withdrawn, .legitimateInterest): .consentWithdrawObjection
        case (.withdrawn, _): .consentWithdraw
        }
    }

    /// Erases the customer by crypto-shredding: the wrapped DEK and every row go in one
    /// transaction, their tokens are revoked, the audit log keeps its entries, the database's own
    /// files are rid of the old pages, and a signed receipt says when backups stop holding them.
    ///
    /// Backups keep the DEK wrapped under a key epoch, whose key lives only in the key store; the
    /// receipt names the date the newest epoch at erasure is destroyed. Until then the erasure
    /// ledger (written before the erasure commits) makes a restore erase the customer again.
    ///
    /// - Parameters:
    ///   - confirm: must be true: the erasure cannot be undone.
    ///   - principal: a customer token whose role the policy grants `self_erase`; it erases only its own record.
    /// - Returns: the signed receipt, with the date from which no backup can decrypt the customer's data.
    /// - Throws: `VaultError.Code.confirmationRequired`; `.customerOnly` for a staff token; `.customerErased` when
    ///   already erased, audited before it is thrown.
    public func eraseMe(confirm: Bool, by principal: Principal) async throws -> ErasureReceipt {
        let customerID = try selfID(principal, .selfErase)
        guard confirm else {
            throw VaultError.invalid(.confirmationRequired, "erasure is permanent: confirm it explicitly (\"confirm\": true)")
        }
        let now = clock.now()
        let origin = self.origin
        let signingKey = self.signingKey
        let newestEpoch = try await storage.read { tx in try tx.keks().map(\.version).max() ?? 0 }
        try erasureLedger.record(epoch: newestEpoch, tag: keys.erasureTag(customerID: customerID))
        let (seq, checkpoint, epoch) = try await mutate { tx, audit -> (UInt64, UInt64, KEKRow?) in
            _ = try self.loadForDecision(tx, customerID: customerID, principal: principal, purpose: nil, fields: [], audit: &audit, op: .selfErase)
            try tx.eraseCustomer(id: customerID, at: now)
            let seq = try audit.append(
                AuditDraft(principal: principal, customer: customerID, op: .customerErase, decision: .allow, reason: .allowedSelf)
            )
            // Read in the erasing transaction: a backup made before it cannot depend on a later epoch.
            return (seq, audit.size, try tx.keks().last)
        }
        do {
            try await storage.compact()
        } catch {
            logger.error(
                "an erased customer's old pages may stay in the write-ahead log until the next checkpoint",
                metadata: ["code": "\((error as? VaultError)?.code.rawValue ?? "unexpected")"]
            )
        }
        let undecryptable = Self.rollDue(newest: epoch?.createdAt ?? now, period: epochPeriod)
        let statement = JSONValue.object([
            "customer": .string(customerID),
            "erased_at": .string(AuditTimestamp(now).rfc3339),
            "audit_entry": .integer(Int64(seq)),
            "checkpoint_size": .integer(Int64(checkpoint)),
            "origin": .string(origin),
            "key_epoch": .integer(Int64(epoch?.version ?? 0)),
            "backups_undecryptable_from": .string(AuditTimestamp(undecryptable).rfc3339),
            "statement": .string(
                "All profile data of this customer was deleted from the live vault and its data-encryption key destroyed (crypto-shredding) at erased_at. Backups made before then hold that key only wrapped under key epoch \(epoch?.version ?? 0) or an older one; the vault destroys key epoch \(epoch?.version ?? 0) at the key roll due backups_undecryptable_from, and from then on no backup it made can decrypt this customer's data. Until then, restoring such a backup erases this customer again. Audit entries, which hold ids and field names but no values, remain."
            ),
            "type": .string("cvault-erasure-receipt/v2"),
        ])
        let bytes = statement.canonicalBytes
        let signature = try signingKey.signature(for: bytes)
        logger.info("a customer was erased")
        return ErasureReceipt(
            statement: String(decoding: bytes, as: UTF8.self),
            signature: Data(signature).base64EncodedString(),
            publicKey: Data(publicKey.rawRepresentation).base64EncodedString(),
            erasedAt: now,
            backupsUndecryptableFrom: undecryptable
        )
    }

    /// The customer id of a customer principal allowed `operation`; others are refused.
    func selfID(_ principal: Principal, _ operation: RoleOperation) throws -> String {
        guard principal.role == RoleName.customer.rawValue, let customerID = principal.customerID else {
            throw VaultError.denied(.customerOnly, "only a customer token may use `me` commands (this is a \(principal.role) token)")
        }
        try requireOperation(operation, principal)
        return customerID
    }
}
