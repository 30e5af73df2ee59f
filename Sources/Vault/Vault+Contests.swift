public import Foundation
import VaultAudit
import VaultCrypto
import VaultFormat
import VaultPolicy
import VaultStore

/// A contest as its customer or staff see it.
public struct ContestView: Sendable, Encodable {
    /// Contest id.
    public let id: String
    /// The contesting customer.
    public let customer: String
    /// The contested field.
    public let field: String
    /// Where it stands.
    public let status: String
    /// When it was opened.
    public let openedAt: Date
    /// When staff must answer (GDPR Art. 12(3)).
    public let deadline: Date
    /// Whether it is pending past its deadline.
    public let overdue: Bool
    /// When it left the pending states.
    public let resolvedAt: Date?
    /// Staff's reason or question (shown to the customer).
    public let resolution: String?
    /// The proposed value (only for the customer, or staff reviewing it).
    public let proposedValue: FieldValue?
    /// The customer's reason (only for the customer, or staff reviewing it).
    public let reason: String?
}

/// What staff decide about a contest.
public enum ContestResolution: String, Sendable, CaseIterable {
    /// Apply the proposed value.
    case accept
    /// Keep the current value; the reason is shown to the customer.
    case reject
    /// Ask the customer for more information; the field stays disputed.
    case requestInfo = "request_info"
}

extension Vault {
    /// A customer contests a field: the contest opens, the field becomes disputed, and the
    /// purposes the policy names are restricted for it until resolution.
    ///
    /// - Parameters:
    ///   - field: the contested field, by its policy name.
    ///   - proposedValue: the value the customer says is right, as text; checked against the field's type.
    ///   - reason: why, shown to staff: 1–2000 characters, line breaks allowed.
    ///   - principal: a customer token whose role the policy grants `self_contest`; it contests only its own record.
    /// - Returns: the new contest, with its deadline from the policy's contest rules.
    /// - Throws: `VaultError.Code.customerOnly` for a staff token; `.unknownField`, `.invalidValue`, `.reasonRequired`
    ///   or `.invalidText` for bad input; `.alreadyContested` while the field has a pending contest;
    ///   `.customerErased`, audited before it is thrown; kind `.denied` without `self_contest`.
    public func openContest(field: String, proposedValue: String, reason: String, by principal: Principal) async throws -> ContestView {
        let customerID = try selfID(principal, .selfContest)
        let policy = policy.policy
        guard let definition = policy.field(named: field) else {
            throw VaultError.invalid(
                .unknownField,
                "\(field) is not a field of your profile (fields: \(policy.fields.map(\.name).joined(separator: ", ")))"
            )
        }
        let value = try parseValue(proposedValue, for: definition)
        try Self.checkFreeText(reason, "reason", missing: .reasonRequired)
        let id = "ct_" + random.bytes(8).hexString
        let now = clock.now()
        let deadline = policy.contests.responseDeadline.adding(to: now)
        let request = ContestRequest(value: value, reason: reason, reply: nil)
        return try await mutate { tx, audit in
            let (customer, _, _) = try self.loadForDecision(
                tx,
                customerID: customerID,
                principal: principal,
                purpose: nil,
                fields: [field],
                audit: &audit,
                op: .contestOpen
            )
            let dek = try self.keyring.dek(customerID: customerID, wrapped: Array(customer.wrappedKey!))
            let row = ContestRow(
                id: id,
                customerID: customerID,
                field: field,
                sealedRequest: try RecordSealer.sealText(
                    request.encoded(),
                    customerID: customerID,
                    context: "contest-request:\(id)",
                    dek: dek,
                    random: self.random
                ),
                status: .open,
                openedAt: now,
                deadline: deadline
            )
            do {
                try tx.insertContest(row)
            } catch let error as StoreError where error.kind == .duplicate {
                throw VaultError.conflict(.alreadyContested, "\(field) already has a pending contest; wait for its resolution or withdraw it")
            }
            try audit.append(
                AuditDraft(
                    principal: principal,
                    customer: customerID,
                    fields: [field],
                    op: .contestOpen,
                    decision: .allow,
                    reason: .allowedSelf,
                    details: ["contest": id, "deadline": AuditTimestamp(deadline).rfc3339]
                )
            )
            return ContestView(row, now: now, request: request, resolution: nil)
        }
    }

    /// The customer's own contests, with their proposed values and staff's answers.
    public func myContests(by principal: Principal) async throws -> [ContestView] {
        let customerID = try selfID(principal, .selfRead)
        let now = clock.now()
        return try await logged(customerID: customerID) { tx, audit, prefetched in
            let (customer, _, _) = try self.loadForDecision(
                tx,
                customerID: customerID,
                principal: principal,
                purpose: nil,
                fields: [],
                audit: &audit,
                op: .selfContests,
                prefetched: prefetched
            )
            let dek = try self.keyring.dek(customerID: customerID, wrapped: Array(customer.wrappedKey!))
            try audit.append(AuditDraft(principal: principal, customer: customerID, op: .selfContests, decision: .allow, reason: .allowedSelf))
            return try tx.contests(customerID: customerID, statuses: nil).map { row in
                try self.view(row, dek: dek, now: now, reveal: true)
            }
        }
    }

    /// The customer withdraws a pending contest, or answers staff's question (it reopens).
    ///
    /// - Parameters:
    ///   - id: the contest's id (`ct_…`); another customer's contest looks absent.
    ///   - withdraw: true: withdraw the contest (`reply` is ignored); false: answer staff's question with `reply`.
    ///   - reply: the answer, 1–2000 characters, line breaks allowed; needed only when not withdrawing.
    ///   - principal: a customer token whose role the policy grants `self_contest`.
    /// - Returns: the contest as it now stands, with the customer's proposed value and reason.
    /// - Throws: `VaultError.Code.notFound`; `.contestClosed` once it left the pending states; `.replyRequired` or
    ///   `.invalidText` for a bad reply; `.noQuestion` when replying while staff asked nothing; `.customerOnly` for a
    ///   staff token.
    public func updateMyContest(id: String, withdraw: Bool, reply: String?, by principal: Principal) async throws -> ContestView {
        let customerID = try selfID(principal, .selfContest)
        let now = clock.now()
        return try await mutate { tx, audit in
            guard let row = try tx.contest(id: id), row.customerID == customerID else { throw VaultError.notFound("contest \(id)") }
            guard row.status.isPending else { throw VaultError.conflict(.contestClosed, "contest \(id) is already \(row.status.rawValue)") }
            let (customer, _, _) = try self.loadForDecision(
                tx,
                customerID: customerID,
                principal: principal,
                purpose: nil,
                fields: [row.field],
                audit: &audit,
                op: .contestUpdate
            )
            let dek = try self.keyring.dek(customerID: customerID, wrapped: Array(customer.wrappedKey!))
            var updated = row
            if withdraw {
                updated.status = .withdrawn
                updated.resolvedAt = now
                updated.resolver = principal.actor
                try tx.updateContest(updated)
                try audit.append(
                    AuditDraft(
                        principal: principal,
                        customer: customerID,
                        fields: [row.field],
                        op: .contestWithdraw,
                        decision: .allow,
                        reason: .allowedSelf,
                        details: ["contest": id]
                    )
                )
            } else {
                guard let reply else { throw VaultError.invalid(.replyRequired, "give a reply of 1–2000 characters") }
                try Self.checkFreeText(reply, "reply", missing: .replyRequired)
                guard row.status == .infoRequested else {
                    throw VaultError.conflict(.noQuestion, "staff have not asked for information on contest \(id)")
                }
                var request = try ContestRequest.decode(
                    try RecordSealer.openText(row.sealedRequest, customerID: customerID, context: "contest-request:\(id)", dek: dek)
                )
                request.reply = reply
                // The reply is sealed into the request itself, so only a new row state is written.
                updated.status = .open
                updated.sealedRequest = try RecordSealer.sealText(
                    request.encoded(),
                    customerID: customerID,
                    context: "contest-request:\(id)",
                    dek: dek,
                    random: self.random
                )
                try tx.updateContestRequest(updated)
                try audit.append(
                    AuditDraft(
                        principal: principal,
                        customer: customerID,
                        fields: [row.field],
                        op: .contestReply,
                        decision: .allow,
                        reason: .allowedSelf,
                        details: ["contest": id]
                    )
                )
            }
            return try self.view(updated, dek: dek, now: now, reveal: true)
        }
    }

    /// The filters `listContests` takes: `all`, `open` (or `pending`), `overdue`, or one status.
    public static let contestFilters = ["all", "open", "pending", "overdue"] + ContestRow.Status.allCases.map(\.rawValue).filter { $0 != "open" }

    /// Contests for staff: all, pending, or pending past their deadline; values are not shown.
    public func listContests(status filter: String?, by principal: Principal) async throws -> [ContestView] {
        try requireOperation(.reviewContests, principal)
        let now = clock.now()
        let statuses: Set<ContestRow.Status>?
        switch filter {
        case nil, "all": statuses = nil
        case "open", "pending", "overdue": statuses = [.open, .infoRequested]
        case let other?:
            guard let status = ContestRow.Status(rawValue: other) else {
                throw VaultError.invalid(.badStatus, "the status filter must be one of \(Self.contestFilters.joined(separator: ", "))")
            }
            statuses = [status]
        }
        // The list names customers and the fields they contest: listing it is an audited read.
        return try await logged { tx, audit, _ in
            let views = try tx.contests(customerID: nil, statuses: statuses)
                .map { ContestView($0, now: now, request: nil, resolution: nil) }.filter { filter != "overdue" || $0.overdue }
            try audit.append(
                AuditDraft(
                    principal: principal,
                    op: .contestsList,
                    decision: .allow,
                    reason: .allowedContestReview,
                    details: ["status": filter ?? "all", "returned": String(views.count)]
                )
            )
            return views
        }
    }

    /// Staff open one contest to review it: the proposed value and reason are decrypted (audited)
    /// when the reviewer's role may read or write the contested field under some purpose; otherwise
    /// the contest is shown without them, so reviewing never reaches a field the policy withholds.
    public func reviewContest(id: String, by principal: Principal) async throws -> ContestView {
        try requireOperation(.reviewContests, principal)
        let role = policy.policy.role(named: principal.role)
        let now = clock.now()
        return try await logged { tx, audit, _ in
            guard let row = try tx.contest(id: id) else { throw VaultError.notFound("contest \(id)") }
            let (customer, _, _) = try self.loadForDecision(
                tx,
                customerID: row.customerID,
                principal: principal,
                purpose: nil,
                fields: [row.field],
                audit: &audit,
                op: .contestReview
            )
            let dek = try self.keyring.dek(customerID: row.customerID, wrapped: Array(customer.wrappedKey!))
            let reveal = role?.reaches(field: row.field) == true
            try audit.append(
                AuditDraft(
                    principal: principal,
                    customer: row.customerID,
                    fields: reveal ? [row.field] : [],
                    op: .contestReview,
                    decision: .allow,
                    reason: reveal ? .allowedContestReview : .contestReviewValueWithheld,
                    details: ["contest": id]
                )
            )
            return try self.view(row, dek: dek, now: now, reveal: reveal)
        }
    }

    /// Staff resolve a contest: accept (the correction is applied through the encrypted write
    /// path), reject with a reason the customer sees, or ask for information. Only a reviewer whose
    /// role may read or write the contested field may accept: accepting writes a value they must
    /// have been able to judge.
    ///
    /// - Parameters:
    ///   - id: the contest's id (`ct_…`).
    ///   - resolution: accept (the proposed value is written), reject, or request information (it stays pending).
    ///   - reason: the reason or the question, shown to the customer: 1–2000 characters, line breaks allowed.
    ///   - principal: a role the policy grants `review_contests`; to accept, also a read or write grant for the field.
    /// - Returns: the contest as it now stands, without the proposed value and reason.
    /// - Throws: `VaultError.Code.notFound`; `.contestClosed` once it left the pending states; `.reasonRequired` or
    ///   `.invalidText` for a bad reason; `.fieldNotGranted` for an accept the role cannot judge and `.customerErased`,
    ///   both audited before they are thrown; kind `.denied` without `review_contests`.
    public func resolveContest(id: String, resolution: ContestResolution, reason: String, by principal: Principal) async throws -> ContestView {
        try requireOperation(.reviewContests, principal)
        try Self.checkFreeText(reason, "reason", missing: .reasonRequired)
        let policy = policy.policy
        let now = clock.now()
        return try await mutate { tx, audit in
            guard let row = try tx.contest(id: id) else { throw VaultError.notFound("contest \(id)") }
            guard row.status.isPending else { throw VaultError.conflict(.contestClosed, "contest \(id) is already \(row.status.rawValue)") }
            if resolution == .accept, policy.role(named: principal.role)?.reaches(field: row.field) != true {
                try audit.refuse(
                    AuditDraft(
                        principal: principal,
                        customer: row.customerID,
                        fields: [row.field],
                        op: .contestAccept,
                        decision: .deny,
                        reason: .fieldNotGranted,
                        details: ["contest": id]
                    ),
                    VaultError.denied(
                        .fieldNotGranted,
                        "role \(principal.role) may neither read nor write field \(row.field) under any purpose, so it cannot judge this correction: a reviewer who may see the field must accept it"
                    )
                )
            }
            let (customer, _, _) = try self.loadForDecision(
                tx,
                customerID: row.customerID,
                principal: principal,
                purpose: nil,
                fields: [row.field],
                audit: &audit,
                op: .contestResolve
            )
            let dek = try self.keyring.dek(customerID: row.customerID, wrapped: Array(customer.wrappedKey!))
            let request = try ContestRequest.decode(
                try RecordSealer.openText(row.sealedRequest, customerID: row.customerID, context: "contest-request:\(id)", dek: dek)
            )
            var updated = row
            updated.resolver = principal.actor
            updated.sealedResolution = try RecordSealer.sealText(
                Array(reason.utf8),
                customerID: row.customerID,
                context: "contest-resolution:\(id)",
                dek: dek,
                random: self.random
            )
            switch resolution {
            case .accept:
                // Close the contest first, so the field is no longer disputed when the correction is written.
                updated.status = .accepted
                updated.resolvedAt = now
                try tx.updateContest(updated)
                _ = try self.writeLocked(
                    tx,
                    &audit,
                    WriteRequest(
                        customerID: row.customerID,
                        purpose: nil,
                        values: [row.field: request.value],
                        principal: principal,
                        policy: policy,
                        now: now,
                        op: .contestApply,
                        isAcceptedCorrection: true,
                        details: ["contest": id]
                    )
                )
            case .reject:
                updated.status = .rejected
                updated.resolvedAt = now
                try tx.updateContest(updated)
            case .requestInfo:
                updated.status = .infoRequested
                try tx.updateContest(updated)
            }
            try audit.append(
                AuditDraft(
                    principal: principal,
                    customer: row.customerID,
                    fields: [row.field],
                    op: resolution.operation,
                    decision: .allow,
                    reason: .allowedContestReview,
                    details: ["contest": id]
                )
            )
            return try self.view(updated, dek: dek, now: now, reveal: false)
        }
    }

    func view(_ row: ContestRow, dek: SymmetricKey, now: Date, reveal: Bool) throws -> ContestView {
        let request =
            reveal
            ? try ContestRequest.decode(
                try RecordSealer.openText(row.sealedRequest, customerID: row.customerID, context: "contest-request:\(row.id)", dek: dek)
            ) : nil
        let resolution = try row.sealedResolution.map {
            String(
                decoding: try RecordSealer.openText($0, customerID: row.customerID, context: "contest-resolution:\(row.id)", dek: dek),
                as: UTF8.self
            )
        }
        return ContestView(row, now: now, request: request, resolution: resolution)
    }

    /// A reason or reply someone types: 1–2000 characters, line breaks allowed, no other controls.
    static func checkFreeText(_ text: String, _ what: String, missing: VaultError.Code) throws {
        guard (1...2000).contains(text.count) else { throw VaultError.invalid(missing, "give a \(what) of 1–2000 characters") }
        guard !FieldCodec.hasForbiddenCharacters(text, allowingLineBreaks: true) else {
            throw VaultError.invalid(.invalidText, "the \(what) " + FieldCodec.forbiddenMessage)
        }
    }

    func parseValue(_ text: String, for field: FieldDefinition) throws -> FieldValue {
        let textual: Set<FieldDefinition.ValueType> = [.string, .email, .phone, .date]
        let json: JSONValue = textual.contains(field.type) ? .string(text) : ((try? JSONValue.parse(Data(text.utf8))) ?? .string(text))
        switch FieldCodec.value(json, for: field) {
        case .success(let value): return value
        case .failure(let problem): throw VaultError.invalid(.invalidValue, problem.description)
        }
    }
}

extension ContestView {
    init(_ row: ContestRow, now: Date, request: ContestRequest?, resolution: String?) {
        self.init(
            id: row.id,
            customer: row.customerID,
            field: row.field,
            status: row.status.rawValue,
            openedAt: row.openedAt,
            deadline: row.deadline,
            overdue: row.status.isPending && row.deadline < now,
            resolvedAt: row.resolvedAt,
            resolution: resolution,
            proposedValue: request?.value,
            reason: request.map { r in r.reply.map { "\(r.reason)\n— reply: \($0)" } ?? r.reason }
        )
    }
}

/// The sealed content of a contest: the proposed value, the reason, and any reply to staff.
struct ContestRequest: Sendable {
    var value: FieldValue
    var reason: String
    var reply: String?

    func encoded() -> [UInt8] {
        var fields: [String: FieldValue] = ["value": value, "reason": .string(reason)]
        if let reply { fields["reply"] = .string(reply) }
        return ProfileCodec.encode(fields)
    }

    static func decode(_ bytes: [UInt8]) throws -> ContestRequest {
        let fields = try ProfileCodec.decode(bytes)
        guard let value = fields["value"], case .string(let reason)? = fields["reason"] else {
            throw VaultError.integrity("a contest request is malformed")
        }
        var reply: String?
        if case .string(let text)? = fields["reply"] { reply = text }
        return ContestRequest(value: value, reason: reason, reply: reply)
    }
}

extension ContestResolution {
    /// The audit operation that records this resolution.
    var operation: AuditOperation {
        switch self {
        case .accept: .contestAccept
        case .reject: .contestReject
        case .requestInfo: .contestRequestInfo
        }
    }
}
