public import Foundation
import Logging
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultStore

/// What a retention sweep did.
public struct RetentionSweepSummary: Sendable, Codable {
    /// Customers looked at.
    public var customers = 0
    /// Customers who had at least one value past its retention.
    public var customersChanged = 0
    /// Values deleted (one per field per customer).
    public var valuesRemoved = 0
}

extension Vault {
    /// Deletes from storage every value past its field's retention period: each record holding one
    /// is sealed again without it (its other values keep their collection time), a lookup field's
    /// blind index goes with it, and each customer gets one audit entry naming the fields removed,
    /// never their values. Batches commit on their own, so an interrupted sweep simply runs again.
    /// Ends by ridding the database's own files of the old pages.
    /// The operator's bulk-data grant (`import`) covers it.
    @discardableResult
    public func sweepRetention(by principal: Principal, batchSize: Int = 500,
                               progress: @escaping @Sendable (Int, Int) throws -> Void = { _, _ in }) async throws -> RetentionSweepSummary {
        try requireOperation(.importData, principal)
        return try await performSweep(by: principal, batchSize: batchSize, progress: progress)
    }

    private func performSweep(by principal: Principal, batchSize: Int, progress: @escaping @Sendable (Int, Int) throws -> Void) async throws -> RetentionSweepSummary {
        let policy = policy.policy
        let now = clock.now()
        let cutoffs = Dictionary(uniqueKeysWithValues: policy.fields.map { ($0.name, $0.retentionCutoff(now: now)) })
        let total = try await storage.read { tx in try tx.customerCounts().live }
        var summary = RetentionSweepSummary()
        var after: String?
        try progress(0, total)
        while true {
            let page = try await storage.read { [after] tx in try tx.liveCustomers(after: after, limit: batchSize) }
            guard let last = page.last else { break }
            after = last.id
            let ids = page.map(\.id)
            let (changed, removed) = try await mutate { tx, audit -> (Int, Int) in
                var changed = 0
                var removed = 0
                for id in ids {
                    let fields = try self.sweep(tx, customerID: id, policy: policy, cutoffs: cutoffs)
                    guard !fields.isEmpty else { continue }
                    changed += 1
                    removed += fields.count
                    try audit.append(AuditDraft(principal: principal, customer: id, fields: fields, op: "retention.sweep",
                                                decision: .allow, reason: "retention_expired"))
                }
                return (changed, removed)
            }
            summary.customers += ids.count
            summary.customersChanged += changed
            summary.valuesRemoved += removed
            try progress(summary.customers, total)
        }
        try await storage.compact()
        let final = summary
        try await record { tx, audit in
            try tx.setLastRetentionSweep(at: now, valuesRemoved: final.valuesRemoved)
            try audit.append(AuditDraft(principal: principal, op: "retention.sweep.complete", decision: .allow, reason: "operator",
                                        details: ["customers": String(final.customers), "customers_changed": String(final.customersChanged),
                                                  "values_removed": String(final.valuesRemoved)]))
        }
        logger.notice("retention sweep finished", metadata: ["values_removed": "\(summary.valuesRemoved)"])
        return summary
    }

    /// Removes one customer's expired values; returns the fields removed.
    private func sweep(_ tx: any StorageWriter, customerID: String, policy: Policy, cutoffs: [String: RetentionCutoff]) throws -> [String] {
        guard let customer = try tx.customer(id: customerID), let wrapped = customer.wrappedKey else { return [] }
        let records = try tx.records(customerID: customerID)
        // Only a record old enough for some field of its kind to have expired is opened at all.
        let candidates = records.filter { record in
            policy.fields.contains { $0.section.rawValue == record.kind.rawValue && cutoffs[$0.name]?.isExpired(collectedAt: record.updatedAt) == true }
        }
        guard !candidates.isEmpty else { return [] }
        let dek = try keyring.dek(customerID: customerID, wrapped: Array(wrapped))
        var removed: [String] = []
        for record in candidates {
            var values = try RecordSealer.open(record, customerID: customerID, dek: dek)
            let expired = values.keys.filter { cutoffs[$0]?.isExpired(collectedAt: record.updatedAt) == true }
            guard !expired.isEmpty else { continue }
            for name in expired { values[name] = nil }
            let version = record.version + 1
            // The values kept keep their collection time: a sweep must not extend their retention.
            try tx.putRecord(customerID: customerID, RecordRow(kind: record.kind, version: version,
                                                               ciphertext: try RecordSealer.seal(values, customerID: customerID, kind: record.kind,
                                                                                                 version: version, dek: dek, random: random),
                                                               updatedAt: record.updatedAt))
            removed += expired
        }
        if removed.contains(where: { policy.field(named: $0)?.lookup == true }) {
            try refreshBlindIndexes(tx, customerID: customerID, dek: dek, policy: policy)
        }
        return removed.sorted()
    }

    /// Sweeps when the last sweep is a day old or more (or never ran): a running server calls this.
    /// It is the vault keeping the policy's retention periods, under no one's grant.
    @discardableResult
    public func sweepRetentionIfDue() async throws -> RetentionSweepSummary? {
        let last = try await storage.read { tx in try tx.lastRetentionSweep() }
        if let last, clock.now().timeIntervalSince(last.at) < 86_400 { return nil }
        return try await performSweep(by: .retentionSchedule, batchSize: 500) { _, _ in }
    }
}
