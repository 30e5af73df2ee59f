/// The outcome of one policy check: allowed or denied, with a stable code and a reason for people.
public struct Decision: Sendable, Hashable, Encodable {
    /// Why the check came out as it did, stable across releases; audit entries record it.
    public let code: ReasonCode
    /// The reason in words, e.g. "denied: role analyst reads aggregates only"; never holds customer values.
    public let reason: String

    /// Whether the check allows the action.
    public var allowed: Bool { code.allows }

    init(_ code: ReasonCode, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    private enum CodingKeys: String, CodingKey { case allowed, code, reason }

    /// Writes `allowed`, `code` and `reason`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(allowed, forKey: .allowed)
        try container.encode(code, forKey: .code)
        try container.encode(reason, forKey: .reason)
    }
}

/// The decision about one field of a request.
public struct FieldDecision: Sendable, Hashable, Encodable {
    /// The field the decision is about, as requested.
    public let field: String
    /// The decision.
    public let decision: Decision

    /// Whether the field may be processed.
    public var allowed: Bool { decision.allowed }

    private enum CodingKeys: String, CodingKey { case field }

    /// Writes `field` beside the decision's `allowed`, `code` and `reason`, in one flat object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(field, forKey: .field)
        try decision.encode(to: encoder)
    }
}

/// The decisions about every field of one request, in the order the fields were requested.
public struct AccessDecision: Sendable, Hashable, Encodable {
    /// One decision per requested field.
    public let fields: [FieldDecision]

    /// The requested fields that are allowed, in request order.
    public var allowedFields: [String] { fields.filter(\.allowed).map(\.field) }
    /// The requested fields that are denied, in request order.
    public var deniedFields: [String] { fields.filter { !$0.allowed }.map(\.field) }
    /// Whether at least one field was requested and every requested field is allowed.
    public var allowsAll: Bool { !fields.isEmpty && fields.allSatisfy(\.allowed) }
}

/// Why a decision came out as it did. The raw values are stable: audit entries and clients rely on them.
public enum ReasonCode: String, Sendable, Hashable, CaseIterable, Codable {
    /// Allowed: the customer reads their own record.
    case allowedSelf = "allowed_self"
    /// Allowed under a contract purpose.
    case allowedContract = "allowed_contract"
    /// Allowed under a legal obligation.
    case allowedLegalObligation = "allowed_legal_obligation"
    /// Allowed under a legitimate interest the customer has not objected to.
    case allowedLegitimateInterest = "allowed_legitimate_interest"
    /// Allowed under a live consent.
    case allowedConsent = "allowed_consent"
    /// Allowed: the role may perform the operation.
    case allowedOperation = "allowed_operation"
    /// Allowed: the field may be used this way in an aggregate.
    case allowedAggregate = "allowed_aggregate"
    /// Denied: the policy names no such role.
    case unknownRole = "unknown_role"
    /// Denied: the policy names no such purpose, or none was given.
    case unknownPurpose = "unknown_purpose"
    /// Denied: the policy names no such field.
    case unknownField = "unknown_field"
    /// Denied: the customer role acts only on the customer's own record.
    case selfOnly = "self_only"
    /// Denied: the role may not perform the operation.
    case operationNotPermitted = "operation_not_permitted"
    /// Denied: the role or purpose works on aggregates only, never on rows.
    case aggregateOnly = "aggregate_only"
    /// Denied: the role may not act under the purpose.
    case roleNotPermittedPurpose = "role_not_permitted_purpose"
    /// Denied: the purpose does not give the role this field.
    case fieldNotGranted = "field_not_granted"
    /// Denied: the field may not be used that way in aggregates (e.g. grouping by a measure).
    case analyticsUseMismatch = "analytics_use_mismatch"
    /// Denied: the purpose needs consent the customer never granted.
    case consentMissing = "consent_missing"
    /// Denied: the customer withdrew consent.
    case consentWithdrawn = "consent_withdrawn"
    /// Denied: the customer objected to the purpose.
    case objected
    /// Denied: the field is disputed and the purpose is restricted meanwhile.
    case restrictedWhileDisputed = "restricted_while_disputed"
    /// Denied: the field's value is past its retention period.
    case retentionExpired = "retention_expired"

    /// Whether this code allows the action.
    public var allows: Bool { rawValue.hasPrefix("allowed_") }
}
