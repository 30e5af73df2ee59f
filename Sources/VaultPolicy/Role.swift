/// A role and what it may do: its operations, and per purpose the fields it may reach.
public struct Role: Sendable, Hashable {
    /// The role's name.
    public let name: RoleName
    /// The operations the role may perform, in the order the policy lists them.
    public let operations: [RoleOperation]
    /// Per purpose, the fields the role may read, write or aggregate, in the order the policy lists them.
    public let grants: [PurposeGrant]

    /// The grant for `purpose`, if the role may act under it.
    public func grant(for purpose: String) -> PurposeGrant? {
        grants.first { $0.purpose == purpose }
    }

    /// Whether the role may perform `operation`.
    public func may(_ operation: RoleOperation) -> Bool {
        operations.contains(operation)
    }

    /// Whether some purpose lets the role read or write `field` (a contest reviewer must, to see
    /// the proposed value or to accept it).
    public func reaches(field: String) -> Bool {
        grants.contains { $0.read.contains(field) || $0.write.contains(field) }
    }
}

/// The six roles the vault knows; tokens are issued for one of them.
public enum RoleName: String, Sendable, Hashable, CaseIterable, Codable {
    /// A customer, acting only on their own record.
    case customer
    /// Customer support staff.
    case support
    /// Marketing staff.
    case marketing
    /// An analyst: aggregates only, never a row.
    case analyst
    /// An auditor: the audit log and reports, never plaintext.
    case auditor
    /// An operator: keys, tokens, imports and policy changes.
    case `operator`

    /// The operations a policy may give this role at most; the validator rejects anything else.
    public var permittedOperations: [RoleOperation] {
        switch self {
        case .customer: [.selfRead, .selfContest, .selfConsent, .selfExport, .selfErase]
        case .support: [.read, .write, .reviewContests]
        case .marketing: [.read, .write]
        case .analyst: [.aggregate]
        case .auditor: [.audit]
        case .operator: [.importData, .manageTokens, .rotateKeys, .applyPolicy, .trainModels]
        }
    }

    /// Why the role is limited to its permitted operations, for validation messages.
    var rationale: String {
        switch self {
        case .customer: "customers act only on their own record"
        case .support, .marketing: "staff read and write rows under purposes"
        case .analyst: "analysts see aggregates only, never rows"
        case .auditor: "auditors see the audit log and reports, never plaintext"
        case .operator: "operators run the vault but never read customer data"
        }
    }
}

/// Something a role may do.
public enum RoleOperation: String, Sendable, Hashable, CaseIterable, Codable {
    /// Read fields of a customer's row under a purpose.
    case read
    /// Update fields of a customer's row under a purpose.
    case write
    /// Run aggregate queries.
    case aggregate
    /// Verify the audit log and produce audit reports.
    case audit
    /// List and resolve customers' contests.
    case reviewContests = "review_contests"
    /// Issue and revoke access tokens.
    case manageTokens = "manage_tokens"
    /// Train the next-best-product model (charges the privacy budget).
    case trainModels = "train_models"
    /// Import customer records in bulk.
    case importData = "import"
    /// Rotate key-encryption keys.
    case rotateKeys = "rotate_keys"
    /// Apply a new policy to the vault.
    case applyPolicy = "apply_policy"
    /// A customer reads their own record and its access log.
    case selfRead = "self_read"
    /// A customer contests a field of their own record.
    case selfContest = "self_contest"
    /// A customer grants, withdraws or objects to purposes.
    case selfConsent = "self_consent"
    /// A customer exports their own record.
    case selfExport = "self_export"
    /// A customer erases their own record.
    case selfErase = "self_erase"
}

/// The fields one role may reach under one purpose.
public struct PurposeGrant: Sendable, Hashable {
    /// The purpose this grant is for.
    public let purpose: String
    /// Fields the role may read under the purpose.
    public let read: [String]
    /// Fields the role may update under the purpose.
    public let write: [String]
    /// Fields the role may group by, filter on or measure in aggregates under the purpose.
    public let aggregate: [String]
}
