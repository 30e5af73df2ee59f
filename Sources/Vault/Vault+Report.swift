public import Foundation
import VaultAnalytics
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultStore

/// The compliance picture for a period, computed from the audit log itself.
public struct AuditReport: Sendable, Encodable {
    /// Period start (inclusive), if bounded.
    public var from: Date?
    /// Period end (exclusive), if bounded.
    public var to: Date?
    /// The signed checkpoint the report was computed at.
    public var checkpoint: String
    /// Entries in the period.
    public var entries = 0
    /// Operations per role, then per decision.
    public var byRole: [String: [String: Int]] = [:]
    /// Operations per purpose, then per decision.
    public var byPurpose: [String: [String: Int]] = [:]
    /// Operations per operation name.
    public var byOperation: [String: Int] = [:]
    /// Allowed reads under a consent purpose without a live consent (or under a legitimate interest
    /// the customer objected to). Must be empty.
    public var readsWithoutConsent: [Violation] = []
    /// Consent grants, withdrawals and objections in the period.
    public var consentChanges = 0
    /// Erasures the customers asked for in the period (a restore's re-applied ones are not new).
    public var erasures = 0
    /// Completed key-epoch rolls in the period.
    public var keyRotations = 0
    /// Restores from a backup in the period: each rolled the log back to the backup's checkpoint.
    public var restores = 0
    /// Consent states an operator's import replaced although the customer had set them.
    public var consentOverrides = 0
    /// Values deleted in the period because their retention had passed.
    public var retentionValuesRemoved = 0
    /// When the newest retention sweep in the log finished (whatever the period), and how many
    /// values it removed.
    public var lastRetentionSweep: Date?
    /// The values that sweep removed.
    public var lastRetentionSweepValuesRemoved: Int?
    /// Aggregate queries answered (and ε charged, in millionths).
    public var aggregateQueries = 0
    /// Next-best-product models trained.
    public var modelTrainings = 0
    /// ε charged in the period by aggregates and model trainings, in millionths.
    public var microEpsilonCharged: Int64 = 0
    /// Entries per UTC day (`YYYY-MM-DD`), then per role.
    public var byDayAndRole: [String: [String: Int]] = [:]
    /// Entries made under a purpose, per UTC day, then per purpose.
    public var byDayAndPurpose: [String: [String: Int]] = [:]
    /// Per purpose of the policy in force: for how many live customers it holds at the report's
    /// checkpoint, as the log's consent history says.
    public var consentCoverage: [ConsentCoverage] = []
    /// Contests pending now, and those past their deadline.
    public var openContests = 0
    /// Contests pending past their deadline now.
    public var overdueContests: [ContestView] = []
    /// Policy versions and when each came into force.
    public var policies: [PolicyVersion] = []

    /// Whether a purpose holds across the live customers.
    public struct ConsentCoverage: Sendable, Encodable {
        /// The purpose.
        public let purpose: String
        /// Its legal basis.
        public let basis: String
        /// Live customers.
        public let customers: Int
        /// Customers for whom the purpose holds: those who granted it (consent), those who did not
        /// object (legitimate interest), everyone (contract, legal obligation).
        public let holds: Int
        /// Customers who granted it.
        public let granted: Int
        /// Customers who withdrew it.
        public let withdrawn: Int
        /// Customers who objected to it.
        public let objected: Int
    }

    /// One read that the policy should not have allowed.
    public struct Violation: Sendable, Encodable {
        /// The entry.
        public let seq: UInt64
        /// The customer.
        public let customer: String
        /// The purpose.
        public let purpose: String
        /// Their consent state at the time.
        public let state: String
    }
}

extension Vault {
    /// Computes the compliance report for `[from, to)` from the log (replaying consent history
    /// from its beginning), the contest table and the policy history.
    ///
    /// - Parameters:
    ///   - from: the period's first instant; nil: from the log's beginning.
    ///   - to: the instant after the period; nil: up to the newest checkpoint.
    ///   - principal: a role the policy grants `audit`; the report is itself recorded in the log.
    /// - Returns: the counts for the period, reads made without a basis, consent coverage now, and overdue contests.
    /// - Throws: kind `.denied` without `audit`; `VaultError.Code.integrityFailure` for an entry that is not canonical.
    public func auditReport(from: Date?, to: Date?, by principal: Principal) async throws -> AuditReport {
        try requireOperation(.audit, principal)
        let note = try await checkpoint()
        let now = clock.now()
        let history = try await policyHistory()
        let policyTexts = try await storage.read { tx in try tx.policies().map { ($0.hash, $0.text, $0.fileName) } }
        var parsed: [String: Policy] = [:]
        for (hash, text, fileName) in policyTexts { parsed[hash] = try Self.parsePolicy(text, fileName: fileName, stored: true) }
        let policies = parsed
        let size = try SignedCheckpoint.parse(note).checkpoint.size
        let policy = policy.policy
        var report = try await storage.read { tx in
            var report = AuditReport(from: from, to: to, checkpoint: note)
            var consent: [String: [String: String]] = [:]
            try tx.forEachAuditEntry(from: 0) { row in
                guard row.seq < size else { return false }
                let entry = try Self.decode(row)
                let at = entry.at.date
                let inPeriod = (from.map { at >= $0 } ?? true) && (to.map { at < $0 } ?? true)
                if let customer = entry.customer {
                    Self.replayConsent(entry, customer: customer, into: &consent)
                    if inPeriod, entry.decision == .allow, let purpose = entry.purpose, Self.readOps.contains(entry.operation),
                        let basis = policies[entry.policy]?.purpose(named: purpose)?.basis
                    {
                        let state = consent[customer]?[purpose]
                        let violation = (basis == .consent && state != "granted") || (basis == .legitimateInterest && state == "objected")
                        if violation {
                            report.readsWithoutConsent.append(.init(seq: entry.seq, customer: customer, purpose: purpose, state: state ?? "none"))
                        }
                    }
                }
                if entry.operation == .retentionSweepComplete {
                    report.lastRetentionSweep = at
                    report.lastRetentionSweepValuesRemoved = Int(entry.details["values_removed"] ?? "")
                }
                guard inPeriod else { return true }
                report.entries += 1
                if entry.operation == .retentionSweep { report.retentionValuesRemoved += entry.fields.count }
                let decision = entry.decision.rawValue
                report.byRole[entry.role, default: [:]][decision, default: 0] += 1
                if let purpose = entry.purpose { report.byPurpose[purpose, default: [:]][decision, default: 0] += 1 }
                report.byOperation[entry.op, default: 0] += 1
                let day = DayNumber.isoDate(DayNumber.of(at))
                report.byDayAndRole[day, default: [:]][entry.role, default: 0] += 1
                if let purpose = entry.purpose { report.byDayAndPurpose[day, default: [:]][purpose, default: 0] += 1 }
                if AuditOperation.consentChanges.contains(entry.operation) { report.consentChanges += 1 }
                if entry.operation == .customerErase, entry.reasonCode == .allowedSelf { report.erasures += 1 }
                // `keys.rotate.complete`: vaults from before key epochs.
                if entry.operation == .keysRollComplete || entry.operation == .keysRotateComplete { report.keyRotations += 1 }
                if entry.operation == .vaultRestore { report.restores += 1 }
                if entry.operation == .consentOverride { report.consentOverrides += 1 }
                if entry.operation == .aggregateQuery, entry.decision == .allow {
                    report.aggregateQueries += 1
                    report.microEpsilonCharged += Int64(entry.details["micro_epsilon"] ?? "") ?? 0
                }
                if entry.operation == .modelTrain, entry.decision == .allow {
                    report.modelTrainings += 1
                    report.microEpsilonCharged += Int64(entry.details["micro_epsilon"] ?? "") ?? 0
                }
                if entry.operation == .aggregateRefund {
                    // A query that failed was charged first and refunded after: it cost nothing.
                    report.microEpsilonCharged -= Int64(entry.details["micro_epsilon"] ?? "") ?? 0
                }
                return true
            }
            report.consentCoverage = Self.coverage(of: policy, consent: consent, liveCustomers: try tx.customerCounts().live)
            let pending = try tx.contests(customerID: nil, statuses: [.open, .infoRequested])
            report.openContests = pending.count
            report.overdueContests = pending.filter { $0.deadline < now }.map { ContestView($0, now: now, request: nil, resolution: nil) }
            return report
        }
        report.policies = history
        try await record { tx, audit in
            try audit.append(AuditDraft(principal: principal, op: .auditReport, decision: .allow, reason: .allowedAudit))
        }
        return report
    }

    /// Per purpose, for how many live customers it holds given the replayed consent states (a
    /// customer with no recorded choice has none: a consent purpose does not hold for them).
    static func coverage(of policy: Policy, consent: [String: [String: String]], liveCustomers: Int) -> [AuditReport.ConsentCoverage] {
        policy.purposes.map { purpose in
            var counts = ["granted": 0, "withdrawn": 0, "objected": 0]
            for states in consent.values { if let state = states[purpose.name], counts[state] != nil { counts[state]! += 1 } }
            let holds =
                switch purpose.basis {
                case .consent: counts["granted"]!
                case .legitimateInterest: liveCustomers - counts["objected"]!
                default: liveCustomers
                }
            return AuditReport.ConsentCoverage(
                purpose: purpose.name,
                basis: purpose.basis.rawValue,
                customers: liveCustomers,
                holds: min(max(0, holds), liveCustomers),
                granted: counts["granted"]!,
                withdrawn: counts["withdrawn"]!,
                objected: counts["objected"]!
            )
        }
    }

    /// Operations that disclose field values to staff.
    static let readOps: Set<AuditOperation> = [.customerRead, .customerFind, .customerNextBestProduct]

    static func replayConsent(_ entry: AuditEntry, customer: String, into consent: inout [String: [String: String]]) {
        switch entry.operation {
        case .customerImport, .customerUpsert:
            for pair in (entry.details["consents"] ?? "").split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { consent[customer, default: [:]][String(parts[0])] = String(parts[1]) }
            }
        case .consentGrant:
            if let purpose = entry.purpose { consent[customer, default: [:]][purpose] = "granted" }
        case .consentWithdraw, .consentWithdrawObjection:
            if let purpose = entry.purpose { consent[customer, default: [:]][purpose] = "withdrawn" }
        case .consentObject:
            if let purpose = entry.purpose { consent[customer, default: [:]][purpose] = "objected" }
        case .consentOverride:
            // An operator's import replaced the customer's own choice: the state it wrote holds now.
            if let purpose = entry.purpose, let state = entry.details["state"] { consent[customer, default: [:]][purpose] = state }
        case .customerErase:
            consent[customer] = nil
        default:
            break
        }
    }
}
