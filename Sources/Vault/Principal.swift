/// Who is acting: the role and subject come from a token (or, for the operator holding the root
/// key, from possession of it), never from the request.
public struct Principal: Sendable, Equatable {
    /// The audit log's name for the actor (`token:<id>` or `operator:local`): an id, never a value.
    public let actor: String
    /// The policy role.
    public let role: String
    /// The staff name or the customer id the token was issued for.
    public let subject: String
    /// For customer tokens: the only customer this principal reaches.
    public let customerID: String?

    package init(actor: String, role: String, subject: String, customerID: String?) {
        self.actor = actor
        self.role = role
        self.subject = subject
        self.customerID = customerID
    }

    /// The operator at the console: whoever holds the root key can administer the vault anyway.
    public static let localOperator = Principal(actor: "operator:local", role: "operator", subject: "local", customerID: nil)

    /// The vault itself, keeping its key-epoch schedule.
    static let keySchedule = Principal(actor: "vault:key-schedule", role: "operator", subject: "key-schedule", customerID: nil)
}
