public import Foundation
import Logging
import Synchronization
public import VaultAnalytics
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultStore

/// An analyst's question: measures, group-by fields, equality filters and an optional ε.
public struct AggregateRequest: Sendable, Decodable {
    /// Measures, as spelled on the CLI (`count`, `mean(satisfaction)`, `clv`, `customer_equity`, …).
    public var measures: [String]
    /// Group-by fields (policy `group_by` fields, or `rfm`).
    public var groupBy: [String]
    /// Equality filters on group-by fields (`region` → `north`).
    public var filters: [String: String]
    /// ε to spend; nil uses the policy's default.
    public var epsilon: Double?
    /// Whether to add the customer portfolio: each group's margin mean, variance and standard
    /// deviation, and the efficient set across the groups.
    public var portfolio: Bool

    /// A request.
    ///
    /// - Parameters:
    ///   - measures: what to measure, as the CLI spells it, such as `count` or `mean(satisfaction)`.
    ///   - groupBy: fields the policy lets analytics group by (its `group_by` fields), or `rfm`.
    ///   - filters: equality filters on group-by fields, such as `region` → `north`.
    ///   - epsilon: the ε to spend, up to the policy's per-query maximum; nil: the policy's default.
    ///   - portfolio: also measure each group's margin (count, mean, variance, deviation) and return the efficient set.
    public init(measures: [String], groupBy: [String] = [], filters: [String: String] = [:], epsilon: Double? = nil, portfolio: Bool = false) {
        self.measures = measures
        self.groupBy = groupBy
        self.filters = filters
        self.epsilon = epsilon
        self.portfolio = portfolio
    }

    /// The measures a portfolio adds to those asked for.
    static let portfolioMeasures = ["count", "margin_mean", "margin_variance", "margin_sd"]

    private enum CodingKeys: String, CodingKey {
        case measures
        case groupBy = "group_by"
        case filters = "where"
        case epsilon, portfolio
    }

    /// Decodes a request; `portfolio` is optional.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            measures: try container.decode([String].self, forKey: .measures),
            groupBy: try container.decodeIfPresent([String].self, forKey: .groupBy) ?? [],
            filters: try container.decodeIfPresent([String: String].self, forKey: .filters) ?? [:],
            epsilon: try container.decodeIfPresent(Double.self, forKey: .epsilon),
            portfolio: try container.decodeIfPresent(Bool.self, forKey: .portfolio) ?? false
        )
    }
}

/// An answer: the released groups, and what it cost.
public struct AggregateAnswer: Sendable, Encodable {
    /// The noisy, suppressed result.
    public let result: AggregateResult
    /// Whether it was an identical repeat answered from the cache at no cost.
    public let cached: Bool
    /// ε charged for this call (zero when cached).
    public let epsilonCharged: Epsilon
    /// The budget after this call.
    public let budget: BudgetStatus
    /// For a portfolio request: the groups in the (variance, mean) plane and the efficient set.
    public let efficientSet: EfficientSet?
    /// Customers that counted (those for whom the analytics purpose holds); never released exactly.
    let contributors: Int

    private enum CodingKeys: String, CodingKey {
        case result, cached
        case epsilonCharged = "epsilon_charged"
        case budget
        case efficientSet = "efficient_set"
    }
}

/// An analyst's budget: the current periods and the lifetime caps.
public struct BudgetView: Sendable, Encodable {
    /// The analyst.
    public let analyst: String
    /// Spent and remaining, for the analyst and globally.
    public let status: BudgetStatus
    /// The analyst budget's period (ISO 8601).
    public let period: String
    /// Start of the sliding window the analyst's spend is counted over.
    public let since: Date
    /// The global budget's own period (ISO 8601).
    public let globalPeriod: String
    /// Start of the sliding window the global spend is counted over.
    public let globalSince: Date
}

extension Vault {
    /// The purpose analytics run under.
    static let analyticsPurpose = "analytics"

    /// Answers an aggregate query: plan (free), decide every field it reads (a refusal is audited),
    /// cache (free while the data is unchanged), charge ε atomically against the period allowances
    /// and the lifetime caps, compute over every customer for whom `analytics` holds on all cores,
    /// add noise, suppress, audit. A computation that fails refunds its ε.
    ///
    /// - Parameters:
    ///   - request: the question; an identical repeat on unchanged data is answered from the cache at no cost.
    ///   - principal: a role the policy grants `aggregate`, whose budget (per staff name, not per token) pays.
    /// - Returns: the released groups, the ε charged and the budget left.
    /// - Throws: kind `.denied` without `aggregate`; kind `.invalidRequest` with the analytics code for a query the plan
    ///   refuses; kind `.denied` for a field the policy withholds, and `VaultError.Code.budgetExhausted`, each audited
    ///   before it is thrown; `.aggregateFailed` when the computation failed (its ε refunded unless the answer was kept).
    public func aggregate(_ request: AggregateRequest, by principal: Principal) async throws -> AggregateAnswer {
        try requireOperation(.aggregate, principal)
        let policy = policy.policy
        let now = clock.now()
        let setup = try analyticsSetup(policy: policy, principal: principal, now: now)
        let plan: AggregatePlan
        let query: AggregateQuery
        do {
            let asked = request.portfolio ? request.measures + AggregateRequest.portfolioMeasures : request.measures
            let measures = try asked.map { text throws(AnalyticsError) in try Measure(parsing: text) }
            query = try AggregateQuery(
                measures: measures,
                groupBy: request.groupBy,
                filters: request.filters,
                epsilon: try setup.budget.epsilon(requested: request.epsilon)
            )
            plan = try AggregatePlan(query: query, configuration: setup.configuration)
        } catch {
            throw VaultError.invalid(.init(error), error.description)
        }
        let shape = query.canonicalForm
        let grouping = Array(Set(query.groupBy + Array(query.filters.keys)).subtracting([AnalyticsConfiguration.rfmKey])).sorted()
        let measured = setup.fieldsMeasured(by: plan)
        let decision = policy.decideAggregate(role: principal.role, purpose: Self.analyticsPurpose, groupBy: grouping, measures: measured)
        if let denial = decision.fields.first(where: { !$0.allowed }) {
            // A refused query is an access attempt like a refused read: it leaves its entry, and
            // `record` throws the refusal once that entry is committed.
            try await record { _, audit -> Void in
                try audit.refuse(
                    AuditDraft(
                        principal: principal,
                        purpose: Self.analyticsPurpose,
                        fields: grouping + measured,
                        op: .aggregateQuery,
                        decision: .deny,
                        reason: AuditReason(denial.decision.code),
                        details: ["query": shape]
                    ),
                    VaultError.denied(.init(denial.decision.code), denial.decision.reason)
                )
            }
        }

        let analyst = Self.budgetHolder(principal)
        let budget = setup.budget
        let windows = (analyst: setup.analystSince, global: setup.globalSince)
        // Charge (or find the cached answer) in one write transaction: concurrent queries serialise
        // on the single writer, so two of them can never both spend the last of a budget.
        enum Charge: Sendable {
            case cached(Data, BudgetStatus)
            case charged(BudgetStatus, key: String, charge: Int64)
        }
        let charge: Charge = try await record { tx, audit in
            let key = plan.cacheKey(snapshot: "data-\(try tx.dataVersion())")
            let spent = try Self.spending(tx, analyst: analyst, since: windows)
            // No period limit: the same data gives the same answer however many periods pass — until
            // a value the answer used goes past its retention.
            if let (answer, validUntil) = try tx.cachedAnswer(queryKey: key), validUntil.map({ now < $0 }) ?? true {
                try audit.append(
                    AuditDraft(
                        principal: principal,
                        purpose: Self.analyticsPurpose,
                        op: .aggregateQuery,
                        decision: .allow,
                        reason: .allowedCached,
                        details: ["query": shape, "micro_epsilon": "0", "cached": "true"]
                    )
                )
                return .cached(answer, budget.status(spent))
            }
            do {
                let status = try budget.charge(query.epsilon, spent: spent)
                let id = try tx.insertCharge(ChargeRow(analyst: analyst, microEpsilon: query.epsilon.micros, at: now, queryKey: key))
                try audit.append(
                    AuditDraft(
                        principal: principal,
                        purpose: Self.analyticsPurpose,
                        op: .aggregateQuery,
                        decision: .allow,
                        reason: .allowedConsent,
                        details: ["query": shape, "micro_epsilon": String(query.epsilon.micros), "cached": "false"]
                    )
                )
                return .charged(status, key: key, charge: id)
            } catch let error as AnalyticsError {
                let code = VaultError.Code(error)
                try audit.refuse(
                    AuditDraft(
                        principal: principal,
                        purpose: Self.analyticsPurpose,
                        op: .aggregateQuery,
                        decision: .deny,
                        reason: AuditReason(error),
                        details: ["query": shape, "micro_epsilon": String(query.epsilon.micros)]
                    ),
                    VaultError(code == .budgetExhausted ? .budgetExhausted : .invalidRequest, code: code, error.description)
                )
            }
        }
        switch charge {
        case .cached(let data, let status):
            let result = try JSONDecoder().decode(AggregateResult.self, from: data)
            return AggregateAnswer(
                result: result,
                cached: true,
                epsilonCharged: .zero,
                budget: status,
                efficientSet: try Self.efficientSet(of: result, if: request.portfolio),
                contributors: 0
            )
        case .charged(let status, let key, let chargeID):
            do {
                let (accumulator, contributors, validUntil) = try await accumulate(plan: plan, setup: setup, policy: policy, now: now)
                let result = accumulator.release(using: random)
                let efficientSet = try Self.efficientSet(of: result, if: request.portfolio)
                let encoded = try JSONEncoder().encode(result)
                // An answer is released only once it is pinned: a repeat must get this very draw.
                try await storage.write { tx in try tx.putCachedAnswer(queryKey: key, answer: encoded, at: now, validUntil: validUntil) }
                logger.info("aggregate answered", metadata: ["query": "\(shape)", "groups": "\(result.groups.count)"])
                return AggregateAnswer(
                    result: result,
                    cached: false,
                    epsilonCharged: query.epsilon,
                    budget: status,
                    efficientSet: efficientSet,
                    contributors: contributors
                )
            } catch {
                throw await refund(chargeID, key: key, epsilon: query.epsilon, shape: shape, principal: principal, after: error)
            }
        }
    }

    /// The efficient set of a portfolio answer: post-processing of released numbers, free.
    private static func efficientSet(of result: AggregateResult, if portfolio: Bool) throws -> EfficientSet? {
        guard portfolio else { return nil }
        do { return try EfficientSet(result: result) } catch { throw VaultError.invalid(.init(error), error.description) }
    }

    /// Takes back the charge of a query that released nothing, and turns its failure into an error
    /// that says nothing about the data: the cause may name a customer, so only its code is logged.
    ///
    /// Not if its answer is in the cache after all (the write that pinned it committed, but its
    /// caller was told otherwise, as when a connection is lost during COMMIT): an identical repeat
    /// would get that answer, which must stay paid for.
    private func refund(
        _ chargeID: Int64,
        key: String,
        epsilon: Epsilon,
        shape: String,
        principal: Principal,
        after error: any Error
    ) async -> VaultError {
        let cause = (error as? VaultError)?.code.rawValue ?? (error as? StoreError)?.code ?? "unexpected"
        do {
            let pinned = try await storage.read { tx in try tx.cachedAnswer(queryKey: key) != nil }
            if pinned {
                logger.error("an aggregate's answer was stored but not delivered; its epsilon stays charged", metadata: ["cause": "\(cause)"])
                return VaultError(
                    .unavailable,
                    code: .aggregateFailed,
                    "the answer was computed and kept, but could not be delivered; its epsilon stays charged. Ask the identical query again: it is answered from the cache at no further cost"
                )
            }
            try await record { tx, audit in
                try tx.deleteCharge(id: chargeID)
                try audit.append(
                    AuditDraft(
                        principal: principal,
                        purpose: Self.analyticsPurpose,
                        op: .aggregateRefund,
                        decision: .allow,
                        reason: .computationFailed,
                        details: ["query": shape, "micro_epsilon": String(epsilon.micros)]
                    )
                )
            }
            logger.error("an aggregate failed during computation; its epsilon was refunded", metadata: ["cause": "\(cause)"])
        } catch {
            logger.critical("an aggregate failed and its epsilon could not be refunded", metadata: ["cause": "\(cause)"])
        }
        return VaultError(
            .unavailable,
            code: .aggregateFailed,
            "the aggregate could not be computed and nothing was released; its epsilon was refunded. Try again; if it keeps failing, ask the operator to run `cvault audit verify`"
        )
    }

    /// What has been spent: in each budget's own sliding period, and ever.
    static func spending(_ tx: any StorageReader, analyst: String, since: (analyst: Date, global: Date)) throws -> PrivacyBudget.Spending {
        PrivacyBudget.Spending(
            analystPeriod: Epsilon(micros: try tx.chargedMicroEpsilon(analyst: analyst, since: since.analyst)),
            analystLifetime: Epsilon(micros: try tx.chargedMicroEpsilon(analyst: analyst, since: .distantPast)),
            globalPeriod: Epsilon(micros: try tx.chargedMicroEpsilon(analyst: nil, since: since.global)),
            globalLifetime: Epsilon(micros: try tx.chargedMicroEpsilon(analyst: nil, since: .distantPast))
        )
    }

    /// Budgets belong to the analyst (the token's subject), not to a token: a second token for the
    /// same analyst must not bring a fresh budget.
    static func budgetHolder(_ principal: Principal) -> String { "\(principal.role):\(principal.subject)" }

    /// The analyst's spent and remaining ε, and the global budget's.
    public func budgetStatus(by principal: Principal) async throws -> BudgetView {
        try requireOperation(.aggregate, principal)
        let policy = policy.policy
        let now = clock.now()
        let setup = try analyticsSetup(policy: policy, principal: principal, now: now)
        let analyst = Self.budgetHolder(principal)
        let windows = (analyst: setup.analystSince, global: setup.globalSince)
        let spent = try await storage.read { tx in try Self.spending(tx, analyst: analyst, since: windows) }
        return BudgetView(
            analyst: principal.subject,
            status: setup.budget.status(spent),
            period: policy.aggregation.perAnalystBudget.period.description,
            since: setup.analystSince,
            globalPeriod: policy.aggregation.globalBudget.period.description,
            globalSince: setup.globalSince
        )
    }

    /// Everything a query needs from the policy, built per query so a new policy applies at once.
    struct AnalyticsSetup: Sendable {
        let configuration: AnalyticsConfiguration
        let budget: PrivacyBudget
        /// Where the analyst's and the global sliding windows start: each budget has its own period.
        let analystSince: Date
        let globalSince: Date
        /// Per field with a retention period: which collection times it has expired at the query's time.
        let retention: [String: RetentionCutoff]
        /// Where each dimension's and field's value comes from.
        let sources: [AnalyticsSource]
        let measureSources: [AnalyticsSource]
        let purchasesField: String?
        let spendField: String?
    }

    /// How a policy field becomes a dimension bucket or a fixed-point measure.
    struct AnalyticsSource: Sendable {
        let field: String
        let kind: RecordKind
        /// Integer buckets: width and the label format (`1980s`), or exact values.
        let bucket: Int?
    }

    func analyticsSetup(policy: Policy, principal: Principal, now: Date) throws -> AnalyticsSetup {
        let rules = policy.aggregation
        var dimensions: [AnalyticsConfiguration.Dimension] = []
        var sources: [AnalyticsSource] = []
        var fields: [AnalyticsConfiguration.Field] = []
        var measureSources: [AnalyticsSource] = []
        var purchasesField: String?
        var spendField: String?
        for field in policy.fields {
            let kind = RecordKind(field.section)
            switch field.analytics {
            case .never:
                continue
            case .groupBy(let bucket):
                guard let domain = Self.domain(of: field, bucket: bucket) else { continue }
                dimensions.append(.init(name: field.name, domain: domain))
                sources.append(AnalyticsSource(field: field.name, kind: kind, bucket: field.type == .integer ? (bucket ?? 1) : nil))
            case .measure(let bounds):
                if field.type == .decimalMap { spendField = field.name }
                let scale: Double = (field.type == .decimal || field.type == .decimalMap) ? 100 : 1
                fields.append(.init(name: field.name, bounds: Int64(bounds.min * scale)...Int64(bounds.max * scale)))
                measureSources.append(AnalyticsSource(field: field.name, kind: kind, bucket: nil))
            case .purchaseMeasure:
                purchasesField = field.name
            }
        }
        let clv = rules.clv
        let today = DayNumber.of(now)
        do {
            let configuration = try AnalyticsConfiguration(
                dimensions: dimensions,
                fields: fields,
                minimumGroupSize: rules.k,
                lifetimeValue: try LifetimeValueModel(
                    discountRate: clv.discountRate,
                    retentionRate: clv.retentionRate,
                    annualMargin: Int64(clv.annualMarginBounds.min * 100)...Int64(clv.annualMarginBounds.max * 100),
                    windowYears: clv.marginWindowYears
                ),
                rfm: Self.rfmThresholds,
                asOf: today
            )
            let budget = try PrivacyBudget(
                defaultPerQuery: try Epsilon(validating: rules.epsilonPerQuery),
                maximumPerQuery: try Epsilon(validating: rules.maxEpsilonPerQuery),
                analystLimit: try Epsilon(validating: rules.perAnalystBudget.epsilon),
                globalLimit: try Epsilon(validating: rules.globalBudget.epsilon),
                analystLifetimeLimit: try Epsilon(validating: rules.perAnalystBudget.lifetime),
                globalLifetimeLimit: try Epsilon(validating: rules.globalBudget.lifetime)
            )
            // The budget windows slide: ε spent in the last period of each counts.
            func windowStart(_ period: ISO8601Duration) -> Date {
                Date(timeIntervalSince1970: 2 * now.timeIntervalSince1970 - period.adding(to: now).timeIntervalSince1970)
            }
            var retention: [String: RetentionCutoff] = [:]
            for field in policy.fields where field.analytics != .never {
                retention[field.name] = field.retentionCutoff(now: now)
            }
            return AnalyticsSetup(
                configuration: configuration,
                budget: budget,
                analystSince: windowStart(rules.perAnalystBudget.period),
                globalSince: windowStart(rules.globalBudget.period),
                retention: retention,
                sources: sources,
                measureSources: measureSources,
                purchasesField: purchasesField,
                spendField: spendField
            )
        } catch {
            throw VaultError(.unavailable, code: .init(error), error.description)
        }
    }

    /// Public RFM thresholds: recency 30/90/365 days, 2/6 purchases a year, 100/500 (in cents ×100) a year.
    static let rfmThresholds = try! RFMThresholds(recencyDays: [30, 90, 365], frequency: [2, 6], monetary: [10_000, 50_000])

    /// The public bucket domain of a group-by field: its allowed values, or its integer range in buckets.
    static func domain(of field: FieldDefinition, bucket: Int?) -> [String]? {
        if let values = field.allowedValues { return values }
        guard field.type == .integer, let range = field.range else { return nil }
        let width = max(1, bucket ?? 1)
        let low = Int(range.min.rounded(.down)) / width * width
        let high = Int(range.max.rounded(.down))
        return stride(from: low, through: high, by: width).map { bucketLabel($0, width: width) }
    }

    static func bucketLabel(_ start: Int, width: Int) -> String {
        width == 1 ? String(start) : (width == 10 ? "\(start)s" : "\(start)-\(start + width - 1)")
    }

    /// Decrypts every live customer's needed records on all cores and accumulates them.
    /// Also returns when the first value the answer used goes past its retention: until then (and
    /// while the data is unchanged) the answer may be given again; after, it must not be.
    func accumulate(
        plan: AggregatePlan,
        setup: AnalyticsSetup,
        policy: Policy,
        now: Date
    ) async throws -> (AnalyticsAccumulator, Int, validUntil: Date?) {
        // Decrypt only the records that hold a field this query reads.
        let query = plan.query
        var fields = Set(query.groupBy + Array(query.filters.keys) + query.measures.compactMap(\.fieldName))
        let readsPurchases = plan.readsPurchases
        if readsPurchases, let name = setup.purchasesField { fields.insert(name) }
        if query.measures.contains(.shareOfWallet), let name = setup.spendField { fields.insert(name) }
        let needed = Set(
            (setup.sources + setup.measureSources).filter { fields.contains($0.field) }.map(\.kind)
                + (readsPurchases ? [.purchases] : [])
        )
        let (pending, splitPoints) = try await storage.read { tx in
            (
                try tx.contests(customerID: nil, statuses: [.open, .infoRequested]),
                try tx.customerSplitPoints(max(1, ProcessInfo.processInfo.activeProcessorCount))
            )
        }
        var disputed: [String: Set<String>] = [:]
        if policy.contests.restricts(Self.analyticsPurpose) {
            for contest in pending { disputed[contest.customerID, default: []].insert(contest.field) }
        }
        let restricted = disputed
        let fieldKinds =
            (setup.sources + setup.measureSources).filter { fields.contains($0.field) }.map { ($0.field, $0.kind) }
            + (readsPurchases ? setup.purchasesField.map { [($0, RecordKind.purchases)] } ?? [] : [])
        return try await withThrowingTaskGroup(of: (AnalyticsAccumulator, Int, [Date?]).self) { group in
            for shard in CustomerIDRange.partition(at: splitPoints) {
                group.addTask {
                    try await self.storage.read { tx in
                        var accumulator = AnalyticsAccumulator(plan: plan)
                        var extractor = AnalyticsExtractor(setup: setup)
                        var contributors = 0
                        // Per field read: the oldest collection time among the values used.
                        var oldest = [Date?](repeating: nil, count: fieldKinds.count)
                        try tx.scanCustomers(in: shard, kinds: needed, consentFor: Self.analyticsPurpose) { customer in
                            let consent = customer.consent.map(ConsentRecord.init)
                            guard policy.purposeHolds(Self.analyticsPurpose, consent: consent, now: now) else { return }
                            let dek = try self.keyring.dek(customerID: customer.id, wrapped: Array(customer.wrappedKey))
                            // A value past its retention is missing, as it is for a read.
                            var excluded = restricted[customer.id] ?? []
                            for record in customer.records {
                                for (position, (field, kind)) in fieldKinds.enumerated() where kind == record.kind {
                                    if setup.retention[field]?.isExpired(collectedAt: record.updatedAt) == true {
                                        excluded.insert(field)
                                    } else if oldest[position].map({ record.updatedAt < $0 }) ?? true {
                                        oldest[position] = record.updatedAt
                                    }
                                }
                            }
                            extractor.begin(excluding: excluded)
                            for record in customer.records {
                                try RecordSealer.withPlaintext(of: record, customerID: customer.id, dek: dek) { try extractor.read($0) }
                            }
                            accumulator.add(extractor.finish())
                            contributors += 1
                        }
                        return (accumulator, contributors, oldest)
                    }
                }
            }
            var total: AnalyticsAccumulator?
            var contributors = 0
            var oldest = [Date?](repeating: nil, count: fieldKinds.count)
            for try await (part, count, shardOldest) in group {
                if total == nil { total = part } else { total!.merge(part) }
                contributors += count
                for (position, date) in shardOldest.enumerated() {
                    if let date, oldest[position].map({ date < $0 }) ?? true { oldest[position] = date }
                }
            }
            let validUntil = zip(fieldKinds, oldest).compactMap { pair -> Date? in
                guard let collected = pair.1, let field = policy.field(named: pair.0.0) else { return nil }
                return field.retention.adding(to: collected)
            }.min()
            return (total ?? AnalyticsAccumulator(plan: plan), contributors, validUntil)
        }
    }
}

extension Vault.AnalyticsSetup {
    /// Every policy field the plan's measures read, derived measures included: CLV, customer
    /// equity, retention and RFM read the purchases; share of wallet also reads the stated spend.
    func fieldsMeasured(by plan: AggregatePlan) -> [String] {
        var fields = Set(plan.query.measures.compactMap(\.fieldName))
        if plan.readsPurchases, let purchasesField { fields.insert(purchasesField) }
        if plan.query.measures.contains(.shareOfWallet), let spendField { fields.insert(spendField) }
        return fields.sorted()
    }
}

extension Measure {
    /// The policy field a measure reads, if any.
    var fieldName: String? {
        switch self {
        case .sum(let name), .mean(let name): name
        default: nil
        }
    }
}
