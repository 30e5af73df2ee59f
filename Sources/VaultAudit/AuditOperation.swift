/// What an audit entry records was done: a stable name that compliance reports parse back.
///
/// Matched like GRDB's `ResultCode`: compare with the constants (`entry.operation == .customerRead`)
/// or use them as `case` patterns; never spell the names as strings.
package struct AuditOperation: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The name as the log holds it, such as `customer.read`.
    package let rawValue: String

    /// An operation by its name in the log (names the log may hold from other versions too).
    package init(rawValue: String) { self.rawValue = rawValue }

    /// The name.
    package var description: String { rawValue }

    /// An aggregate query, answered, refused or answered from the cache.
    package static let aggregateQuery = AuditOperation(rawValue: "aggregate.query")
    /// The ε of an aggregate that failed while computing, given back.
    package static let aggregateRefund = AuditOperation(rawValue: "aggregate.refund")
    /// An auditor listed audit entries.
    package static let auditEntries = AuditOperation(rawValue: "audit.entries")
    /// An auditor computed the compliance report.
    package static let auditReport = AuditOperation(rawValue: "audit.report")
    /// An auditor verified the whole log.
    package static let auditVerify = AuditOperation(rawValue: "audit.verify")
    /// A customer granted consent for a purpose.
    package static let consentGrant = AuditOperation(rawValue: "consent.grant")
    /// A customer objected to a purpose resting on legitimate interest.
    package static let consentObject = AuditOperation(rawValue: "consent.object")
    /// An operator's import replaced a consent state the customer had set.
    package static let consentOverride = AuditOperation(rawValue: "consent.override")
    /// A customer withdrew consent for a purpose.
    package static let consentWithdraw = AuditOperation(rawValue: "consent.withdraw")
    /// A customer withdrew an objection.
    package static let consentWithdrawObjection = AuditOperation(rawValue: "consent.withdraw_objection")
    /// Staff accepted a contest.
    package static let contestAccept = AuditOperation(rawValue: "contest.accept")
    /// Staff rejected a contest.
    package static let contestReject = AuditOperation(rawValue: "contest.reject")
    /// Staff asked the customer for more information about a contest.
    package static let contestRequestInfo = AuditOperation(rawValue: "contest.request_info")
    /// An accepted contest's correction was written.
    package static let contestApply = AuditOperation(rawValue: "contest.apply")
    /// A customer opened a contest.
    package static let contestOpen = AuditOperation(rawValue: "contest.open")
    /// A customer answered a request for information.
    package static let contestReply = AuditOperation(rawValue: "contest.reply")
    /// Staff resolved a contest.
    package static let contestResolve = AuditOperation(rawValue: "contest.resolve")
    /// Staff looked at one contest.
    package static let contestReview = AuditOperation(rawValue: "contest.review")
    /// A contest changed status.
    package static let contestUpdate = AuditOperation(rawValue: "contest.update")
    /// A customer withdrew a contest.
    package static let contestWithdraw = AuditOperation(rawValue: "contest.withdraw")
    /// Staff listed contests.
    package static let contestsList = AuditOperation(rawValue: "contests.list")
    /// A customer was erased (crypto-shredded).
    package static let customerErase = AuditOperation(rawValue: "customer.erase")
    /// Staff looked customers up through a blind index.
    package static let customerFind = AuditOperation(rawValue: "customer.find")
    /// A customer was imported.
    package static let customerImport = AuditOperation(rawValue: "customer.import")
    /// Staff asked for a customer's next best product.
    package static let customerNextBestProduct = AuditOperation(rawValue: "customer.next_best_product")
    /// Staff read a customer's fields for a purpose.
    package static let customerRead = AuditOperation(rawValue: "customer.read")
    /// Staff changed a customer's fields for a purpose.
    package static let customerUpdate = AuditOperation(rawValue: "customer.update")
    /// An import replaced a customer's record.
    package static let customerUpsert = AuditOperation(rawValue: "customer.upsert")
    /// A key epoch was destroyed.
    package static let keysEpochDestroy = AuditOperation(rawValue: "keys.epoch.destroy")
    /// Keys of a vault from before key epochs were moved into the key store.
    package static let keysMigrate = AuditOperation(rawValue: "keys.migrate")
    /// A key-epoch roll finished.
    package static let keysRollComplete = AuditOperation(rawValue: "keys.roll.complete")
    /// A key-epoch roll began.
    package static let keysRollStart = AuditOperation(rawValue: "keys.roll.start")
    /// A key rotation finished (vaults from before key epochs).
    package static let keysRotateComplete = AuditOperation(rawValue: "keys.rotate.complete")
    /// Someone looked at a next-best-product model.
    package static let modelShow = AuditOperation(rawValue: "model.show")
    /// A next-best-product model was trained (its entry holds the model's hash).
    package static let modelTrain = AuditOperation(rawValue: "model.train")
    /// A policy was applied.
    package static let policyApply = AuditOperation(rawValue: "policy.apply")
    /// Staff issued a one-time portal sign-in link.
    package static let portalLinkIssue = AuditOperation(rawValue: "portal.link.issue")
    /// A portal sign-in was completed or refused.
    package static let portalSignIn = AuditOperation(rawValue: "portal.sign_in")
    /// A portal sign-in code was asked for.
    package static let portalSignInRequest = AuditOperation(rawValue: "portal.sign_in.request")
    /// A customer signed out of the portal.
    package static let portalSignOut = AuditOperation(rawValue: "portal.sign_out")
    /// Values past their retention were deleted from one customer's record.
    package static let retentionSweep = AuditOperation(rawValue: "retention.sweep")
    /// A retention sweep finished.
    package static let retentionSweepComplete = AuditOperation(rawValue: "retention.sweep.complete")
    /// A customer looked at one consent.
    package static let selfConsent = AuditOperation(rawValue: "self.consent")
    /// A customer looked at their consents.
    package static let selfConsents = AuditOperation(rawValue: "self.consents")
    /// A customer looked at their contests.
    package static let selfContests = AuditOperation(rawValue: "self.contests")
    /// A customer asked to be erased.
    package static let selfErase = AuditOperation(rawValue: "self.erase")
    /// A customer downloaded their signed export.
    package static let selfExport = AuditOperation(rawValue: "self.export")
    /// A customer looked at their access log.
    package static let selfLog = AuditOperation(rawValue: "self.log")
    /// A customer looked at what the firm would recommend to them.
    package static let selfNextBestProduct = AuditOperation(rawValue: "self.next_best_product")
    /// A customer read their own profile.
    package static let selfRead = AuditOperation(rawValue: "self.read")
    /// A token was issued.
    package static let tokenIssue = AuditOperation(rawValue: "token.issue")
    /// A token was revoked.
    package static let tokenRevoke = AuditOperation(rawValue: "token.revoke")
    /// A backup was taken.
    package static let vaultBackup = AuditOperation(rawValue: "vault.backup")
    /// The vault was created.
    package static let vaultCreate = AuditOperation(rawValue: "vault.create")
    /// The vault was restored from a backup (a new generation of the log begins).
    package static let vaultRestore = AuditOperation(rawValue: "vault.restore")
    /// A witness was added.
    package static let witnessAdd = AuditOperation(rawValue: "witness.add")
    /// A witness was removed.
    package static let witnessRemove = AuditOperation(rawValue: "witness.remove")
}

extension AuditOperation {
    /// Every operation this version writes.
    package static let all: Set<AuditOperation> = [
        .aggregateQuery,
        .aggregateRefund,
        .auditEntries,
        .auditReport,
        .auditVerify,
        .consentGrant,
        .consentObject,
        .consentOverride,
        .consentWithdraw,
        .consentWithdrawObjection,
        .contestAccept,
        .contestReject,
        .contestRequestInfo,
        .contestApply,
        .contestOpen,
        .contestReply,
        .contestResolve,
        .contestReview,
        .contestUpdate,
        .contestWithdraw,
        .contestsList,
        .customerErase,
        .customerFind,
        .customerImport,
        .customerNextBestProduct,
        .customerRead,
        .customerUpdate,
        .customerUpsert,
        .keysEpochDestroy,
        .keysMigrate,
        .keysRollComplete,
        .keysRollStart,
        .keysRotateComplete,
        .modelShow,
        .modelTrain,
        .policyApply,
        .portalLinkIssue,
        .portalSignIn,
        .portalSignInRequest,
        .portalSignOut,
        .retentionSweep,
        .retentionSweepComplete,
        .selfConsent,
        .selfConsents,
        .selfContests,
        .selfErase,
        .selfExport,
        .selfLog,
        .selfNextBestProduct,
        .selfRead,
        .tokenIssue,
        .tokenRevoke,
        .vaultBackup,
        .vaultCreate,
        .vaultRestore,
        .witnessAdd,
        .witnessRemove,
    ]

    /// A customer's consent choices, and an operator's import overriding one.
    package static let consentChanges: Set<AuditOperation> = [
        .consentGrant, .consentWithdraw, .consentWithdrawObjection, .consentObject, .consentOverride,
    ]
}

extension AuditEntry {
    /// The entry's operation.
    package var operation: AuditOperation { AuditOperation(rawValue: op) }
}
