public import Foundation

// The use-case calls built from the table-shaped ones, for a backend where each call is cheap (an
// embedded database). A backend that pays a round trip per statement answers each in one.

extension VaultStorage {
    /// No notifications: callers poll.
    public func changeNotifications() -> AsyncStream<Void>? { nil }

    /// The token, read in a snapshot of its own.
    public func authenticationToken(hash: Data) async throws -> TokenRow? {
        try await read { try $0.token(hash: hash) }
    }
}

extension StorageReader {
    /// The customer, then records, consents and open contests, one query each.
    public func customerSnapshot(id: String) throws -> CustomerSnapshot? {
        guard let customer = try customer(id: id) else { return nil }
        return CustomerSnapshot(
            customer: customer,
            records: try records(customerID: id),
            consents: try consents(customerID: id),
            disputedFields: Set(try contests(customerID: id, statuses: [.open, .infoRequested]).map(\.field))
        )
    }

    /// One query per token.
    public func tokens(ids: [String]) throws -> [TokenRow] {
        try ids.compactMap { try token(id: $0) }
    }

    /// One snapshot after another.
    public func customerSnapshots(ids: [String]) throws -> [CustomerSnapshot] {
        try ids.compactMap { try customerSnapshot(id: $0) }
    }

    /// Size, newest checkpoint and history start, one query each.
    public func auditHead() throws -> AuditHead {
        AuditHead(size: try auditSize(), latestCheckpoint: try latestCheckpoint(), checkpointHistoryStart: try checkpointHistoryStart())
    }

    /// One query per node.
    public func auditNodes(_ positions: [(level: Int, index: UInt64)]) throws -> [Data?] {
        try positions.map { try auditNode(level: $0.level, index: $0.index) }
    }
}

extension StorageWriter {
    /// One customer after another, each row on its own.
    public func insertCustomers(_ customers: [NewCustomer]) throws {
        for new in customers {
            try insertCustomer(new.customer)
            for record in new.records { try putRecord(customerID: new.customer.id, record) }
            try replaceBlindIndexes(customerID: new.customer.id, new.blindIndexes)
            for consent in new.consents { try setConsent(customerID: new.customer.id, consent) }
        }
    }

    /// One statement per entry, one for the nodes, one per checkpoint and one for the deletion.
    public func appendAudit(_ append: AuditAppend) throws {
        for entry in append.entries { try appendAuditEntry(entry, at: entry.at ?? append.at) }
        try putAuditNodes(append.nodes)
        for checkpoint in append.checkpoints { try insertCheckpoint(checkpoint) }
        if let size = append.replacedCheckpoint { try deleteCheckpoint(size: size) }
    }
}
