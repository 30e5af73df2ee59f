public import Foundation

/// A customer to store for the first time, with everything stored beside it: an import writes
/// a batch of these in one call.
public struct NewCustomer: Sendable {
    /// The customer row (a new id).
    public var customer: CustomerRow
    /// Its sealed records.
    public var records: [RecordRow]
    /// Its blind index entries.
    public var blindIndexes: [(field: String, digest: Data)]
    /// Its consent states.
    public var consents: [ConsentRow]

    /// A customer as an import prepared it.
    public init(customer: CustomerRow, records: [RecordRow], blindIndexes: [(field: String, digest: Data)], consents: [ConsentRow]) {
        self.customer = customer
        self.records = records
        self.blindIndexes = blindIndexes
        self.consents = consents
    }
}
