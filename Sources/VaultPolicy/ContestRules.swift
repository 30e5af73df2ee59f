/// How contests (a customer disputing a field) are handled.
public struct ContestRules: Sendable, Hashable {
    /// How long staff have to answer a contest (GDPR Art. 12(3): one month).
    public let responseDeadline: ISO8601Duration
    /// Purposes that may not process a field while it is disputed (GDPR Art. 18), in the policy's order.
    public let restrictedWhileDisputed: [String]

    /// Whether `purpose` is restricted for fields under dispute.
    public func restricts(_ purpose: String) -> Bool {
        restrictedWhileDisputed.contains(purpose)
    }

    static let defaultResponseDeadline = ISO8601Duration(days: 30)!
}
