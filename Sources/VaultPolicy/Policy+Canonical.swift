import Foundation
import VaultCrypto
import VaultFormat

/// The canonical form is built from the validated model, not from the YAML text, so whitespace, comments,
/// key order, list order of sets, quoting styles and spelled-out defaults cannot change the hash, while
/// any change to a rule (or to a description people approved) does.
extension Policy {
    static func canonicalJSON(
        version: Int,
        name: String,
        description: String?,
        categories: [CustomCategory],
        fields: [FieldDefinition],
        purposes: [Purpose],
        roles: [Role],
        aggregation: AggregationRules,
        contests: ContestRules,
        recommendations: RecommendationRules?
    ) -> String {
        let document: CanonicalValue = .object([
            "version": .integer(version),
            "name": .string(name),
            "description": description.map(CanonicalValue.string) ?? .absent,
            // Absent when empty, so that policies written before categories existed keep their hash.
            "categories": categories.isEmpty
                ? .absent
                : .object(Dictionary(uniqueKeysWithValues: categories.map { ($0.key, .object(["description": .string($0.description)])) })),
            "fields": .object(Dictionary(uniqueKeysWithValues: fields.map { ($0.name, canonical($0)) })),
            "purposes": .object(Dictionary(uniqueKeysWithValues: purposes.map { ($0.name, canonical($0)) })),
            "roles": .object(Dictionary(uniqueKeysWithValues: roles.map { ($0.name.rawValue, canonical($0)) })),
            "aggregation": canonical(aggregation),
            "contests": .object([
                "response_deadline": .string(contests.responseDeadline.description),
                "restrict_while_disputed": .set(contests.restrictedWhileDisputed),
            ]),
            // Absent when none, so that policies written before recommendations existed keep their hash.
            "recommendations": recommendations.map(canonical) ?? .absent,
        ])
        // Never absent: the document is an object.
        return String(decoding: document.json!.canonicalBytes(controls: .unicode), as: UTF8.self)
    }

    static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).hex
    }

    private static func canonical(_ field: FieldDefinition) -> CanonicalValue {
        let analytics: CanonicalValue =
            switch field.analytics {
            case .never: .object(["use": .string("none")])
            case .groupBy(let bucket): .object(["use": .string("group_by"), "bucket": bucket.map(CanonicalValue.integer) ?? .absent])
            case .measure(let bounds): .object(["use": .string("measure"), "bounds": canonical(bounds)])
            case .purchaseMeasure(let amount, let margin):
                .object(["use": .string("measure"), "bounds": .object(["amount": canonical(amount), "margin": canonical(margin)])])
            }
        return .object([
            "section": .string(field.section.rawValue),
            "type": .string(field.type.rawValue),
            "category": .string(field.category),
            "sensitivity": .string(field.sensitivity.rawValue),
            "lookup": .bool(field.lookup),
            "retention": .string(field.retention.description),
            "analytics": analytics,
            "values": field.allowedValues.map(CanonicalValue.set) ?? .absent,
            "range": field.range.map(canonical) ?? .absent,
            "description": field.description.map(CanonicalValue.string) ?? .absent,
        ])
    }

    private static func canonical(_ purpose: Purpose) -> CanonicalValue {
        .object([
            "basis": .string(purpose.basis.rawValue),
            "default": purpose.basis == .consent ? .string("denied") : .absent,
            "aggregate_only": .bool(purpose.aggregateOnly),
            "description": .string(purpose.description),
        ])
    }

    private static func canonical(_ role: Role) -> CanonicalValue {
        .object([
            "operations": .set(role.operations.map(\.rawValue)),
            "purposes": .object(
                Dictionary(
                    uniqueKeysWithValues: role.grants.map { grant in
                        (
                            grant.purpose,
                            CanonicalValue.object([
                                "read": .set(grant.read), "write": .set(grant.write), "aggregate": .set(grant.aggregate),
                            ])
                        )
                    }
                )
            ),
        ])
    }

    private static func canonical(_ rules: AggregationRules) -> CanonicalValue {
        func budget(_ budget: AggregationRules.Budget) -> CanonicalValue {
            .object(["epsilon": .number(budget.epsilon), "period": .string(budget.period.description), "lifetime": .number(budget.lifetime)])
        }
        return .object([
            "k": .integer(rules.k),
            "epsilon_per_query": .number(rules.epsilonPerQuery),
            "max_epsilon_per_query": .number(rules.maxEpsilonPerQuery),
            "budget": .object(["per_analyst": budget(rules.perAnalystBudget), "global": budget(rules.globalBudget)]),
            "clv": .object([
                "discount_rate": .number(rules.clv.discountRate),
                "retention_rate": .number(rules.clv.retentionRate),
                "margin_window_years": .integer(rules.clv.marginWindowYears),
                "annual_margin_bounds": canonical(rules.clv.annualMarginBounds),
            ]),
        ])
    }

    private static func canonical(_ rules: RecommendationRules) -> CanonicalValue {
        .object([
            "purpose": .string(rules.purpose),
            // The order is the model's layout, so it is kept.
            "categories": .array(rules.categories.map(CanonicalValue.string)),
            "interests": rules.interestsField.map(CanonicalValue.string) ?? .absent,
            "spend": rules.spendField.map(CanonicalValue.string) ?? .absent,
            "max_categories_per_customer": .integer(rules.maxCategoriesPerCustomer),
            "recent": .string(rules.recent.description),
            "epsilon": .number(rules.epsilon),
            "top": .integer(rules.top),
        ])
    }

    private static func canonical(_ bounds: Bounds) -> CanonicalValue {
        .array([.number(bounds.min), .number(bounds.max)])
    }
}

/// The policy's canonical document as it is built: JSON with members that may be absent, sets
/// and decimal numbers, lowered to a `JSONValue` for the vault's one canonical writer.
private indirect enum CanonicalValue {
    case object([String: CanonicalValue])
    case array([CanonicalValue])
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
    case absent

    /// A list whose order carries no meaning, written sorted.
    static func set(_ items: [String]) -> CanonicalValue {
        .array(items.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map(CanonicalValue.string))
    }

    /// The JSON value, or nil for an absent member (left out of its object).
    var json: JSONValue? {
        switch self {
        case .object(let members): .object(members.compactMapValues(\.json))
        case .array(let items): .array(items.compactMap(\.json))
        case .string(let text): .string(text)
        case .integer(let value): .integer(Int64(value))
        // The validator admits only finite numbers; integral ones print without ".0" so 5 and 5.0 agree.
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? .integer(Int64(value)) : .number("\(value)")
        case .bool(let value): .bool(value)
        case .absent: nil
        }
    }
}
