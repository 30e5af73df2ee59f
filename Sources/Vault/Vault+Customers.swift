import Foundation
import VaultAudit
import VaultCrypto
public import VaultPolicy
import VaultStore

/// The outcome of a purpose-bound read: the allowed values, and every field's decision with its reason.
public struct CustomerView: Sendable {
    /// The customer.
    public let customerID: String
    /// The purpose the read was made under (nil for a customer's own read).
    public let purpose: String?
    /// Values of the allowed fields.
    public let values: [String: FieldValue]
    /// Allow/deny per requested field, with reasons.
    public let decisions: [FieldDecision]

    /// Whether any field was allowed.
    public var anyAllowed: Bool { decisions.contains(where: \.allowed) }
}

/// One read as a use case asks for it. The policy and the time are taken once, when the request
/// begins, and carried through: the decision and its audit entries use the same ones.
struct ReadRequest: Sendable {
    var customerID: String
    /// Nil for a customer's own read.
    var purpose: String?
    var fields: [String]
    var principal: Principal
    var policy: Policy
    var now: Date
    var op: AuditOperation
    /// Added to the entries (e.g. the model version a recommendation used).
    var details: [String: String] = [:]
}

/// One write as a use case asks for it; the policy and time are taken once, as for a read.
struct WriteRequest: Sendable {
    var customerID: String
    var purpose: String?
    var values: [String: FieldValue]
    var principal: Principal
    var policy: Policy
    var now: Date
    var op: AuditOperation
    /// A correction staff accepted on the customer's contest: the staff write decision is skipped.
    var isAcceptedCorrection: Bool
    var details: [String: String] = [:]
}

/// A read decided and audited inside the writers' transaction, not yet decrypted: the wrapped key
/// and the records holding allowed fields, exactly as that transaction loaded them.
struct SealedView: Sendable {
    let customerID: String
    let purpose: String?
    let decisions: [FieldDecision]
    /// The customer's data key, unwrapped in the transaction: a key that fails its check fails the
    /// read before its allowing entry is appended.
    let dek: SymmetricKey?
    let records: [RecordRow]
}

extension Vault {
    /// Reads fields of a customer for a purpose; every field gets a decision, every read is audited.
    ///
    /// - Parameters:
    ///   - customerID: the customer's id, such as `c-0000001`; one no customer can have is not found, nor written into the log.
    ///   - purpose: lower_snake_case purpose name the policy defines; an unknown one denies every field.
    ///   - requested: the fields to read, each once, at most 64; nil: those the role's grant covers (without one, every field).
    ///   - principal: a role the policy grants `read` and the purpose; a customer token reaches only its own record.
    /// - Returns: the allowed fields' values and every field's decision: a field denied is in the view, not thrown.
    /// - Throws: `VaultError.Code.badFields` for a bad field list; `.notFound` for no such customer; kind `.denied` for
    ///   a role that never reads rows and `.customerErased`, both audited before they are thrown.
    public func readCustomer(
        _ customerID: String,
        purpose: String,
        fields requested: [String]? = nil,
        by principal: Principal
    ) async throws -> CustomerView {
        try await readCustomer(customerID, purpose: purpose, fields: requested, by: principal, confirming: nil)
    }

    /// Reads fields of a customer for a principal from the token cache, whose token the read's
    /// transaction confirms.
    package func readCustomer(
        _ customerID: String,
        purpose: String,
        fields requested: [String]? = nil,
        by provisional: ProvisionalPrincipal
    ) async throws -> CustomerView {
        try await confirmingFirst(provisional) {
            try await readCustomer(customerID, purpose: purpose, fields: requested, by: provisional.principal, confirming: provisional.tokenID)
        }
    }

    private func readCustomer(
        _ customerID: String,
        purpose: String,
        fields requested: [String]?,
        by principal: Principal,
        confirming tokenID: String?
    ) async throws -> CustomerView {
        try Self.checkFieldList(requested)
        let policy = policy.policy
        let fields = requested ?? Self.defaultFields(policy, role: principal.role, purpose: purpose)
        // An id no customer can have is neither looked up nor written into the log; a role that never
        // reads rows is still refused, and audited, as for any id.
        guard CustomerRecord.isValidID(customerID) else {
            let operation = policy.authorize(role: principal.role, operation: .read)
            if !operation.allowed, principal.role != RoleName.customer.rawValue {
                try await record { tx, audit -> Void in
                    // Not batched: a cached token is confirmed in the transaction that would
                    // record the refusal, so a revoked one leaves no entry.
                    if let tokenID, let problem = Self.tokenProblem(try tx.token(id: tokenID), id: tokenID, now: self.clock.now()) {
                        throw problem
                    }
                    try audit.refuse(
                        AuditDraft(
                            principal: principal,
                            purpose: purpose,
                            fields: fields,
                            op: .customerRead,
                            decision: .deny,
                            reason: AuditReason(operation.code)
                        ),
                        VaultError.denied(.init(operation.code), operation.reason)
                    )
                }
            }
            throw VaultError.notFound("customer \(customerID)")
        }
        let now = clock.now()
        return try open(
            try await logged(customerID: customerID, confirming: tokenID) { tx, audit, prefetched in
                try self.readLocked(
                    tx,
                    &audit,
                    ReadRequest(
                        customerID: customerID,
                        purpose: purpose,
                        fields: fields,
                        principal: principal,
                        policy: policy,
                        now: now,
                        op: .customerRead
                    ),
                    prefetched: prefetched
                )
            }
        )
    }

    /// Finds customers by a lookup field through its blind index, then reads them for `purpose`.
    ///
    /// The search tells a role nothing it may not read: the role's grant for the field is checked
    /// before any matching, and a customer for whom the purpose's basis does not hold now (no
    /// consent, an objection) is left out exactly as if nothing matched — with a denial in that
    /// customer's own log.
    ///
    /// - Parameters:
    ///   - field: a lookup field of the policy (one with a blind index).
    ///   - value: the value to match, normalized as stored ones are: e-mail addresses trimmed and lower-cased, phone numbers as digits.
    ///   - purpose: lower_snake_case purpose name the policy defines; the role's grant for it must name `field`.
    ///   - requested: the fields to read of each match, each once, at most 64; nil: those the grant covers.
    ///   - principal: a role the policy grants `read`, whose grant for `purpose` includes `field`.
    /// - Returns: one view per match for whom the purpose holds now; empty when none does.
    /// - Throws: `VaultError.Code.badFields`; `.notALookupField` for a field without a blind index; kind `.denied`
    ///   without the grant, audited before it is thrown.
    public func findCustomers(
        by field: String,
        value: String,
        purpose: String,
        fields requested: [String]? = nil,
        by principal: Principal
    ) async throws -> [CustomerView] {
        try Self.checkFieldList(requested)
        let policy = policy.policy
        guard let definition = policy.field(named: field), definition.lookup,
            let normalized = FieldCodec.normalizedLookup(.string(value), type: definition.type)
        else {
            throw VaultError.invalid(
                .notALookupField,
                "\(field) is not a lookup field of the policy (lookup fields: \(policy.fields.filter(\.lookup).map(\.name).joined(separator: ", ")))"
            )
        }
        let digest = Data(keys.blindIndex(field: field, value: normalized))
        let fields = requested ?? Self.defaultFields(policy, role: principal.role, purpose: purpose)
        let now = clock.now()
        let found = try await logged { tx, audit, _ in
            audit.decidingPolicy = policy.hash
            // Searching by a value is a use of that value: the role must be granted the field for the purpose.
            let operation = policy.authorize(role: principal.role, operation: .read)
            let granted = policy.role(named: principal.role)?.grant(for: purpose)?.read.contains(field) == true
            guard operation.allowed, granted else {
                let code = operation.allowed ? AuditReason.fieldNotGranted : AuditReason(operation.code)
                let reason =
                    operation.allowed ? "denied: purpose \(purpose) does not let role \(principal.role) search by \(field)" : operation.reason
                try audit.refuse(
                    AuditDraft(
                        principal: principal,
                        purpose: purpose,
                        fields: [field],
                        op: .customerFind,
                        decision: .deny,
                        reason: code
                    ),
                    VaultError.denied(.init(rawValue: code.rawValue), reason)
                )
            }
            var ids: [String] = []
            for id in try tx.customerIDs(field: field, digest: digest) {
                let consent = try tx.customerSnapshot(id: id).map(self.customerState)?.consent ?? [:]
                let basis = policy.basisHolds(purpose: purpose, consent: consent, now: now)
                guard basis.allowed else {
                    try audit.append(
                        AuditDraft(
                            principal: principal,
                            purpose: purpose,
                            customer: id,
                            fields: [field],
                            op: .customerFind,
                            decision: .deny,
                            reason: AuditReason(basis.code)
                        )
                    )
                    continue
                }
                ids.append(id)
            }
            try audit.append(
                AuditDraft(
                    principal: principal,
                    purpose: purpose,
                    fields: [field],
                    op: .customerFind,
                    decision: .allow,
                    reason: .allowedSearch,
                    details: ["matches": String(ids.count)]
                )
            )
            return try ids.map {
                try self.readLocked(
                    tx,
                    &audit,
                    ReadRequest(customerID: $0, purpose: purpose, fields: fields, principal: principal, policy: policy, now: now, op: .customerRead)
                )
            }
        }
        return try found.map(open)
    }

    /// Updates fields of a customer for a purpose: all requested fields must be writable, or nothing changes.
    ///
    /// - Parameters:
    ///   - customerID: the customer's id, such as `c-0000001`.
    ///   - purpose: lower_snake_case purpose name the policy defines, under which the role may write every field.
    ///   - changes: the new values by field name, as text: string, e-mail, phone and date fields literally, others as JSON.
    ///   - principal: a role the policy grants `write`, with every field in its write grant for `purpose`.
    /// - Returns: the names of the fields written, sorted.
    /// - Throws: `VaultError.Code.unknownField` or `.invalidValue` before any decision; `.notFound` for no such
    ///   customer; kind `.denied` for any field refused and `.customerErased`, audited before they are thrown.
    public func updateCustomer(_ customerID: String, purpose: String, set changes: [String: String], by principal: Principal) async throws -> [String]
    {
        let policy = policy.policy
        guard !changes.isEmpty else { throw VaultError.invalid(.badFields, "name at least one field to change") }
        var parsed: [String: FieldValue] = [:]
        for (name, text) in changes {
            guard let definition = policy.field(named: name) else {
                throw VaultError.invalid(.unknownField, "\(name) is not a field of the policy")
            }
            parsed[name] = try parseValue(text, for: definition)
        }
        let values = parsed
        // As for a read: an id no customer can have is neither looked up nor written into the log
        // (it may be a value typed in the wrong place); a role that never writes rows is still
        // refused, and audited, as for any id. The fields were checked against the policy first,
        // so only the policy's field names reach that entry.
        guard CustomerRecord.isValidID(customerID) else {
            if !policy.authorize(role: principal.role, operation: .write).allowed, principal.role != RoleName.customer.rawValue {
                try await record { _, audit -> Void in
                    try audit.requireOperation(
                        .write,
                        of: principal,
                        in: policy,
                        // Only a purpose the policy names: this one is free text from the caller.
                        purpose: policy.purpose(named: purpose) == nil ? nil : purpose,
                        customer: nil,
                        fields: values.keys.sorted(),
                        op: .customerUpdate
                    )
                }
            }
            throw VaultError.notFound("customer \(customerID)")
        }
        let now = clock.now()
        return try await mutate { tx, audit in
            try self.writeLocked(
                tx,
                &audit,
                WriteRequest(
                    customerID: customerID,
                    purpose: purpose,
                    values: values,
                    principal: principal,
                    policy: policy,
                    now: now,
                    op: .customerUpdate,
                    isAcceptedCorrection: false
                )
            )
        }
    }

    /// A field list names each field at most once, at most 64 of them, each a plausible name.
    static func checkFieldList(_ fields: [String]?) throws {
        guard let fields else { return }
        guard fields.count <= 64, Set(fields).count == fields.count, fields.allSatisfy({ (1...64).contains($0.utf8.count) }) else {
            throw VaultError.invalid(.badFields, "fields must name each field once, at most 64 fields of at most 64 bytes each")
        }
    }

    /// Without an explicit field list, a read asks for what the role's grant covers for the purpose
    /// (or, without a grant, every field, so each denial shows its reason).
    static func defaultFields(_ policy: Policy, role: String, purpose: String) -> [String] {
        let granted = policy.role(named: role)?.grant(for: purpose)?.read ?? []
        return granted.isEmpty ? policy.fields.map(\.name) : granted
    }

    /// The body of a read inside a transaction: the decision and its audit entries, with the
    /// allowed fields' records as this transaction loaded them, still sealed (`open` decrypts them
    /// after the commit, off the single writer).
    func readLocked(
        _ tx: any StorageWriter,
        _ audit: inout AuditAppender,
        _ request: ReadRequest,
        prefetched: PrefetchedCustomers = .none
    ) throws -> SealedView {
        let (customerID, purpose, fields, principal) = (request.customerID, request.purpose, request.fields, request.principal)
        let (policy, now, op, details) = (request.policy, request.now, request.op, request.details)
        // The entries name the policy that decides here, even if another was applied since the
        // request took it.
        let outer = audit.decidingPolicy
        audit.decidingPolicy = policy.hash
        defer { audit.decidingPolicy = outer }
        let isSelf = principal.customerID == customerID && principal.role == RoleName.customer.rawValue
        // A customer token reaches only its own customer; anything else looks absent (no probing).
        if principal.role == RoleName.customer.rawValue, !isSelf { throw VaultError.notFound("customer \(customerID)") }
        // A role that never reads rows (analyst, auditor, operator) is refused outright, and audited.
        if !isSelf {
            try audit.requireOperation(.read, of: principal, in: policy, purpose: purpose, customer: customerID, fields: fields, op: op)
        }
        let (customer, records, state) = try loadForDecision(
            tx,
            customerID: customerID,
            principal: principal,
            purpose: purpose,
            fields: fields,
            audit: &audit,
            op: op,
            prefetched: prefetched
        )
        let decision = policy.decideRead(role: principal.role, purpose: purpose, fields: fields, customer: state, isSelf: isSelf, now: now)
        let allowed = decision.allowedFields
        var sealed: [RecordRow] = []
        var dek: SymmetricKey?
        if !allowed.isEmpty {
            let neededKinds = Set(allowed.compactMap { policy.field(named: $0).map { RecordKind($0.section) } })
            sealed = records.filter { neededKinds.contains($0.kind) }
            if !sealed.isEmpty { dek = try keyring.dek(customerID: customerID, wrapped: Array(customer.wrappedKey ?? Data())) }
            try audit.append(
                AuditDraft(
                    principal: principal,
                    purpose: purpose,
                    customer: customerID,
                    fields: allowed,
                    op: op,
                    decision: .allow,
                    reason: AuditReason(decision.fields.first(where: \.allowed)!.decision.code),
                    details: details
                )
            )
        }
        let denied = decision.fields.filter { !$0.allowed }
        if !denied.isEmpty {
            try audit.append(
                AuditDraft(
                    principal: principal,
                    purpose: purpose,
                    customer: customerID,
                    fields: denied.map(\.field),
                    op: op,
                    decision: .deny,
                    reason: AuditReason(denied[0].decision.code),
                    details: details
                )
            )
        }
        return SealedView(
            customerID: customerID,
            purpose: purpose,
            decisions: decision.fields,
            dek: dek,
            records: sealed
        )
    }

    /// Decrypts what a read was allowed. Runs after the read's transaction committed, on the
    /// caller's task, so concurrent reads decrypt on every core while the writer only decides and
    /// appends; the bytes are those the decision was made on, so the values returned are the ones
    /// its audit entry describes. (A record altered in the database fails here, after its entry
    /// was committed: the log then records a read whose data never left, which errs the safe way.)
    func open(_ sealed: SealedView) throws -> CustomerView {
        var values: [String: FieldValue] = [:]
        if let dek = sealed.dek {
            let allowed = Set(sealed.decisions.filter(\.allowed).map(\.field))
            for record in sealed.records {
                for (name, value) in try RecordSealer.open(record, customerID: sealed.customerID, dek: dek) where allowed.contains(name) {
                    values[name] = value
                }
            }
        }
        return CustomerView(customerID: sealed.customerID, purpose: sealed.purpose, values: values, decisions: sealed.decisions)
    }

    /// The body of a write inside a transaction: all-or-nothing decision, re-seal, indexes, audit.
    /// An accepted contest's correction skips the staff write decision: the customer asked for it
    /// (GDPR Art. 16) and staff with `review_contests` accepted it.
    func writeLocked(_ tx: any StorageWriter, _ audit: inout AuditAppender, _ request: WriteRequest) throws -> [String] {
        let (customerID, purpose, values, principal) = (request.customerID, request.purpose, request.values, request.principal)
        let (policy, now, op, isAcceptedCorrection, details) = (
            request.policy, request.now, request.op, request.isAcceptedCorrection, request.details
        )
        let outer = audit.decidingPolicy
        audit.decidingPolicy = policy.hash
        defer { audit.decidingPolicy = outer }
        if principal.role == RoleName.customer.rawValue, principal.customerID != customerID { throw VaultError.notFound("customer \(customerID)") }
        let names = values.keys.sorted()
        // A role that never writes rows is refused before the customer is looked up, so its
        // tokens cannot tell existing, absent and erased ids apart.
        if !isAcceptedCorrection {
            try audit.requireOperation(.write, of: principal, in: policy, purpose: purpose, customer: customerID, fields: names, op: op)
        }
        let (customer, records, state) = try loadForDecision(
            tx,
            customerID: customerID,
            principal: principal,
            purpose: purpose,
            fields: names,
            audit: &audit,
            op: op
        )
        if !isAcceptedCorrection {
            let decision = policy.decideWrite(role: principal.role, purpose: purpose, fields: names, customer: state, now: now)
            if let denial = decision.fields.first(where: { !$0.allowed }) {
                try audit.refuse(
                    AuditDraft(
                        principal: principal,
                        purpose: purpose,
                        customer: customerID,
                        fields: names,
                        op: op,
                        decision: .deny,
                        reason: AuditReason(denial.decision.code),
                        details: details
                    ),
                    VaultError.denied(.init(denial.decision.code), "\(denial.field): \(denial.decision.reason)")
                )
            }
        }
        let dek = try keyring.dek(customerID: customerID, wrapped: Array(customer.wrappedKey!))
        var expired: [String] = []
        for kind in RecordKind.allCases {
            let changed = names.filter { policy.field(named: $0).map { RecordKind($0.section) } == kind }
            guard !changed.isEmpty else { continue }
            let current = records.first { $0.kind == kind }
            var fields = try current.map { try RecordSealer.open($0, customerID: customerID, dek: dek) } ?? [:]
            // The record is sealed again with today's collection time: a value already past its
            // retention must not ride along and be kept for another period.
            if let current {
                for name in fields.keys
                where !changed.contains(name)
                    && policy.field(named: name)?.retentionCutoff(now: now).isExpired(collectedAt: current.updatedAt) == true
                {
                    fields[name] = nil
                    expired.append(name)
                }
            }
            for name in changed { fields[name] = values[name] }
            let version = (current?.version ?? 0) + 1
            try tx.putRecord(
                customerID: customerID,
                try RecordSealer.seal(
                    fields,
                    customerID: customerID,
                    kind: kind,
                    version: version,
                    collectedAt: now,
                    dek: dek,
                    random: random
                )
            )
        }
        if (names + expired).contains(where: { policy.field(named: $0)?.lookup == true }) {
            try refreshBlindIndexes(tx, customerID: customerID, dek: dek, policy: policy)
        }
        var entryDetails = details
        if !expired.isEmpty { entryDetails["retention_removed"] = expired.sorted().joined(separator: ",") }
        try audit.append(
            AuditDraft(
                principal: principal,
                purpose: purpose,
                customer: customerID,
                fields: names,
                op: op,
                decision: .allow,
                reason: isAcceptedCorrection ? .allowedContestAccepted : .allowedWrite,
                details: entryDetails
            )
        )
        return names
    }

    /// Loads what a decision about a customer needs; a missing or erased customer is audited and refused.
    func loadForDecision(
        _ tx: any StorageWriter,
        customerID: String,
        principal: Principal,
        purpose: String?,
        fields: [String],
        audit: inout AuditAppender,
        op: AuditOperation,
        prefetched: PrefetchedCustomers = .none
    ) throws -> (CustomerRow, [RecordRow], CustomerState) {
        // One storage call at most: on a shared database it runs while every other writer waits.
        guard let snapshot = try prefetched.snapshot(customerID, in: tx) else {
            throw VaultError.notFound("customer \(customerID)")
        }
        guard snapshot.customer.erasedAt == nil, snapshot.customer.wrappedKey != nil else {
            try audit.refuse(
                AuditDraft(
                    principal: principal,
                    purpose: purpose,
                    customer: customerID,
                    fields: fields,
                    op: op,
                    decision: .deny,
                    reason: .customerErased
                ),
                VaultError.erased(customerID)
            )
        }
        return (snapshot.customer, snapshot.records, customerState(snapshot))
    }

    /// Consents, disputes and collection times of one customer, as the policy's decisions need them.
    func customerState(_ snapshot: CustomerSnapshot) -> CustomerState {
        var consent: [String: ConsentRecord] = [:]
        for row in snapshot.consents {
            consent[row.purpose] = ConsentRecord(row)
        }
        var collectedAt: [String: Date] = [:]
        let policy = policy.policy
        for record in snapshot.records {
            for field in policy.fields where RecordKind(field.section) == record.kind {
                collectedAt[field.name] = record.updatedAt
            }
        }
        return CustomerState(consent: consent, disputedFields: snapshot.disputedFields, collectedAt: collectedAt)
    }

    func refreshBlindIndexes(_ tx: any StorageWriter, customerID: String, dek: SymmetricKey, policy: Policy) throws {
        var all: [String: FieldValue] = [:]
        for record in try tx.records(customerID: customerID) {
            all.merge(try RecordSealer.open(record, customerID: customerID, dek: dek)) { $1 }
        }
        var entries: [(field: String, digest: Data)] = []
        for field in policy.fields where field.lookup {
            if let value = all[field.name], let normalized = FieldCodec.normalizedLookup(value, type: field.type) {
                entries.append((field.name, Data(keys.blindIndex(field: field.name, value: normalized))))
            }
        }
        try tx.replaceBlindIndexes(customerID: customerID, entries)
    }
}
