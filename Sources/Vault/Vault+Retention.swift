import Foundation
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
    /// Customers whose stored data failed its integrity check: left as they are, audited, counted.
    public var customersUnreadable = 0
}

extension Vault {
    /// Deletes from storage every value past its field's retention period: each record holding one
    /// is sealed again without it (its other values keep their collection time), a lookup field's
    /// blind index goes with it, and each customer gets one audit entry naming the fields removed,
    /// never their values. Batches commit on their own, so an interrupted sweep simply runs again.
    /// Ends by ridding the database's own files of the old pages.
    ///
    /// A customer who loses a value gets a new DEK (every record and contest text sealed again,
    /// wrapped under the current key epoch): the old ciphertext in backups and in pages not yet
    /// overwritten then depends on the old DEK, which only the old epoch unwraps — so a swept value
    /// in a backup is gone when that epoch is destroyed, as an erased customer is, and an old row
    /// put back into the database no longer opens.
    /// The operator's bulk-data grant (`import`) covers it.
    ///
    /// - Parameters:
    ///   - principal: a role the policy grants `import`.
    ///   - batchSize: customers looked at per transaction.
    ///   - progress: called with (customers looked at, live customers); an error it throws stops the sweep.
    /// - Returns: how many customers and values the sweep changed, and how many it left as they were because their
    ///   data failed its integrity check (each audited; the sweep goes on).
    /// - Throws: kind `.denied` without `import`; whatever `progress` throws.
    @discardableResult
    public func sweepRetention(
        by principal: Principal,
        batchSize: Int = 500,
        progress: @escaping @Sendable (Int, Int) throws -> Void = { _, _ in }
    ) async throws -> RetentionSweepSummary {
        try requireOperation(.importData, principal)
        return try await performSweep(by: principal, batchSize: batchSize, progress: progress)
    }

    private func performSweep(
        by principal: Principal,
        batchSize: Int,
        progress: @escaping @Sendable (Int, Int) throws -> Void
    ) async throws -> RetentionSweepSummary {
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
            let (changed, removed, unreadable) = try await mutate { tx, audit -> (Int, Int, Int) in
                var changed = 0
                var removed = 0
                var unreadable = 0
                for id in ids {
                    let fields: [String]
                    do {
                        fields = try self.sweep(tx, customerID: id, policy: policy, cutoffs: cutoffs)
                    } catch let error where (error as? VaultError)?.kind == .integrity || (error as? StoreError)?.kind == .corrupted {
                        // One damaged customer must not stop the sweep for everyone; `sweep` fails
                        // before it writes anything for that customer.
                        unreadable += 1
                        try audit.append(
                            AuditDraft(
                                principal: principal,
                                customer: id,
                                op: .retentionSweep,
                                decision: .deny,
                                reason: .integrityFailure
                            )
                        )
                        continue
                    }
                    guard !fields.isEmpty else { continue }
                    changed += 1
                    removed += fields.count
                    try audit.append(
                        AuditDraft(
                            principal: principal,
                            customer: id,
                            fields: fields,
                            op: .retentionSweep,
                            decision: .allow,
                            reason: .retentionExpired
                        )
                    )
                }
                return (changed, removed, unreadable)
            }
            summary.customers += ids.count
            summary.customersChanged += changed
            summary.valuesRemoved += removed
            summary.customersUnreadable += unreadable
            try progress(summary.customers, total)
        }
        let final = summary
        try await record { tx, audit in
            try tx.setLastRetentionSweep(at: now, valuesRemoved: final.valuesRemoved)
            try audit.append(
                AuditDraft(
                    principal: principal,
                    op: .retentionSweepComplete,
                    decision: .allow,
                    reason: .byOperator,
                    details: [
                        "customers": String(final.customers), "customers_changed": String(final.customersChanged),
                        "values_removed": String(final.valuesRemoved),
                        "customers_unreadable": String(final.customersUnreadable),
                    ]
                )
            )
        }
        // The deletions are committed and recorded; a busy reader can hold the scrub of old pages
        // up, and the next commit's checkpoint or the next sweep finishes it.
        do {
            try await storage.compact()
        } catch {
            logger.error(
                "retention sweep: old pages may stay in the write-ahead log until the next checkpoint",
                metadata: ["code": "\((error as? VaultError)?.code.rawValue ?? "unexpected")"]
            )
        }
        if summary.customersUnreadable > 0 {
            logger.error(
                "retention sweep: some customers' stored data failed its integrity check and was left as it is",
                metadata: ["customers_unreadable": "\(summary.customersUnreadable)"]
            )
        }
        logger.notice("retention sweep finished", metadata: ["values_removed": "\(summary.valuesRemoved)"])
        return summary
    }

    /// Removes one customer's expired values under a new DEK; returns the fields removed. Everything
    /// is opened before anything is written, so an integrity failure leaves the customer untouched.
    private func sweep(_ tx: any StorageWriter, customerID: String, policy: Policy, cutoffs: [String: RetentionCutoff]) throws -> [String] {
        guard let customer = try tx.customer(id: customerID), let wrapped = customer.wrappedKey else { return [] }
        let records = try tx.records(customerID: customerID)
        // Only a customer with a record old enough for some field of its kind to have expired is
        // looked at — or one whose collection time lies in the future, which only a changed row (or
        // a clock set back) gives: such a customer is left as it is and counted as unreadable.
        let now = clock.now()
        let due = records.contains { record in
            record.updatedAt > now
                || policy.fields.contains {
                    RecordKind($0.section) == record.kind && cutoffs[$0.name]?.isExpired(collectedAt: record.updatedAt) == true
                }
        }
        guard due else { return [] }
        if records.contains(where: { $0.updatedAt > now }) {
            throw VaultError.integrity("a record of customer \(customerID) was collected in the future: its row was changed")
        }
        let oldDEK = try keyring.dek(customerID: customerID, wrapped: Array(wrapped))
        var kept: [(record: RecordRow, values: [String: FieldValue])] = []
        var removed: [String] = []
        for record in records {
            var values = try RecordSealer.open(record, customerID: customerID, dek: oldDEK)
            let expired = values.keys.filter { cutoffs[$0]?.isExpired(collectedAt: record.updatedAt) == true }
            for name in expired { values[name] = nil }
            kept.append((record, values))
            removed += expired
        }
        guard !removed.isEmpty else { return [] }
        let contests = try tx.contests(customerID: customerID, statuses: nil).map { row in
            (
                row: row,
                request: try RecordSealer.openText(row.sealedRequest, customerID: customerID, context: "contest-request:\(row.id)", dek: oldDEK),
                resolution: try row.sealedResolution.map {
                    try RecordSealer.openText($0, customerID: customerID, context: "contest-resolution:\(row.id)", dek: oldDEK)
                }
            )
        }

        let kek = try keyring.current()
        let dek = SymmetricKey(byteCount: 32, using: random)
        for (record, values) in kept {
            let version = record.version + 1
            // The values kept keep their collection time: a sweep must not extend their retention.
            try tx.putRecord(
                customerID: customerID,
                try RecordSealer.seal(
                    values,
                    customerID: customerID,
                    kind: record.kind,
                    version: version,
                    collectedAt: record.updatedAt,
                    dek: dek,
                    random: random
                )
            )
        }
        for contest in contests {
            var row = contest.row
            row.sealedRequest = try RecordSealer.sealText(
                contest.request,
                customerID: customerID,
                context: "contest-request:\(row.id)",
                dek: dek,
                random: random
            )
            row.sealedResolution = try contest.resolution.map {
                try RecordSealer.sealText($0, customerID: customerID, context: "contest-resolution:\(row.id)", dek: dek, random: random)
            }
            try tx.replaceContestCiphertexts(row)
        }
        let rewrapped = try kek.wrap(dek, customerID: customerID, random: random)
        try tx.updateWrappedKey(customerID: customerID, replacing: wrapped, wrappedKey: Data(rewrapped.serialized), kekVersion: kek.version)
        if removed.contains(where: { policy.field(named: $0)?.lookup == true }) {
            try refreshBlindIndexes(tx, customerID: customerID, dek: dek, policy: policy)
        }
        return removed.sorted()
    }

    /// Sweeps when the last sweep is a day old or more (or never ran): a running server calls this.
    /// It is the vault keeping the policy's retention periods, under no one's grant.
    @discardableResult
    public func sweepRetentionIfDue() async throws -> RetentionSweepSummary? {
        // The row is not signed: one that cannot be read, or that lies in the future, makes a sweep
        // due rather than putting it off.
        let last = try? await storage.read { tx in try tx.lastRetentionSweep() }
        if let last = last ?? nil, case let age = clock.now().timeIntervalSince(last.at), age >= 0, age < 86_400 { return nil }
        return try await performSweep(by: .retentionSchedule, batchSize: 500) { _, _ in }
    }
}
