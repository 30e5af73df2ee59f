/// Why an audit entry's decision came out as it did: a stable code that compliance reports parse
/// back. Policy decisions record their `ReasonCode`'s name and refusals their error's code, both
/// through `init(rawValue:)`; the constants are the reasons the vault's own use cases give.
///
/// Matched like GRDB's `ResultCode`: compare with the constants (`entry.reasonCode == .allowedSelf`)
/// or use them as `case` patterns; never spell the codes as strings.
public struct AuditReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code as the log holds it, such as `allowed_self`.
    public let rawValue: String

    /// A reason by its code in the log.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The code.
    public var description: String { rawValue }

    /// An auditor read the log or a report.
    public static let allowedAudit = AuditReason(rawValue: "allowed_audit")
    /// An aggregate answered from the cache of an earlier, identical release.
    public static let allowedCached = AuditReason(rawValue: "allowed_cached")
    /// A customer's consent choice was recorded.
    public static let allowedConsent = AuditReason(rawValue: "allowed_consent")
    /// A correction written because staff accepted the customer's contest.
    public static let allowedContestAccepted = AuditReason(rawValue: "allowed_contest_accepted")
    /// Staff with `review_contests` reviewed a contest.
    public static let allowedContestReview = AuditReason(rawValue: "allowed_contest_review")
    /// A trained recommendation model was shown.
    public static let allowedModel = AuditReason(rawValue: "allowed_model")
    /// An operator's action the policy allows.
    public static let allowedOperator = AuditReason(rawValue: "allowed_operator")
    /// A search through a blind index, with its match count.
    public static let allowedSearch = AuditReason(rawValue: "allowed_search")
    /// A customer acting on their own data.
    public static let allowedSelf = AuditReason(rawValue: "allowed_self")
    /// A portal sign-in completed.
    public static let allowedSignIn = AuditReason(rawValue: "allowed_sign_in")
    /// A portal sign-in code and link were sent.
    public static let allowedSignInSent = AuditReason(rawValue: "allowed_sign_in_sent")
    /// A recommendation model was trained.
    public static let allowedTrained = AuditReason(rawValue: "allowed_trained")
    /// Staff wrote fields the policy lets them write.
    public static let allowedWrite = AuditReason(rawValue: "allowed_write")
    /// A sign-in address matched more than one customer.
    public static let ambiguousAddress = AuditReason(rawValue: "ambiguous_address")
    /// An operator at the console (imports, tokens, keys).
    public static let byOperator = AuditReason(rawValue: "operator")
    /// An aggregate failed while computing; its ε was given back.
    public static let computationFailed = AuditReason(rawValue: "computation_failed")
    /// A contest shown to staff without the proposed value.
    public static let contestReviewValueWithheld = AuditReason(rawValue: "contest_review_value_withheld")
    /// The customer was erased: nothing of theirs can be read.
    public static let customerErased = AuditReason(rawValue: "customer_erased")
    /// Too many wrong sign-in codes: the portal refuses for a day.
    public static let customerLocked = AuditReason(rawValue: "customer_locked")
    /// An erasure applied again after a restore brought the customer back.
    public static let erasureReapplied = AuditReason(rawValue: "erasure_reapplied")
    /// The role is not granted the field for the purpose.
    public static let fieldNotGranted = AuditReason(rawValue: "field_not_granted")
    /// Stored data failed its integrity check.
    public static let integrityFailure = AuditReason(rawValue: "integrity_failure")
    /// A retired key epoch was destroyed.
    public static let keyEpochDestroyed = AuditReason(rawValue: "key_epoch_destroyed")
    /// A portal link that is unknown, used or expired.
    public static let linkNotValid = AuditReason(rawValue: "link_not_valid")
    /// A sign-in address matched no customer.
    public static let noMatch = AuditReason(rawValue: "no_match")
    /// A sign-in code with no sign-in waiting for it.
    public static let noPendingSignIn = AuditReason(rawValue: "no_pending_sign_in")
    /// An operator's import replaced a consent state the customer had set.
    public static let operatorOverride = AuditReason(rawValue: "operator_override")
    /// Refused by a rate limit.
    public static let rateLimited = AuditReason(rawValue: "rate_limited")
    /// Values past their retention were deleted.
    public static let retentionExpired = AuditReason(rawValue: "retention_expired")
    /// Too many wrong guesses at one sign-in code.
    public static let tooManyAttempts = AuditReason(rawValue: "too_many_attempts")
    /// A wrong sign-in code.
    public static let wrongCode = AuditReason(rawValue: "wrong_code")
}

extension AuditEntry {
    /// The entry's reason.
    public var reasonCode: AuditReason { AuditReason(rawValue: reason) }
}
