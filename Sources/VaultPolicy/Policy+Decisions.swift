package import Foundation

/// Decisions: pure functions of the policy and their arguments. Anything the policy does not name is denied.
extension Policy {
    /// Decides, field by field, whether `role` may read `fields` of one customer for `purpose` at `now`.
    ///
    /// The checks, in order: the role exists and may read rows (or, for `customer` with `isSelf`, reads its
    /// own record, whatever the purpose: the right of access does not depend on one); the purpose exists, is not aggregate-only and is granted to the role; the field exists
    /// and the grant names it; the purpose's legal basis holds for this customer now; the field is not
    /// disputed while the purpose is restricted; the value is within its retention period.
    /// The first failing check is the field's reason.
    ///
    /// - Parameters:
    ///   - purpose: The purpose of the read; nil is only meaningful for a customer reading their own record.
    ///   - isSelf: Whether the actor is the customer the record belongs to.
    package func decideRead(
        role: String,
        purpose: String?,
        fields: [String],
        customer: CustomerState,
        isSelf: Bool = false,
        now: Date
    ) -> AccessDecision {
        if role == RoleName.customer.rawValue {
            return decideSelfRead(fields: fields, isSelf: isSelf)
        }
        return decide(.read, role: role, purpose: purpose, fields: fields, customer: customer, now: now)
    }

    /// Decides, field by field, whether `role` may update `fields` of one customer for `purpose` at `now`.
    ///
    /// Like `decideRead`, with the grant's `write` list, and a disputed field may not be written under any
    /// purpose: a correction goes through the contest's resolution instead.
    package func decideWrite(role: String, purpose: String?, fields: [String], customer: CustomerState, now: Date) -> AccessDecision {
        decide(.write, role: role, purpose: purpose, fields: fields, customer: customer, now: now)
    }

    /// Decides whether `role` may run an aggregate under `purpose` grouping by (or filtering on) `groupBy`
    /// and measuring `measures`.
    ///
    /// This decides the query as a whole. Per customer, the aggregate engine then counts only customers for
    /// whom `purposeHolds(purpose, …)` is true, and leaves out a customer's field while it is disputed and
    /// `contests.restricts(purpose)`, or past its retention (`FieldDefinition.isExpired`).
    package func decideAggregate(role: String, purpose: String, groupBy: [String], measures: [String]) -> AccessDecision {
        let uses = groupBy.map { ($0, true) } + measures.map { ($0, false) }
        if let denial = aggregateDenial(role: role, purpose: purpose) {
            return AccessDecision(fields: uses.map { FieldDecision(field: $0.0, decision: denial) })
        }
        let grant = self.role(named: role)?.grant(for: purpose)
        return AccessDecision(
            fields: uses.map { name, grouping in
                FieldDecision(field: name, decision: aggregateDecision(field: name, grouping: grouping, role: role, purpose: purpose, grant: grant))
            }
        )
    }

    /// Whether `purpose`'s legal basis holds for a customer with this consent state at `now`, with the
    /// reason, naming when the customer chose: for the customer's own view, never for staff.
    ///
    /// Contract and legal obligation always hold; legitimate interest holds unless the customer objected;
    /// consent holds only after a grant that was not since withdrawn or objected to.
    package func basisHolds(purpose: String, consent: [String: ConsentRecord], now: Date) -> Decision {
        guard let definition = self.purpose(named: purpose) else {
            return Decision(.unknownPurpose, "denied: purpose \(purpose) is not defined in policy \(name)")
        }
        return basisDecision(definition, consent: consent[purpose], now: now, withTimes: true)
    }

    /// Whether `purpose`'s legal basis holds for a customer whose latest choice about it is `consent`:
    /// the same rule as `basisHolds` without building a reason, for aggregates over every customer.
    package func purposeHolds(_ purpose: String, consent: ConsentRecord?, now: Date) -> Bool {
        guard let definition = self.purpose(named: purpose) else { return false }
        return basisCode(definition.basis, consent: consent, now: now).allows
    }

    /// Whether `role` may perform `operation` at all.
    package func authorize(role: String, operation: RoleOperation) -> Decision {
        guard let definition = self.role(named: role) else {
            return Decision(.unknownRole, "denied: role \(role) is not defined in policy \(name)")
        }
        guard definition.may(operation) else {
            if definition.may(.aggregate), operation == .read || operation == .write {
                let reason = operation == .read ? "reads aggregates only" : "works on aggregates only and never writes rows"
                return Decision(.aggregateOnly, "denied: role \(role) \(reason)")
            }
            return Decision(.operationNotPermitted, "denied: role \(role) may not \(operation.rawValue) in policy \(name)")
        }
        return Decision(.allowedOperation, "allowed: role \(role) may \(operation.rawValue)")
    }

    // MARK: - Reads and writes

    private enum Access {
        case read, write

        var operation: RoleOperation { self == .read ? .read : .write }
        var verb: String { self == .read ? "read" : "write" }
    }

    private func decideSelfRead(fields: [String], isSelf: Bool) -> AccessDecision {
        let authorization = authorize(role: RoleName.customer.rawValue, operation: .selfRead)
        let denial: Decision? =
            if !isSelf {
                Decision(.selfOnly, "denied: role customer reads only the customer's own record")
            } else {
                authorization.allowed ? nil : authorization
            }
        return AccessDecision(
            fields: fields.map { name in
                let decision =
                    denial
                    ?? (field(named: name) == nil
                        ? Decision(.unknownField, "denied: field \(name) is not defined in policy \(self.name)")
                        : Decision(.allowedSelf, "allowed: customers may read every field of their own record (right of access)"))
                return FieldDecision(field: name, decision: decision)
            }
        )
    }

    private func decide(_ access: Access, role: String, purpose: String?, fields: [String], customer: CustomerState, now: Date) -> AccessDecision {
        let gate = gate(for: access, role: role, purpose: purpose)
        return AccessDecision(
            fields: fields.map { name in
                let decision =
                    switch gate {
                    case .denied(let denial): denial
                    case .open(let definition, let grant):
                        fieldDecision(access, field: name, role: role, purpose: definition, grant: grant, customer: customer, now: now)
                    }
                return FieldDecision(field: name, decision: decision)
            }
        )
    }

    /// The outcome of the request-wide checks: a denial for every field, or the purpose and grant to check fields against.
    private enum Gate {
        case denied(Decision)
        case open(Purpose, PurposeGrant)
    }

    /// The request-wide checks: role, operation, purpose and grant.
    private func gate(for access: Access, role: String, purpose: String?) -> Gate {
        let authorization = authorize(role: role, operation: access.operation)
        guard authorization.allowed else {
            if authorization.code == .operationNotPermitted {
                return .denied(Decision(.operationNotPermitted, "denied: role \(role) may not \(access.verb) customer rows"))
            }
            return .denied(authorization)
        }
        guard let purpose else {
            return .denied(Decision(.unknownPurpose, "denied: no purpose given; role \(role) must name the purpose of the \(access.verb)"))
        }
        guard let definition = self.purpose(named: purpose) else {
            return .denied(Decision(.unknownPurpose, "denied: purpose \(purpose) is not defined in policy \(name)"))
        }
        guard !definition.aggregateOnly else {
            return .denied(Decision(.aggregateOnly, "denied: purpose \(purpose) is aggregate-only; no role \(access.verb)s rows under it"))
        }
        guard let grant = self.role(named: role)?.grant(for: purpose) else {
            return .denied(Decision(.roleNotPermittedPurpose, "denied: role \(role) may not act under purpose \(purpose)"))
        }
        return .open(definition, grant)
    }

    private func fieldDecision(
        _ access: Access,
        field name: String,
        role: String,
        purpose: Purpose,
        grant: PurposeGrant,
        customer: CustomerState,
        now: Date
    ) -> Decision {
        guard let field = field(named: name) else {
            return Decision(.unknownField, "denied: field \(name) is not defined in policy \(self.name)")
        }
        let granted = access == .read ? grant.read : grant.write
        guard granted.contains(name) else {
            return Decision(.fieldNotGranted, "denied: purpose \(purpose.name) does not let role \(role) \(access.verb) field \(name)")
        }
        // Staff learn whether the basis holds, not when the customer chose.
        let basis = basisDecision(purpose, consent: customer.consent[purpose.name], now: now, withTimes: false)
        guard basis.allowed else { return basis }
        if customer.disputedFields.contains(name) {
            if access == .write {
                return Decision(.restrictedWhileDisputed, "denied: field \(name) is disputed; it changes only through the contest's resolution")
            }
            if contests.restricts(purpose.name) {
                return Decision(.restrictedWhileDisputed, "denied: field \(name) is disputed and \(purpose.name) is restricted while disputed")
            }
        }
        if access == .read, let collected = customer.collectedAt[name], field.isExpired(collectedAt: collected, now: now) {
            let expiry = field.retention.adding(to: collected)
            return Decision(
                .retentionExpired,
                "denied: field \(name) is past its retention of \(field.retention) (collected \(UTCTimestamp.format(collected)), expired \(UTCTimestamp.format(expiry)))"
            )
        }
        let because = basis.code == .allowedConsent ? "; the customer consented" : " (basis: \(purpose.basis.words))"
        return Decision(basis.code, "allowed: role \(role) may \(access.verb) \(name) for purpose \(purpose.name)\(because)")
    }

    /// The basis check without its words: cheap enough to run once per customer in an aggregate.
    private func basisCode(_ basis: Purpose.LegalBasis, consent record: ConsentRecord?, now: Date) -> ReasonCode {
        switch basis {
        case .contract: return .allowedContract
        case .legalObligation: return .allowedLegalObligation
        case .legitimateInterest:
            guard let record, record.status == .objected, record.at <= now else { return .allowedLegitimateInterest }
            return .objected
        case .consent:
            guard let record else { return .consentMissing }
            switch record.status {
            case .withdrawn: return .consentWithdrawn
            case .objected: return .objected
            // A grant recorded for the future has not happened yet.
            case .granted: return record.at <= now ? .allowedConsent : .consentMissing
            }
        }
    }

    private func basisDecision(_ purpose: Purpose, consent record: ConsentRecord?, now: Date, withTimes: Bool) -> Decision {
        let code = basisCode(purpose.basis, consent: record, now: now)
        let name = purpose.name
        let when = withTimes ? record.map { UTCTimestamp.format($0.at) } : nil
        let reason =
            switch code {
            case .allowedConsent: "allowed: purpose \(name) rests on consent, granted" + (when.map { " \($0)" } ?? "")
            case .consentMissing where record != nil && when != nil: "denied: purpose \(name) needs consent; the grant takes effect only at \(when!)"
            case .consentMissing where record != nil: "denied: purpose \(name) needs consent; the grant has not taken effect yet"
            case .consentMissing: "denied: purpose \(name) needs consent; the customer has not granted it (default: denied)"
            case .consentWithdrawn: "denied: purpose \(name) needs consent; consent withdrawn" + (when.map { " \($0)" } ?? " by the customer")
            case .objected: "denied: the customer objected to purpose \(name)" + (when.map { " on \($0)" } ?? "")
            default: "allowed: purpose \(name) rests on \(purpose.basis.words)"
            }
        return Decision(code, reason)
    }

    // MARK: - Aggregates

    private func aggregateDenial(role: String, purpose: String) -> Decision? {
        let authorization = authorize(role: role, operation: .aggregate)
        guard authorization.allowed else { return authorization }
        guard let definition = self.purpose(named: purpose) else {
            return Decision(.unknownPurpose, "denied: purpose \(purpose) is not defined in policy \(name)")
        }
        guard definition.aggregateOnly, self.role(named: role)?.grant(for: purpose) != nil else {
            return Decision(.roleNotPermittedPurpose, "denied: role \(role) may not run aggregates under purpose \(purpose)")
        }
        return nil
    }

    private func aggregateDecision(field name: String, grouping: Bool, role: String, purpose: String, grant: PurposeGrant?) -> Decision {
        guard let field = field(named: name) else {
            return Decision(.unknownField, "denied: field \(name) is not defined in policy \(self.name)")
        }
        guard let grant, grant.aggregate.contains(name) else {
            return Decision(.fieldNotGranted, "denied: purpose \(purpose) does not let role \(role) aggregate field \(name)")
        }
        switch (field.analytics, grouping) {
        case (.groupBy, true):
            return Decision(.allowedAggregate, "allowed: role \(role) may group by \(name) under purpose \(purpose)")
        case (.measure, false), (.purchaseMeasure, false):
            return Decision(.allowedAggregate, "allowed: role \(role) may measure \(name) under purpose \(purpose)")
        case (_, true):
            return Decision(.analyticsUseMismatch, "denied: field \(name) is not a group-by field in policy \(self.name)")
        case (_, false):
            return Decision(.analyticsUseMismatch, "denied: field \(name) is not a measure in policy \(self.name)")
        }
    }
}
