public import Foundation
import Logging
import Synchronization
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultStore

/// One invalid import line: its number and what is wrong (never the value).
public struct ImportProblem: Sendable, Equatable, CustomStringConvertible {
    /// 1-based line number.
    public let line: Int
    /// What is wrong and where in the line.
    public let message: String

    /// `line N: message`.
    public var description: String { "line \(line): \(message)" }
}

/// What an import did.
public struct ImportSummary: Sendable, Codable, Equatable {
    /// New customers stored.
    public var inserted = 0
    /// Existing customers replaced (`--upsert`).
    public var updated = 0
    /// Customers already stored with exactly this content (an interrupted import run again).
    public var skipped = 0
    /// Consent states the customers set themselves, which the import left as they are.
    public var consentsKept = 0
    /// Consent states the customers set themselves, which an explicit override replaced.
    public var consentsOverridden = 0
}

extension Vault {
    /// The longest import line read: the largest profile the field caps allow, with room to spare.
    static let maximumImportLine = 1 << 20

    /// Parses and validates JSON Lines against the policy; returns the records, or every problem
    /// (up to `maxProblems`) so nothing is written when any line is bad.
    public func validateImport(_ data: Data, maxProblems: Int = 50) -> Result<[CustomerRecord], ImportFailure> {
        let policy = policy.policy
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        // Lines parse independently: spread them over the cores, then check ids in file order.
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, lines.count / 256 + 1))
        let parsed = Mutex([[Result<CustomerRecord, FieldProblem>?]](repeating: [], count: workers))
        let chunk = (lines.count + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let range = min(worker * chunk, lines.count)..<min((worker + 1) * chunk, lines.count)
            let results = lines[range].map { line -> Result<CustomerRecord, FieldProblem>? in
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }) { return nil }
                guard line.count <= Self.maximumImportLine else {
                    return .failure(FieldProblem("line", "is longer than \(Self.maximumImportLine) bytes: no customer's profile is that large"))
                }
                do throws(FieldProblem) {
                    return .success(try CustomerRecord.parse(line: line, policy: policy))
                } catch {
                    return .failure(error)
                }
            }
            parsed.withLock { $0[worker] = results }
        }
        var records: [CustomerRecord] = []
        records.reserveCapacity(lines.count)
        var problems: [ImportProblem] = []
        var problemCount = 0
        var seen: [String: Int] = [:]
        for (index, result) in parsed.withLock({ $0 }).joined().enumerated() {
            let lineNumber = index + 1
            var problem: FieldProblem?
            switch result {
            case nil: continue
            case .failure(let error)?: problem = error
            case .success(let record)?:
                if let first = seen[record.id] {
                    problem = FieldProblem("id", "repeats the id of line \(first)")
                } else {
                    seen[record.id] = lineNumber
                    records.append(record)
                }
            }
            if let problem {
                problemCount += 1
                if problems.count < maxProblems { problems.append(ImportProblem(line: lineNumber, message: problem.description)) }
            }
        }
        if problemCount > 0 { return .failure(ImportFailure(problems: problems, total: problemCount)) }
        if records.isEmpty { return .failure(ImportFailure(problems: [ImportProblem(line: 0, message: "the file holds no records")], total: 1)) }
        return .success(records)
    }

    /// Stores `records` in batched transactions, each customer under a new DEK (or their existing
    /// one with `upsert`), with one audit entry per customer. A customer already stored with exactly
    /// this content is skipped and counted, so an interrupted import can simply be run again; one
    /// stored with other content is refused, before anything is written, unless `upsert`; an erased
    /// id is always refused. An import never replaces a consent state the customer set themselves,
    /// unless `overrideCustomerConsents`, and then each one is audited as an override.
    ///
    /// - Parameters:
    ///   - records: the customers to store, as `validateImport(_:maxProblems:)` returned them; each id once.
    ///   - upsert: replace customers stored with other content; false: such a customer refuses the whole import.
    ///   - overrideCustomerConsents: let the file's consent states replace those the customers set themselves.
    ///   - principal: a role the policy grants `import`.
    ///   - batchSize: customers per transaction, at least 1; batches committed before a failure stay.
    ///   - progress: called with the customers done so far, those skipped included.
    /// - Returns: how many customers were inserted, updated and skipped, and what became of their own consents.
    /// - Throws: `VaultError.Code.duplicateId`, `.customerErased` or `.customerExists` before anything is written;
    ///   `.customerChanged` when a customer changed during the import (run it again); kind `.denied` without `import`.
    public func importCustomers(
        _ records: [CustomerRecord],
        upsert: Bool = false,
        overrideCustomerConsents: Bool = false,
        by principal: Principal,
        batchSize: Int = 1000,
        progress: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws -> ImportSummary {
        try requireOperation(.importData, principal)
        guard batchSize > 0 else { throw VaultError.invalid(.badBatchSize, "the batch size must be at least 1 customer per transaction") }
        let ids = records.map(\.id)
        guard Set(ids).count == ids.count else { throw VaultError.invalid(.duplicateId, "the import repeats a customer id") }

        // Refuse existing or erased ids up front, so a refused import writes nothing.
        let existing: [String: ExistingCustomer] = try await storage.read { tx in
            var found: [String: ExistingCustomer] = [:]
            for start in stride(from: 0, to: ids.count, by: 10_000) {
                for snapshot in try tx.customerSnapshots(ids: Array(ids[start..<min(start + 10_000, ids.count)])) {
                    found[snapshot.customer.id] = ExistingCustomer(row: snapshot.customer, records: snapshot.records, consents: snapshot.consents)
                }
            }
            return found
        }
        let erased = existing.values.filter { $0.row.erasedAt != nil }.map(\.row.id).sorted()
        guard erased.isEmpty else {
            throw VaultError.conflict(
                .customerErased,
                "\(erased.count) customer(s) in the file were erased and cannot be re-imported (first: \(erased[0])); remove them from the file"
            )
        }
        let policy = policy.policy
        var identical: Set<String> = []
        for record in records {
            if let stored = existing[record.id], try isStored(record, as: stored, policy: policy) { identical.insert(record.id) }
        }
        let different = existing.keys.filter { !identical.contains($0) }.sorted()
        if !upsert, !different.isEmpty {
            let sample = different.prefix(3).joined(separator: ", ")
            throw VaultError.conflict(
                .customerExists,
                "\(different.count) customer(s) already exist with other content (\(sample)…); nothing was imported. Import them as an upsert to replace them"
            )
        }

        var summary = ImportSummary(skipped: identical.count)
        let toWrite = records.filter { !identical.contains($0.id) }
        var done = identical.count
        progress(done)
        let batches = stride(from: 0, to: toWrite.count, by: batchSize).map { Array(toWrite[$0..<min($0 + batchSize, toWrite.count)]) }
        // The next batch is sealed on every core while the writer commits this one; sealing
        // writes nothing, so a batch that fails simply leaves the next one's work unused.
        var sealing = batches.first.map { first in Task { try await self.prepare(first, existing: existing) } }
        defer { sealing?.cancel() }
        for (index, batch) in batches.enumerated() {
            let prepared = try await sealing!.value
            sealing = index + 1 < batches.count ? Task { try await self.prepare(batches[index + 1], existing: existing) } : nil
            let now = clock.now()
            let counts = try await mutate { tx, audit in
                var counts = ImportSummary()
                // New customers are stored together, in one call, after the loop has audited each.
                var inserts: [NewCustomer] = []
                for item in prepared {
                    if item.isUpdate {
                        guard let current = try tx.customer(id: item.customer.id), current.erasedAt == nil else {
                            throw VaultError.conflict(.customerChanged, "customer \(item.customer.id) was erased during the import")
                        }
                        // The records were sealed under the key and over the versions read before
                        // the batch: a write or a retention sweep (which gives a new key) since then
                        // would be undone, or its records left under a key no longer stored.
                        let versions = Dictionary(uniqueKeysWithValues: try tx.records(customerID: item.customer.id).map { ($0.kind, $0.version) })
                        guard current.wrappedKey == item.customer.wrappedKey,
                            item.records.allSatisfy({ (versions[$0.kind] ?? 0) + 1 == $0.version })
                        else {
                            throw VaultError.conflict(
                                .customerChanged,
                                "customer \(item.customer.id) changed while the import ran; nothing of this batch was written: run the import again"
                            )
                        }
                        counts.updated += 1
                    } else {
                        let consents = item.consents.sorted(by: { $0.key < $1.key }).map {
                            ConsentRow(purpose: $0.key, state: ConsentRow.State($0.value), at: now, source: .import)
                        }
                        inserts.append(
                            NewCustomer(customer: item.customer, records: item.records, blindIndexes: item.blindIndexes, consents: consents)
                        )
                        try audit.append(
                            AuditDraft(
                                principal: principal,
                                customer: item.customer.id,
                                fields: item.fieldNames,
                                op: .customerImport,
                                decision: .allow,
                                reason: .byOperator,
                                details: Self.importDetails(consents)
                            )
                        )
                        counts.inserted += 1
                        continue
                    }
                    for record in item.records { try tx.putRecord(customerID: item.customer.id, record) }
                    try tx.replaceBlindIndexes(customerID: item.customer.id, item.blindIndexes)
                    // Read in the transaction: a customer's own choice made a moment ago counts too.
                    let ownChoices = Set(try tx.consents(customerID: item.customer.id).filter { $0.source != .import }.map(\.purpose))
                    var written: [String] = []
                    for (purpose, state) in item.consents.sorted(by: { $0.key < $1.key }) {
                        if ownChoices.contains(purpose) {
                            guard overrideCustomerConsents else {
                                counts.consentsKept += 1
                                continue
                            }
                            try tx.setConsent(
                                customerID: item.customer.id,
                                ConsentRow(purpose: purpose, state: ConsentRow.State(state), at: now, source: .operatorOverride)
                            )
                            try audit.append(
                                AuditDraft(
                                    principal: principal,
                                    purpose: purpose,
                                    customer: item.customer.id,
                                    op: .consentOverride,
                                    decision: .allow,
                                    reason: .operatorOverride,
                                    details: ["state": state.rawValue]
                                )
                            )
                            counts.consentsOverridden += 1
                        } else {
                            try tx.setConsent(
                                customerID: item.customer.id,
                                ConsentRow(purpose: purpose, state: ConsentRow.State(state), at: now, source: .import)
                            )
                            written.append("\(purpose)=\(state.rawValue)")
                        }
                    }
                    var details: [String: String] = [:]
                    if !written.isEmpty { details["consents"] = written.joined(separator: ",") }
                    try audit.append(
                        AuditDraft(
                            principal: principal,
                            customer: item.customer.id,
                            fields: item.fieldNames,
                            op: .customerUpsert,
                            decision: .allow,
                            reason: .byOperator,
                            details: details
                        )
                    )
                }
                try tx.insertCustomers(inserts)
                return counts
            }
            summary.inserted += counts.inserted
            summary.updated += counts.updated
            summary.consentsKept += counts.consentsKept
            summary.consentsOverridden += counts.consentsOverridden
            done += batch.count
            progress(done)
        }
        logger.info(
            "import finished",
            metadata: ["inserted": "\(summary.inserted)", "updated": "\(summary.updated)", "skipped": "\(summary.skipped)"]
        )
        return summary
    }

    /// Whether `record` is what is stored: the same field values, and every consent state it names
    /// either recorded as it says or set by the customer (whose choice an import never replaces).
    private func isStored(_ record: CustomerRecord, as stored: ExistingCustomer, policy: Policy) throws -> Bool {
        guard let wrapped = stored.row.wrappedKey else { return false }
        let dek = try keyring.dek(customerID: record.id, wrapped: Array(wrapped))
        var fields: [String: FieldValue] = [:]
        for row in stored.records {
            fields.merge(try RecordSealer.open(row, customerID: record.id, dek: dek)) { $1 }
        }
        guard fields == record.fields else { return false }
        return record.consents.allSatisfy { purpose, state in
            guard let current = stored.consents.first(where: { $0.purpose == purpose }) else { return false }
            return current.state == ConsentRow.State(state) || current.source != .import
        }
    }

    /// Everything a customer's rows need, computed outside the write transaction on all cores.
    struct PreparedCustomer: Sendable {
        var customer: CustomerRow
        var isUpdate: Bool
        var records: [RecordRow]
        var blindIndexes: [(field: String, digest: Data)]
        var consents: [String: ConsentRecord.Status]
        var fieldNames: [String]
    }

    /// An import entry's details: the consent states it wrote, as `purpose=state,…`.
    static func importDetails(_ consents: [ConsentRow]) -> [String: String] {
        consents.isEmpty ? [:] : ["consents": consents.map { "\($0.purpose)=\($0.state.rawValue)" }.joined(separator: ",")]
    }

    struct ExistingCustomer: Sendable {
        var row: CustomerRow
        var records: [RecordRow]
        var consents: [ConsentRow]

        var versions: [RecordKind: UInt64] { Dictionary(uniqueKeysWithValues: records.map { ($0.kind, $0.version) }) }
    }

    private func prepare(_ batch: [CustomerRecord], existing: [String: ExistingCustomer]) async throws -> [PreparedCustomer] {
        let policy = policy.policy
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, batch.count / 64 + 1))
        let chunk = (batch.count + workers - 1) / workers
        return try await withThrowingTaskGroup(of: (Int, [PreparedCustomer]).self) { group in
            for worker in 0..<workers {
                let slice = batch[min(worker * chunk, batch.count)..<min((worker + 1) * chunk, batch.count)]
                group.addTask {
                    // A batch that failed cancels the sealing of the next: stop at the next customer.
                    (
                        worker,
                        try slice.map {
                            try Task.checkCancellation()
                            return try self.prepare($0, existing: existing[$0.id], policy: policy)
                        }
                    )
                }
            }
            var parts = [[PreparedCustomer]](repeating: [], count: workers)
            for try await (index, part) in group { parts[index] = part }
            return parts.flatMap { $0 }
        }
    }

    private func prepare(_ record: CustomerRecord, existing: ExistingCustomer?, policy: Policy) throws -> PreparedCustomer {
        let now = clock.now()
        let kek = try keyring.current()
        let dek: SymmetricKey
        let customer: CustomerRow
        var versions: [RecordKind: UInt64] = [:]
        if let existing, let wrapped = existing.row.wrappedKey {
            // Upserts keep the customer's DEK, so sealed contests stay readable.
            dek = try keyring.dek(customerID: record.id, wrapped: Array(wrapped))
            customer = existing.row
            versions = existing.versions
        } else {
            dek = SymmetricKey(byteCount: 32, using: random)
            let wrapped = try kek.wrap(dek, customerID: record.id, random: random)
            customer = CustomerRow(id: record.id, wrappedKey: Data(wrapped.serialized), kekVersion: kek.version, createdAt: now)
        }
        var records: [RecordRow] = []
        for kind in RecordKind.allCases {
            let section = FieldDefinition.Section(kind)
            let fields = record.fields.filter { policy.field(named: $0.key)?.section == section }
            let version = (versions[kind] ?? 0) + 1
            records.append(
                try RecordSealer.seal(fields, customerID: record.id, kind: kind, version: version, collectedAt: now, dek: dek, random: random)
            )
        }
        var blindIndexes: [(field: String, digest: Data)] = []
        for field in policy.fields where field.lookup {
            if let value = record.fields[field.name], let normalized = FieldCodec.normalizedLookup(value, type: field.type) {
                blindIndexes.append((field.name, Data(keys.blindIndex(field: field.name, value: normalized))))
            }
        }
        return PreparedCustomer(
            customer: customer,
            isUpdate: existing != nil,
            records: records,
            blindIndexes: blindIndexes,
            consents: record.consents,
            fieldNames: record.fields.keys.sorted()
        )
    }
}

/// Why an import file was refused.
public struct ImportFailure: Error, Sendable {
    /// The first problems found.
    public let problems: [ImportProblem]
    /// How many lines had problems in all.
    public let total: Int
}
