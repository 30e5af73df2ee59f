public import Foundation

/// A customer's latest choice about one purpose, and when it was made.
public struct ConsentRecord: Sendable, Hashable, Codable {
    /// What the customer chose.
    public let status: Status
    /// When the choice was made.
    public let at: Date

    /// Records `status` made at `at`.
    public init(_ status: Status, at: Date) {
        self.status = status
        self.at = at
    }

    /// The choices a customer can make about a purpose.
    public enum Status: String, Sendable, Hashable, CaseIterable, Codable {
        /// The customer consented.
        case granted
        /// The customer withdrew an earlier consent.
        case withdrawn
        /// The customer objected to processing under a legitimate interest.
        case objected
    }
}

/// What the policy needs to know about one customer to decide: consent, disputes and collection times.
public struct CustomerState: Sendable, Hashable {
    /// The latest choice per purpose name; a purpose that is absent has never been chosen.
    public var consent: [String: ConsentRecord]
    /// Fields under an open contest.
    public var disputedFields: Set<String>
    /// When each field's current value was collected; fields that are absent are not checked for retention.
    public var collectedAt: [String: Date]

    /// A customer's state; everything defaults to empty.
    public init(consent: [String: ConsentRecord] = [:], disputedFields: Set<String> = [], collectedAt: [String: Date] = [:]) {
        self.consent = consent
        self.disputedFields = disputedFields
        self.collectedAt = collectedAt
    }
}
