/// Why an audit entry's decision came out as it did: a stable code that compliance reports parse
/// back. Policy decisions record their `ReasonCode`'s name and refusals their error's code, both
/// through `init(rawValue:)`; the constants are the reasons the vault's own use cases give.
///
/// Matched like GRDB's `ResultCode`: compare with the constants (`entry.reasonCode == .allowedSelf`)
/// or use them as `case` patterns; never spell the codes as strings.
package struct AuditReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code as the log holds it, such as `allowed_self`.
    package let rawValue: String

    /// A reason by its code in the log.
    package init(rawValue: String) { self.rawValue = rawValue }

    /// The code.
    package var description: String { rawValue }

    /// An auditor read the log or a report.
    package static let allowedAudit = AuditReason(rawValue: "allowed_audit")
    /// An aggregate answered from the cache of an earlier, identical release.
    package static let allowedCached = AuditReason(rawValue: "allowed_cached")
    /// A customer's consent choice was recorded.
    package static let allowedConsent = AuditReason(rawValue: "allowed_consent")
    /// A correction written because staff accepted the customer's contest.
    package static let allowedContestAccepted = AuditReason(rawValue: "allowed_contest_accepted")
    /// Staff with `review_contests` reviewed a contest.
    package static let allowedContestReview = AuditReason(rawValue: "allowed_contest_review")
    /// A trained recommendation model was shown.
    package static let allowedModel = AuditReason(rawValue: "allowed_model")
    /// An operator's action the policy allows.
    package static let allowedOperator = AuditReason(rawValue: "allowed_operator")
    /// A search through a blind index, with its match count.
    package static let allowedSearch = AuditReason(rawValue: "allowed_search")
    /// A customer acting on their own data.
    package static let allowedSelf = AuditReason(rawValue: "allowed_self")
    /// A portal sign-in completed.
    package static let allowedSignIn = AuditReason(rawValue: "allowed_sign_in")
    /// A portal sign-in code and link were sent.
    package static let allowedSignInSent = AuditReason(rawValue: "allowed_sign_in_sent")
    /// A recommendation model was trained.
    package static let allowedTrained = AuditReason(rawValue: "allowed_trained")
    /// Staff wrote fields the policy lets them write.
    package static let allowedWrite = AuditReason(rawValue: "allowed_write")
    /// A sign-in address matched more than one customer.
    package static let ambiguousAddress = AuditReason(rawValue: "ambiguous_address")
    /// An operator at the console (imports, tokens, keys).
    package static let byOperator = AuditReason(rawValue: "operator")
    /// An aggregate failed while computing; its ε was given back.
    package static let computationFailed = AuditReason(rawValue: "computation_failed")
    /// A contest shown to staff without the proposed value.
    package static let contestReviewValueWithheld = AuditReason(rawValue: "contest_review_value_withheld")
    /// The customer was erased: nothing of theirs can be read.
    package static let customerErased = AuditReason(rawValue: "customer_erased")
    /// Too many wrong sign-in codes: the portal refuses for a day.
    package static let customerLocked = AuditReason(rawValue: "customer_locked")
    /// An erasure applied again after a restore brought the customer back.
    package static let erasureReapplied = AuditReason(rawValue: "erasure_reapplied")
    /// The role is not granted the field for the purpose.
    package static let fieldNotGranted = AuditReason(rawValue: "field_not_granted")
    /// Stored data failed its integrity check.
    package static let integrityFailure = AuditReason(rawValue: "integrity_failure")
    /// A retired key epoch was destroyed.
    package static let keyEpochDestroyed = AuditReason(rawValue: "key_epoch_destroyed")
    /// A portal link that is unknown, used or expired.
    package static let linkNotValid = AuditReason(rawValue: "link_not_valid")
    /// A sign-in address matched no customer.
    package static let noMatch = AuditReason(rawValue: "no_match")
    /// A sign-in code with no sign-in waiting for it.
    package static let noPendingSignIn = AuditReason(rawValue: "no_pending_sign_in")
    /// An operator's import replaced a consent state the customer had set.
    package static let operatorOverride = AuditReason(rawValue: "operator_override")
    /// Refused by a rate limit.
    package static let rateLimited = AuditReason(rawValue: "rate_limited")
    /// Values past their retention were deleted.
    package static let retentionExpired = AuditReason(rawValue: "retention_expired")
    /// Too many wrong guesses at one sign-in code.
    package static let tooManyAttempts = AuditReason(rawValue: "too_many_attempts")
    /// A wrong sign-in code.
    package static let wrongCode = AuditReason(rawValue: "wrong_code")
}

extension AuditEntry {
    /// The entry's reason.
    package var reasonCode: AuditReason { AuditReason(rawValue: reason) }
}
