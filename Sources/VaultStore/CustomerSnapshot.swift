import Foundation

/// One customer as a decision about them needs it, loaded in one call: the row, the sealed
/// records, the consent states and the fields under an open contest.
public struct CustomerSnapshot: Sendable, Equatable {
    /// The customer row, live or erased.
    public var customer: CustomerRow
    /// The customer's sealed records.
    public var records: [RecordRow]
    /// The customer's consent states, by purpose.
    public var consents: [ConsentRow]
    /// Fields of the customer's contests that are open or waiting for the customer's answer.
    public var disputedFields: Set<String>

    /// A snapshot as loaded.
    public init(customer: CustomerRow, records: [RecordRow], consents: [ConsentRow], disputedFields: Set<String>) {
        self.customer = customer
        self.records = records
        self.consents = consents
        self.disputedFields = disputedFields
    }
}
