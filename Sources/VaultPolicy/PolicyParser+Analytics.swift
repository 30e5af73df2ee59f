import Foundation
import Yams

// Contests, aggregation and recommendations.
extension PolicyParser {
    mutating func contestRules(_ node: Node) -> ContestRules? {
        guard let entries = mapping(node, "contests") else { return nil }
        checkKeys(entries, allowed: ["response_deadline", "restrict_while_disputed"], in: "contests")
        var deadline: ISO8601Duration? = ContestRules.defaultResponseDeadline
        if let entry = entries["response_deadline"] {
            deadline = duration(entry.value, "response_deadline of contests")
        }
        var restricted: [String]?
        if let listNode = require(
            entries,
            "restrict_while_disputed",
            in: "contests",
            at: Position(node.mark),
            hint: "the purposes that may not process a disputed field, such as [marketing, analytics]; [] for none"
        ),
            let items = nameList(listNode, "restrict_while_disputed")
        {
            restricted = items.map(\.name)
            for item in items where !declaredPurposes.contains(item.name) {
                report(
                    item.position,
                    .unknownReference,
                    "restrict_while_disputed names purpose '\(item.name)', which the policy does not define\(suggestion(item.name, declaredPurposes)): define it under purposes or fix the name"
                )
                restricted = nil
            }
        }
        guard let deadline, let restricted else { return nil }
        return ContestRules(responseDeadline: deadline, restrictedWhileDisputed: restricted)
    }

    mutating func aggregationRules(_ node: Node) -> AggregationRules? {
        guard let entries = mapping(node, "aggregation") else { return nil }
        checkKeys(entries, allowed: ["k", "epsilon_per_query", "max_epsilon_per_query", "budget", "clv"], in: "aggregation")
        var valid = true

        var k = AggregationRules.defaultK
        if let node = entries["k"]?.value {
            if let value = integer(node, "k") {
                if value >= 2 {
                    k = value
                } else {
                    report(
                        node,
                        .invalidK,
                        "k must be at least 2, got \(value): a group smaller than that singles out one customer; the usual value is 10"
                    )
                    valid = false
                }
            } else {
                valid = false
            }
        }
        let epsilon =
            entries["epsilon_per_query"].map { positiveEpsilon($0.value, "epsilon_per_query", typical: "0.5") }
            ?? AggregationRules.defaultEpsilonPerQuery
        let maxEpsilon = entries["max_epsilon_per_query"].map { positiveEpsilon($0.value, "max_epsilon_per_query", typical: "1") } ?? epsilon
        if let epsilon, let maxEpsilon, maxEpsilon < epsilon, let node = entries["max_epsilon_per_query"]?.value {
            report(
                node,
                .invalidEpsilon,
                "max_epsilon_per_query (\(format(maxEpsilon))) is below epsilon_per_query (\(format(epsilon))): raise it or lower epsilon_per_query"
            )
            valid = false
        }

        var perAnalyst: AggregationRules.Budget? = AggregationRules.defaultPerAnalystBudget
        var global: AggregationRules.Budget? = AggregationRules.defaultGlobalBudget
        if let budgetNode = entries["budget"]?.value {
            if let budgetEntries = mapping(budgetNode, "budget") {
                checkKeys(budgetEntries, allowed: ["per_analyst", "global"], in: "budget")
                if let entry = budgetEntries["per_analyst"] { perAnalyst = budget(entry, "per_analyst budget") }
                if let entry = budgetEntries["global"] { global = budget(entry, "global budget") }
            } else {
                valid = false
            }
        }
        if let maxEpsilon, let perAnalyst, maxEpsilon > perAnalyst.epsilon {
            let at = entries["max_epsilon_per_query"]?.value ?? entries["epsilon_per_query"]?.value ?? entries["budget"]?.value ?? node
            report(
                at,
                .invalidEpsilon,
                "one query may spend ε \(format(maxEpsilon)), more than the per_analyst budget of \(format(perAnalyst.epsilon)): lower the query ε or raise the budget"
            )
            valid = false
        }

        let clv = entries["clv"].map { clvParameters($0.value) } ?? AggregationRules.defaultCLV
        guard valid, let epsilon, let maxEpsilon, let perAnalyst, let global, let clv else { return nil }
        return AggregationRules(
            k: k,
            epsilonPerQuery: epsilon,
            maxEpsilonPerQuery: maxEpsilon,
            perAnalystBudget: perAnalyst,
            globalBudget: global,
            clv: clv
        )
    }

    // MARK: - Recommendations

    mutating func recommendationRules(_ node: Node, fields: [String: FieldDefinition], purposes: [String: Purpose]) -> RecommendationRules? {
        guard let entries = mapping(node, "recommendations") else { return nil }
        let what = "recommendations"
        let at = Position(node.mark)
        checkKeys(
            entries,
            allowed: ["purpose", "categories", "interests", "spend", "max_categories_per_customer", "recent", "epsilon", "top"],
            in: what
        )
        var valid = true
        var purpose: String?
        if let node = require(entries, "purpose", in: what, at: at, hint: "the consent purpose recommendations run under, such as personalization"),
            let name = text(node, "purpose of recommendations")
        {
            if let declared = purposes[name] {
                if declared.aggregateOnly {
                    report(
                        node,
                        .grantMismatch,
                        "purpose \(name) is aggregate-only, but a recommendation is made for one customer: name a purpose such as personalization"
                    )
                } else if declared.basis != .consent {
                    report(
                        node,
                        .grantMismatch,
                        "purpose \(name) rests on \(declared.basis.rawValue), but recommendations are trained on and applied to a customer only with their consent: name a consent purpose such as personalization"
                    )
                } else {
                    purpose = name
                }
            } else {
                report(
                    node,
                    .unknownReference,
                    "recommendations name purpose '\(name)', which the policy does not define\(suggestion(name, declaredPurposes)): define it under purposes or fix the name"
                )
            }
        }
        var categories: [String]?
        if let node = require(entries, "categories", in: what, at: at, hint: "the product categories, such as [grocery, garden, kitchen]"),
            let items = nameList(node, "categories of recommendations")
        {
            if items.isEmpty || items.count > 64 {
                report(
                    node,
                    .invalidValue,
                    "recommendations need between 1 and 64 categories, got \(items.count): list the firm's product categories"
                )
            } else {
                // Every bad name is reported, not only the first.
                let valid = items.map { identifier($0.name, at: $0.position, kind: "category") }
                if !valid.contains(false) { categories = items.map(\.name) }
            }
        }
        func field(_ key: String, type: FieldDefinition.ValueType, _ parser: inout PolicyParser) -> String? {
            guard let entry = entries[key], let name = parser.text(entry.value, "\(key) of recommendations") else { return nil }
            guard let definition = fields[name], definition.type == type else {
                parser.report(
                    entry.value,
                    .unknownReference,
                    "\(key) of recommendations names '\(name)', which is not a \(type.rawValue) field of the policy: name one or remove \(key)"
                )
                valid = false
                return nil
            }
            return name
        }
        let interests = field("interests", type: .stringList, &self)
        let spend = field("spend", type: .decimalMap, &self)
        if !fields.values.contains(where: { $0.type == .purchases }) {
            report(
                node,
                .missingKey,
                "recommendations are trained on purchases, but the policy has no field of type purchases: define one or remove recommendations"
            )
            valid = false
        }
        func bounded(_ key: String, _ range: ClosedRange<Int>, _ fallback: Int, _ parser: inout PolicyParser) -> Int {
            guard let node = entries[key]?.value else { return fallback }
            guard let value = parser.integer(node, "\(key) of recommendations") else {
                valid = false
                return fallback
            }
            guard range.contains(value) else {
                parser.report(
                    node,
                    .invalidValue,
                    "\(key) of recommendations must be between \(range.lowerBound) and \(range.upperBound), got \(value)"
                )
                valid = false
                return fallback
            }
            return value
        }
        let cap = bounded("max_categories_per_customer", 1...16, RecommendationRules.defaultMaxCategoriesPerCustomer, &self)
        let top = bounded("top", 1...20, RecommendationRules.defaultTop, &self)
        var recent: ISO8601Duration? = RecommendationRules.defaultRecent
        if let node = entries["recent"]?.value { recent = duration(node, "recent of recommendations") }
        let epsilon = entries["epsilon"].map { positiveEpsilon($0.value, "epsilon of recommendations", typical: "1") } ?? 1
        guard valid, let purpose, let categories, let recent, let epsilon else { return nil }
        return RecommendationRules(
            purpose: purpose,
            categories: categories,
            interestsField: interests,
            spendField: spend,
            maxCategoriesPerCustomer: cap,
            recent: recent,
            epsilon: epsilon,
            top: top
        )
    }

    mutating func positiveEpsilon(_ node: Node, _ what: String, typical: String) -> Double? {
        guard let value = number(node, what) else { return nil }
        guard value.isFinite, value > 0 else {
            report(
                node,
                .invalidEpsilon,
                "\(what) must be a positive, finite number, got \(scalarText(node)): ε ≤ 0, NaN or infinity gives no privacy guarantee; a typical value is \(typical)"
            )
            return nil
        }
        return value
    }

    mutating func budget(_ entry: Entry, _ what: String) -> AggregationRules.Budget? {
        guard let entries = mapping(entry.value, what) else { return nil }
        checkKeys(entries, allowed: ["epsilon", "period", "lifetime"], in: what)
        let epsilon = require(entries, "epsilon", in: what, at: entry.keyPosition, hint: "the total ε per period, such as 5")
            .flatMap { positiveEpsilon($0, "epsilon of the \(what)", typical: "5") }
        let period = require(entries, "period", in: what, at: entry.keyPosition, hint: "an ISO 8601 duration such as P30D")
            .flatMap { duration($0, "period of the \(what)") }
        guard let epsilon, let period else { return nil }
        var lifetime = AggregationRules.Budget.defaultLifetime(epsilon: epsilon)
        if let node = entries["lifetime"]?.value {
            guard let value = positiveEpsilon(node, "lifetime of the \(what)", typical: "20") else { return nil }
            guard value >= epsilon else {
                report(
                    node,
                    .invalidEpsilon,
                    "the lifetime cap of the \(what) (\(format(value))) is below its per-period ε (\(format(epsilon))): the cap never renews, so it must hold at least one period; raise it or lower epsilon"
                )
                return nil
            }
            lifetime = value
        }
        return AggregationRules.Budget(epsilon: epsilon, period: period, lifetime: lifetime)
    }

    mutating func clvParameters(_ node: Node) -> AggregationRules.CLVParameters? {
        guard let entries = mapping(node, "clv") else { return nil }
        checkKeys(entries, allowed: ["discount_rate", "retention_rate", "margin_window_years", "annual_margin_bounds"], in: "clv")
        let defaults = AggregationRules.defaultCLV
        var valid = true
        func rate(_ key: String, _ fallback: Double, _ parser: inout PolicyParser) -> Double {
            guard let node = entries[key]?.value else { return fallback }
            guard let value = parser.number(node, key) else {
                valid = false
                return fallback
            }
            guard value.isFinite, value >= 0, value <= 1 else {
                parser.report(node, .invalidRate, "\(key) must be a fraction between 0 and 1, got \(parser.scalarText(node)): write 0.10 for 10%")
                valid = false
                return fallback
            }
            return value
        }
        let discount = rate("discount_rate", defaults.discountRate, &self)
        let retention = rate("retention_rate", defaults.retentionRate, &self)
        var horizon = defaults.marginWindowYears
        if let node = entries["margin_window_years"]?.value {
            if let value = integer(node, "margin_window_years") {
                if (1...100).contains(value) {
                    horizon = value
                } else {
                    report(node, .invalidValue, "margin_window_years must be a whole number of years from 1 to 100, got \(value)")
                    valid = false
                }
            } else {
                valid = false
            }
        }
        var marginBounds = defaults.annualMarginBounds
        if let node = entries["annual_margin_bounds"]?.value {
            if let value = bounds(node, "annual_margin_bounds") { marginBounds = value } else { valid = false }
        }
        guard valid else { return nil }
        return AggregationRules.CLVParameters(
            discountRate: discount,
            retentionRate: retention,
            marginWindowYears: horizon,
            annualMarginBounds: marginBounds
        )
    }
}
