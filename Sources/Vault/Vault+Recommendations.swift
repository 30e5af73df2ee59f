public import Foundation
public import VaultAnalytics
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultStore

/// A trained next-best-product model as stored and shown: noisy counts only.
public struct ProductModel: Sendable, Codable {
    /// The model's version, 1 for the first trained.
    public let version: Int64
    /// When it was trained.
    public let trainedAt: Date
    /// The purpose whose customers it was trained on.
    public let purpose: String
    /// The hash of the policy it was trained under.
    public let policy: String
    /// The noisy counts and how they were released.
    public let model: CategoryModel

    private enum CodingKeys: String, CodingKey {
        case version
        case trainedAt = "trained_at"
        case purpose, policy, model
    }
}

/// A stored model with the hash its training entry records.
public struct ProductModelView: Sendable, Encodable {
    /// The model.
    public let model: ProductModel
    /// Lower-case hex SHA-256 of the stored model, as its training's audit entry records it.
    public let sha256: String
    /// The audit entry that records its training.
    public let auditSeq: UInt64
    /// ε charged for this call (training only; zero when showing).
    public let epsilonCharged: Epsilon
    /// The budget after training (nil when showing).
    public let budget: BudgetStatus?

    private enum CodingKeys: String, CodingKey {
        case model, sha256
        case auditSeq = "audit_seq"
        case epsilonCharged = "epsilon_charged"
        case budget
    }
}

/// What the firm would recommend to one customer, and why.
public struct NextBestProduct: Sendable, Encodable {
    /// The customer.
    public let customerID: String
    /// The purpose the recommendation was made under.
    public let purpose: String
    /// The model version used.
    public let modelVersion: Int64
    /// Whether the purpose's basis holds for the customer now (a customer's own view shows it).
    public let purposeHolds: Bool
    /// The recommended categories, best first; empty when the purpose does not hold.
    public let recommendations: [ProductRecommendation]
    /// The fields the recommendation read.
    public let fieldsUsed: [String]
    /// Why there are none, when there are none.
    public let note: String?

    private enum CodingKeys: String, CodingKey {
        case customerID = "customer_id"
        case purpose
        case modelVersion = "model_version"
        case purposeHolds = "purpose_holds"
        case recommendations
        case fieldsUsed = "fields_used"
        case note
    }
}

extension Vault {
    /// Trains a new next-best-product model over every customer for whom the recommendation
    /// purpose holds: counts each customer's most recently bought categories (at most the policy's
    /// cap), releases the counts with discrete Laplace noise, charges ε against the operator's and
    /// the global budget, and stores the model under the next version with an audit entry holding
    /// its SHA-256. The counts are taken before the charge; a refusal discards them unreleased.
    public func trainModel(epsilon requested: Double?, by principal: Principal) async throws -> ProductModelView {
        try requireOperation(.trainModels, principal)
        let policy = policy.policy
        let rules = try Self.recommendationRules(policy)
        let now = clock.now()
        let setup = try analyticsSetup(policy: policy, principal: principal, now: now)
        let epsilon: Epsilon
        do {
            epsilon = try setup.budget.epsilon(requested: requested ?? rules.epsilon)
        } catch {
            throw VaultError.invalid(.init(error), error.description)
        }
        let holder = Self.budgetHolder(principal)
        let windows = (analyst: setup.analystSince, global: setup.globalSince)
        // A training the budget cannot pay leaves its entry, as a refused aggregate does.
        @Sendable func refuseOverBudget(_ error: AnalyticsError, _ audit: inout AuditAppender) throws -> Never {
            try audit.refuse(
                AuditDraft(
                    principal: principal,
                    purpose: rules.purpose,
                    op: .modelTrain,
                    decision: .deny,
                    reason: AuditReason(error),
                    details: ["micro_epsilon": String(epsilon.micros)]
                ),
                VaultError(.budgetExhausted, code: .init(error), error.description)
            )
        }
        // Refuse early when the budget cannot pay: the scan is the expensive part.
        let spentBefore = try await storage.read { tx in try Self.spending(tx, analyst: holder, since: windows) }
        do {
            _ = try setup.budget.charge(epsilon, spent: spentBefore)
        } catch {
            try await record { _, audit -> Void in
                try refuseOverBudget(error, &audit)
            }
        }
        let statistics = try await categoryStatistics(rules: rules, policy: policy, now: now)
        let released: CategoryModel
        do {
            released = try CategoryModel(categories: rules.categories, releasing: statistics, epsilon: epsilon, using: random)
        } catch {
            throw VaultError.invalid(.init(error), error.description)
        }
        let policyHash = policy.hash
        let key = "model.train:\(policyHash)"
        return try await record { tx, audit in
            let spent = try Self.spending(tx, analyst: holder, since: windows)
            let status: BudgetStatus
            do {
                status = try setup.budget.charge(epsilon, spent: spent)
            } catch let error as AnalyticsError {
                try refuseOverBudget(error, &audit)
            }
            _ = try tx.insertCharge(ChargeRow(analyst: holder, microEpsilon: epsilon.micros, at: now, queryKey: key))
            let version = (try tx.recommendationModel(version: nil)?.version ?? 0) + 1
            let model = ProductModel(version: version, trainedAt: now, purpose: rules.purpose, policy: policyHash, model: released)
            let body = try Self.modelEncoder.encode(model)
            let digest = SHA256.hash(data: Array(body)).hex
            let seq = try audit.append(
                AuditDraft(
                    principal: principal,
                    purpose: rules.purpose,
                    op: .modelTrain,
                    decision: .allow,
                    reason: .allowedTrained,
                    details: [
                        "model_version": String(version), "model_sha256": digest,
                        "micro_epsilon": String(epsilon.micros),
                    ]
                )
            )
            try tx.insertRecommendationModel(ModelRow(version: version, trainedAt: now, auditSeq: seq, body: body))
            return ProductModelView(model: model, sha256: digest, auditSeq: seq, epsilonCharged: epsilon, budget: status)
        }
    }

    /// A stored model (the newest when `version` is nil), checked against its training's audit entry.
    public func showModel(version: Int64?, by principal: Principal) async throws -> ProductModelView {
        try requireOperation(.trainModels, principal)
        let view = try await storage.read { tx in
            guard let row = try tx.recommendationModel(version: version) else {
                throw VaultError.notFound(version.map { "model version \($0)" } ?? "a trained model (train one first)")
            }
            return try Self.checkedModel(row, in: tx)
        }
        try await record { _, audit in
            try audit.append(
                AuditDraft(
                    principal: principal,
                    op: .modelShow,
                    decision: .allow,
                    reason: .allowedModel,
                    details: ["model_version": String(view.model.version)]
                )
            )
        }
        return view
    }

    /// The next best products for one customer under the recommendation purpose: a purpose-bound
    /// read of the fields the model uses (decided, audited with the model version, refused with its
    /// reason when the customer's consent does not hold), scored against the newest model.
    ///
    /// - Parameters:
    ///   - customerID: the customer's id, such as `c-0000001`.
    ///   - purpose: must be the policy's recommendation purpose; asking under another is refused.
    ///   - principal: a staff role the policy grants `read` and the purpose; a customer token finds nothing here
    ///     (`myNextBestProduct(by:)` is theirs).
    /// - Returns: the recommended categories, best first, with the model version and the fields read.
    /// - Throws: `VaultError.Code.noRecommendations` when the policy has none; `.notFound` for no such customer;
    ///   `.purposeNotForRecommendations`, `.noModel`, `.modelOutdated`, `.customerErased`, and kind `.denied` (such as
    ///   `consent_missing` when no field may be read), each audited before it is thrown.
    public func nextBestProduct(for customerID: String, purpose: String, by principal: Principal) async throws -> NextBestProduct {
        // A customer sees their own recommendation at `me`, where what holds is shown rather than
        // refused; on this route their token, like any customer token on a staff route, finds nothing.
        guard principal.role != RoleName.customer.rawValue else { throw VaultError.notFound("customer \(customerID)") }
        let policy = policy.policy
        let rules = try Self.recommendationRules(policy)
        let fields = Self.recommendationFields(policy, rules)
        let op = AuditOperation.customerNextBestProduct
        // Refusals before the customer's data is touched are access attempts too: each leaves its entry.
        func refuse(_ customer: String?, _ error: VaultError) async throws -> Never {
            try await record { _, audit -> Void in
                try audit.refuse(
                    AuditDraft(
                        principal: principal,
                        purpose: purpose,
                        customer: customer,
                        fields: fields,
                        op: op,
                        decision: .deny,
                        reason: AuditReason(error)
                    ),
                    error
                )
            }
            // `refuse` throws the refusal once its entry is committed; this line is never reached.
            throw error
        }
        guard CustomerRecord.isValidID(customerID) else {
            // As for a read: an id no customer can have is not logged under a customer, but a role
            // that never reads rows is still refused, and audited, as for any id.
            let operation = policy.authorize(role: principal.role, operation: .read)
            if !operation.allowed { try await refuse(nil, VaultError.denied(.init(operation.code), operation.reason)) }
            throw VaultError.notFound("customer \(customerID)")
        }
        guard purpose == rules.purpose else {
            try await refuse(
                customerID,
                VaultError.invalid(
                    .purposeNotForRecommendations,
                    "recommendations are made only under purpose \(rules.purpose), not \(purpose): ask with purpose=\(rules.purpose)"
                )
            )
        }
        let now = clock.now()
        return try await logged(customerID: customerID) { tx, audit, prefetched in
            let stored: ProductModelView
            do {
                stored = try Self.newestModel(in: tx, rules: rules)
            } catch let error as VaultError where error.kind == .conflict {
                try audit.refuse(
                    AuditDraft(
                        principal: principal,
                        purpose: purpose,
                        customer: customerID,
                        fields: fields,
                        op: op,
                        decision: .deny,
                        reason: AuditReason(error)
                    ),
                    error
                )
            }
            let view = try self.open(
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
                        op: op,
                        details: ["model_version": String(stored.model.version)]
                    ),
                    prefetched: prefetched
                )
            )
            guard view.anyAllowed else {
                let denial = view.decisions.first { !$0.allowed }!
                throw VaultError.denied(.init(denial.decision.code), denial.decision.reason)
            }
            return Self.recommend(
                customerID,
                values: view.values,
                fieldsUsed: view.decisions.filter(\.allowed).map(\.field),
                model: stored.model,
                policy: policy,
                rules: rules,
                now: now
            )
        }
    }

    /// What the firm would recommend to the signed-in customer, and why; nothing while the
    /// recommendation purpose does not hold for them (they withdrew, or never agreed).
    public func myNextBestProduct(by principal: Principal) async throws -> NextBestProduct {
        let customerID = try selfID(principal, .selfRead)
        let policy = policy.policy
        let rules = try Self.recommendationRules(policy)
        let fields = Self.recommendationFields(policy, rules)
        let now = clock.now()
        return try await logged(customerID: customerID) { tx, audit, prefetched in
            let stored = try Self.newestModel(in: tx, rules: rules)
            let view = try self.open(
                try self.readLocked(
                    tx,
                    &audit,
                    ReadRequest(
                        customerID: customerID,
                        purpose: nil,
                        fields: fields,
                        principal: principal,
                        policy: policy,
                        now: now,
                        op: .selfNextBestProduct,
                        details: ["model_version": String(stored.model.version)]
                    ),
                    prefetched: prefetched
                )
            )
            // The customer sees exactly what the firm would do: nothing without their consent, and
            // nothing from a field they dispute while the purpose is restricted.
            let state = try prefetched.snapshot(customerID, in: tx).map(self.customerState)
            let basis = policy.basisHolds(purpose: rules.purpose, consent: state?.consent ?? [:], now: now)
            guard basis.allowed else {
                let choice =
                    basis.code == .consentWithdrawn
                    ? "you withdrew your agreement to \(rules.purpose)"
                    : basis.code == .objected ? "you objected to \(rules.purpose)" : "you have not agreed to \(rules.purpose)"
                return NextBestProduct(
                    customerID: customerID,
                    purpose: rules.purpose,
                    modelVersion: stored.model.version,
                    purposeHolds: false,
                    recommendations: [],
                    fieldsUsed: [],
                    note: "\(choice), so the firm makes you no recommendations; you can change this in your consents at any time"
                )
            }
            var values = view.values
            if policy.contests.restricts(rules.purpose) {
                for field in state?.disputedFields ?? [] { values[field] = nil }
            }
            return Self.recommend(
                customerID,
                values: values,
                fieldsUsed: fields.filter { values[$0] != nil },
                model: stored.model,
                policy: policy,
                rules: rules,
                now: now
            )
        }
    }

    /// Scores the model's categories for one customer from the values their read allowed.
    static func recommend(
        _ customerID: String,
        values: [String: FieldValue],
        fieldsUsed: [String],
        model: ProductModel,
        policy: Policy,
        rules: RecommendationRules,
        now: Date
    ) -> NextBestProduct {
        let recommendations = model.model.recommendations(
            for: signals(from: values, policy: policy, rules: rules),
            today: DayNumber.of(now),
            recentDays: days(rules.recent, before: now),
            count: rules.top
        )
        return NextBestProduct(
            customerID: customerID,
            purpose: rules.purpose,
            modelVersion: model.version,
            purposeHolds: true,
            recommendations: recommendations,
            fieldsUsed: fieldsUsed,
            note: recommendations.isEmpty ? "every category was bought recently" : nil
        )
    }

    // MARK: - Training

    /// Counts, on all cores, each customer's most recently bought categories, for customers whose
    /// recommendation purpose holds now; a purchase history past its retention, or disputed while
    /// the purpose is restricted, counts as empty.
    func categoryStatistics(rules: RecommendationRules, policy: Policy, now: Date) async throws -> CategoryStatistics {
        guard let purchasesField = policy.fields.first(where: { $0.type == .purchases }) else {
            throw VaultError.invalid(.noPurchasesField, "the policy has no purchases field to train on")
        }
        let index = Dictionary(rules.categories.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let cutoff = purchasesField.retentionCutoff(now: now)
        let (pending, splitPoints) = try await storage.read { tx in
            (
                try tx.contests(customerID: nil, statuses: [.open, .infoRequested]),
                try tx.customerSplitPoints(max(1, ProcessInfo.processInfo.activeProcessorCount))
            )
        }
        let disputed =
            policy.contests.restricts(rules.purpose)
            ? Set(pending.filter { $0.field == purchasesField.name }.map(\.customerID)) : []
        let empty = CategoryStatistics(categoryCount: rules.categories.count, maxCategoriesPerCustomer: rules.maxCategoriesPerCustomer)
        return try await withThrowingTaskGroup(of: CategoryStatistics.self) { group in
            for shard in CustomerIDRange.partition(at: splitPoints) {
                group.addTask {
                    try await self.storage.read { tx in
                        var statistics = empty
                        try tx.scanCustomers(in: shard, kinds: [.purchases], consentFor: rules.purpose) { customer in
                            let consent = customer.consent.map(ConsentRecord.init)
                            guard policy.purposeHolds(rules.purpose, consent: consent, now: now) else { return }
                            var purchases: [Purchase] = []
                            if !disputed.contains(customer.id), let record = customer.records.first(where: { $0.kind == .purchases }),
                                !cutoff.isExpired(collectedAt: record.updatedAt)
                            {
                                let dek = try self.keyring.dek(customerID: customer.id, wrapped: Array(customer.wrappedKey))
                                if case .purchases(let list)? = try RecordSealer.open(record, customerID: customer.id, dek: dek)[purchasesField.name]
                                {
                                    purchases = list
                                }
                            }
                            statistics.add(categories: purchases.sorted { $0.day > $1.day }.compactMap { index[$0.category] })
                        }
                        return statistics
                    }
                }
            }
            var total = empty
            for try await part in group { total.merge(part) }
            return total
        }
    }

    // MARK: - Helpers

    static let modelEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let modelDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static func recommendationRules(_ policy: Policy) throws -> RecommendationRules {
        guard let rules = policy.recommendations else {
            throw VaultError.conflict(
                .noRecommendations,
                "the policy in force has no recommendations section, so there is no next-best-product model: add one to the policy and apply it"
            )
        }
        return rules
    }

    /// The fields a recommendation reads: the purchases, and the stated interests and spend if the policy names them.
    static func recommendationFields(_ policy: Policy, _ rules: RecommendationRules) -> [String] {
        (policy.fields.filter { $0.type == .purchases }.prefix(1).map(\.name) + [rules.interestsField, rules.spendField].compactMap { $0 })
    }

    static func signals(from values: [String: FieldValue], policy: Policy, rules: RecommendationRules) -> CustomerSignals {
        var signals = CustomerSignals()
        for name in recommendationFields(policy, rules) {
            switch values[name] {
            case .purchases(let list)?: signals.purchases = list.map { ($0.category, $0.day) }
            case .stringList(let list)? where name == rules.interestsField: signals.interests = Set(list)
            case .decimalMap(let map)? where name == rules.spendField: signals.statedSpend = map
            default: break
            }
        }
        return signals
    }

    /// Whole days in `period` (a calendar period is as long ending now as starting now).
    static func days(_ period: ISO8601Duration, before now: Date) -> Int {
        max(0, Int((period.adding(to: now).timeIntervalSince(now) / 86_400).rounded()))
    }

    /// The newest model, checked against its training entry and against the rules in force: a model
    /// trained under another purpose or over other categories is not used.
    static func newestModel(in tx: any StorageReader, rules: RecommendationRules) throws -> ProductModelView {
        guard let row = try tx.recommendationModel(version: nil) else {
            throw VaultError.conflict(.noModel, "no next-best-product model has been trained yet: an operator must train one first")
        }
        let view = try checkedModel(row, in: tx)
        guard view.model.purpose == rules.purpose, view.model.model.categories == rules.categories else {
            throw VaultError.conflict(
                .modelOutdated,
                "the newest model (version \(row.version)) was trained for another purpose or other categories than the policy in force names: an operator must train a new one"
            )
        }
        return view
    }

    /// Decodes a stored model after checking it against the audit entry of its training, which the
    /// signed log protects: a model altered in the database is refused, never used.
    static func checkedModel(_ row: ModelRow, in tx: any StorageReader) throws -> ProductModelView {
        let digest = SHA256.hash(data: Array(row.body)).hex
        guard let entryRow = try tx.auditEntries(from: row.auditSeq, limit: 1, customerID: nil).first, entryRow.seq == row.auditSeq,
            case let entry = try decode(entryRow), entry.operation == .modelTrain, entry.decision == .allow,
            entry.details["model_version"] == String(row.version), entry.details["model_sha256"] == digest,
            let model = try? modelDecoder.decode(ProductModel.self, from: row.body), model.version == row.version,
            let checked = try? model.model.validated()
        else {
            throw VaultError.integrity(
                "next-best-product model version \(row.version) does not match the audit entry of its training: the database was altered outside the vault; run cvault audit verify and train a new model"
            )
        }
        return ProductModelView(
            model: ProductModel(
                version: model.version,
                trainedAt: model.trainedAt,
                purpose: model.purpose,
                policy: model.policy,
                model: checked
            ),
            sha256: digest,
            auditSeq: row.auditSeq,
            epsilonCharged: .zero,
            budget: nil
        )
    }
}
