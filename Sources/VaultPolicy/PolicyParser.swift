import Foundation
import Yams

/// Reads a policy's YAML into the model, collecting every problem with its position instead of stopping
/// at the first, so that one `cvault policy check` run lists everything to fix.
struct PolicyParser {
    private let file: String
    private var diagnostics: [PolicyDiagnostic] = []

    /// Names declared in the file, even when their definitions are broken, so that one broken field
    /// does not also produce "unknown field" errors everywhere it is used.
    private var declaredFields: Set<String> = []
    private var declaredPurposes: Set<String> = []
    /// Categories the file declares under `categories:`.
    private var declaredCategories: Set<String> = []
    /// Whether a field's category must be in the fideslang taxonomy or declared.
    private let taxonomyChecked: Bool

    init(file: String, taxonomyChecked: Bool) {
        self.file = file
        self.taxonomyChecked = taxonomyChecked
    }

    mutating func parse(_ yaml: String) throws(PolicyValidationError) -> Policy {
        do {
            try YAMLScreen.check(yaml)
        } catch {
            diagnostics.append(
                PolicyDiagnostic(
                    file: file,
                    line: error.line,
                    column: error.column,
                    rule: (error.isAlias ? Rule.yamlAlias : Rule.tooLarge).rawValue,
                    message: error.message
                )
            )
            throw PolicyValidationError(diagnostics: diagnostics)
        }
        let parser: Parser
        let root: Node?
        do {
            parser = try Parser(yaml: yaml, resolver: .default, constructor: .default, encoding: .utf8)
            root = try parser.singleRoot()
        } catch let error as YamlError {
            report(yamlError: error, in: yaml)
            throw PolicyValidationError(diagnostics: diagnostics)
        } catch {
            report(Position(), .yamlSyntax, "invalid YAML; fix the file's syntax")
            throw PolicyValidationError(diagnostics: diagnostics)
        }
        guard let root else {
            report(Position(), .missingKey, "the file is empty: a policy starts with version: 1")
            throw PolicyValidationError(diagnostics: diagnostics)
        }
        let policy = document(root)
        guard let policy, diagnostics.isEmpty else {
            throw PolicyValidationError(diagnostics: sortedDiagnostics())
        }
        return policy
    }

    // MARK: - Document

    private mutating func document(_ root: Node) -> Policy? {
        guard let entries = mapping(root, "the policy") else { return nil }
        let top = Position(root.mark)
        checkKeys(
            entries,
            allowed: ["version", "name", "description", "categories", "fields", "purposes", "roles", "aggregation", "contests", "recommendations"],
            in: "the policy"
        )

        var version: Int?
        if let node = require(entries, "version", in: "the policy", at: top, hint: "the format version, 1") {
            if let value = integer(node, "version") {
                if value == 1 {
                    version = value
                } else {
                    report(node, .unsupportedVersion, "policy format version \(value) is not supported: this cvault reads version 1")
                }
            }
        }
        let name = require(entries, "name", in: "the policy", at: top, hint: "a short name such as retail-default")
            .flatMap { text($0, "name") }
        let description = entries["description"].flatMap { text($0.value, "description") }

        let categories = entries["categories"].map { customCategories($0.value) } ?? []
        var fields: [FieldDefinition] = []
        var purposes: [Purpose] = []
        if let node = require(entries, "fields", in: "the policy", at: top, hint: "a mapping of field names to their definitions") {
            fields = fieldDefinitions(node)
        }
        if let node = require(entries, "purposes", in: "the policy", at: top, hint: "a mapping of purpose names to their legal basis") {
            purposes = purposeDefinitions(node)
        }
        let fieldsByName = Dictionary(fields.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let purposesByName = Dictionary(purposes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var roles: [Role] = []
        if let node = require(entries, "roles", in: "the policy", at: top, hint: "a mapping of role names to their operations and purposes") {
            roles = roleDefinitions(node, fields: fieldsByName, purposes: purposesByName)
        }
        let contests = require(entries, "contests", in: "the policy", at: top, hint: "response_deadline and restrict_while_disputed")
            .flatMap { contestRules($0) }
        let aggregation = entries["aggregation"].map { aggregationRules($0.value) } ?? AggregationRules.defaults
        let recommendations = entries["recommendations"].map { recommendationRules($0.value, fields: fieldsByName, purposes: purposesByName) }
        if let rules = recommendations ?? nil, let aggregation, rules.epsilon > aggregation.maxEpsilonPerQuery,
            let node = entries["recommendations"]?.value
        {
            report(
                node,
                .invalidEpsilon,
                "the epsilon of recommendations (\(format(rules.epsilon))) is above max_epsilon_per_query (\(format(aggregation.maxEpsilonPerQuery))): training is charged like any aggregate; lower it"
            )
        }

        guard diagnostics.isEmpty, let version, let name, let contests, let aggregation, recommendations != .some(nil) else { return nil }
        return Policy(
            version: version,
            name: name,
            description: description,
            categories: categories,
            fields: fields,
            purposes: purposes,
            roles: roles,
            aggregation: aggregation,
            contests: contests,
            recommendations: recommendations ?? nil
        )
    }

    // MARK: - Categories

    private mutating func customCategories(_ node: Node) -> [CustomCategory] {
        guard let entries = mapping(node, "categories") else { return [] }
        declaredCategories = Set(entries.map(\.key))
        return entries.compactMap { entry in
            let what = "category \(entry.key)"
            guard Self.isDotted(entry.key) else {
                report(
                    entry.keyPosition,
                    .invalidCategory,
                    "\(what) is not a dotted data category: write lower-case segments joined by dots, such as user.financial.transactions"
                )
                return nil
            }
            guard !FideslangTaxonomy.dataCategories.contains(entry.key) else {
                report(
                    entry.keyPosition,
                    .invalidCategory,
                    "\(what) is already in the fideslang taxonomy: use it in fields without declaring it, and remove it here"
                )
                return nil
            }
            let parent = CustomCategory(key: entry.key, description: "").parent
            guard FideslangTaxonomy.dataCategories.contains(parent) || declaredCategories.contains(parent) else {
                report(
                    entry.keyPosition,
                    .invalidCategory,
                    "\(what) refines \(parent), which is neither in the fideslang taxonomy nor declared here: "
                        + "a custom category extends an existing one by one segment, such as user.financial.transactions under user.financial"
                )
                return nil
            }
            guard let entries = mapping(entry.value, what) else { return nil }
            checkKeys(entries, allowed: ["description"], in: what)
            guard
                let description = require(entries, "description", in: what, at: entry.keyPosition, hint: "what data the category covers")
                    .flatMap({ text($0, "description of \(what)") })
            else { return nil }
            return CustomCategory(key: entry.key, description: description)
        }
    }

    /// Lower-case segments joined by dots, at least two.
    private static func isDotted(_ value: String) -> Bool {
        let segments = value.split(separator: ".", omittingEmptySubsequences: false)
        return segments.count >= 2
            && segments.allSatisfy { segment in
                guard let first = segment.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
                return segment.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            }
    }

    // MARK: - Fields

    private mutating func fieldDefinitions(_ node: Node) -> [FieldDefinition] {
        guard let entries = mapping(node, "fields") else { return [] }
        declaredFields = Set(entries.map(\.key))
        return entries.compactMap { entry in
            guard identifier(entry.key, at: entry.keyPosition, kind: "field") else { return nil }
            return fieldDefinition(entry)
        }
    }

    private mutating func fieldDefinition(_ entry: Entry) -> FieldDefinition? {
        let what = "field \(entry.key)"
        guard let entries = mapping(entry.value, what) else { return nil }
        checkKeys(
            entries,
            allowed: ["section", "type", "category", "sensitivity", "lookup", "retention", "analytics", "values", "range", "description"],
            in: what
        )
        let at = entry.keyPosition
        let section = require(entries, "section", in: what, at: at, hint: "characteristics, responses or purchases")
            .flatMap { choice($0, "section of \(what)", FieldDefinition.Section.self) }
        let type = require(entries, "type", in: what, at: at, hint: FieldDefinition.ValueType.allCases.map(\.rawValue).joined(separator: ", "))
            .flatMap { choice($0, "type of \(what)", FieldDefinition.ValueType.self) }
        let category = require(entries, "category", in: what, at: at, hint: "a dotted data category such as user.contact.email")
            .flatMap { dataCategory($0, of: what) }
        let sensitivity = require(entries, "sensitivity", in: what, at: at, hint: "low, medium or high")
            .flatMap { choice($0, "sensitivity of \(what)", FieldDefinition.Sensitivity.self) }
        let retention = require(entries, "retention", in: what, at: at, hint: ISO8601Duration.expectedForm)
            .flatMap { duration($0, "retention of \(what)") }
        let description = entries["description"].flatMap { text($0.value, "description of \(what)") }

        var lookup = false
        if let node = entries["lookup"]?.value, let value = bool(node, "lookup of \(what)") {
            lookup = value
            if value, let type, ![.string, .email, .phone].contains(type) {
                report(
                    node,
                    .invalidValue,
                    "\(what) (type \(type.rawValue)) cannot be a lookup key: blind indexes work on string, email and phone fields; set lookup: false"
                )
            }
        }
        var allowedValues: [String]?
        if let node = entries["values"]?.value {
            if let type, ![.string, .stringList].contains(type) {
                report(node, .invalidValue, "values applies only to string and string_list fields; \(what) has type \(type.rawValue): remove values")
            } else if let items = nameList(node, "values of \(what)") {
                if items.isEmpty {
                    report(node, .invalidValue, "values of \(what) is empty: list the allowed values or remove the key")
                } else {
                    allowedValues = items.map(\.name)
                }
            }
        }
        var range: Bounds?
        if let node = entries["range"]?.value {
            if let type, ![.integer, .decimal].contains(type) {
                report(node, .invalidValue, "range applies only to integer and decimal fields; \(what) has type \(type.rawValue): remove range")
            } else {
                range = bounds(node, "range of \(what)")
            }
        }
        var analytics: AnalyticsUse? = .never
        if let node = entries["analytics"]?.value {
            analytics = analyticsUse(node, of: what, type: type)
        }

        guard let section, let type, let category, let sensitivity, let retention, let analytics else { return nil }
        return FieldDefinition(
            name: entry.key,
            section: section,
            type: type,
            category: category,
            sensitivity: sensitivity,
            lookup: lookup,
            retention: retention,
            analytics: analytics,
            allowedValues: allowedValues,
            range: range,
            description: description
        )
    }

    private mutating func dataCategory(_ node: Node, of what: String) -> String? {
        guard let value = text(node, "category of \(what)") else { return nil }
        guard Self.isDotted(value) else {
            report(
                node,
                .invalidCategory,
                "category '\(value)' of \(what) is not a dotted data category: write lower-case segments joined by dots, such as user.contact.email"
            )
            return nil
        }
        if taxonomyChecked, !FideslangTaxonomy.dataCategories.contains(value), !declaredCategories.contains(value) {
            report(
                node,
                .unknownCategory,
                "category '\(value)' of \(what) is not a fideslang \(FideslangTaxonomy.release) data category"
                    + "\(suggestion(value, FideslangTaxonomy.dataCategories.union(declaredCategories))): use one of its categories, "
                    + "or declare it under categories: as a refinement of one, with a description"
            )
            return nil
        }
        return value
    }

    private mutating func analyticsUse(_ node: Node, of what: String, type: FieldDefinition.ValueType?) -> AnalyticsUse? {
        let context = "analytics of \(what)"
        guard let entries = mapping(node, context) else { return nil }
        checkKeys(entries, allowed: ["use", "bucket", "bounds"], in: context)
        guard let useNode = require(entries, "use", in: context, at: Position(node.mark), hint: "none, group_by or measure"),
            let use = choice(useNode, "use of \(context)", AnalyticsKind.self)
        else { return nil }
        for (key, owner) in [("bucket", AnalyticsKind.groupBy), ("bounds", .measure)] where use != owner {
            if let entry = entries[key] {
                report(entry.keyPosition, .invalidValue, "\(key) applies only to use: \(owner.rawValue) in \(context): remove it")
                return nil
            }
        }
        switch use {
        case .never:
            return .never
        case .groupBy:
            if let type, ![.string, .integer].contains(type) {
                report(
                    useNode,
                    .invalidValue,
                    "\(what) (type \(type.rawValue)) cannot be a group-by key: group_by works on string and integer fields"
                )
                return nil
            }
            guard let bucketEntry = entries["bucket"] else { return .groupBy(bucket: nil) }
            if type != .integer {
                report(bucketEntry.keyPosition, .invalidValue, "bucket applies only to integer fields; remove it from \(context)")
                return nil
            }
            guard let bucket = integer(bucketEntry.value, "bucket of \(context)") else { return nil }
            guard bucket >= 1 else {
                report(bucketEntry.value, .invalidValue, "bucket of \(context) must be a positive whole number, such as 10 for decades")
                return nil
            }
            return .groupBy(bucket: bucket)
        case .measure:
            if let type, ![.integer, .decimal, .decimalMap, .purchases].contains(type) {
                report(
                    useNode,
                    .invalidValue,
                    "\(what) (type \(type.rawValue)) cannot be a measure: measures are integer, decimal, decimal_map or purchases fields"
                )
                return nil
            }
            guard
                let boundsNode = require(
                    entries,
                    "bounds",
                    in: context,
                    at: Position(node.mark),
                    hint: type == .purchases ? "amount: [min, max] and margin: [min, max]" : "[min, max], public and never derived from data"
                )
            else { return nil }
            if type == .purchases {
                let boundsContext = "bounds of \(context)"
                guard let parts = mapping(boundsNode, boundsContext) else { return nil }
                checkKeys(parts, allowed: ["amount", "margin"], in: boundsContext)
                let at = Position(boundsNode.mark)
                let amount = require(parts, "amount", in: boundsContext, at: at, hint: "[min, max] of one customer's total purchase amount")
                    .flatMap { bounds($0, "amount bounds of \(what)") }
                let margin = require(parts, "margin", in: boundsContext, at: at, hint: "[min, max] of one customer's total margin")
                    .flatMap { bounds($0, "margin bounds of \(what)") }
                guard let amount, let margin else { return nil }
                return .purchaseMeasure(amount: amount, margin: margin)
            }
            return bounds(boundsNode, "bounds of \(what)").map(AnalyticsUse.measure)
        }
    }

    private enum AnalyticsKind: String, CaseIterable {
        case never = "none"
        case groupBy = "group_by"
        case measure
    }

    // MARK: - Purposes

    private mutating func purposeDefinitions(_ node: Node) -> [Purpose] {
        guard let entries = mapping(node, "purposes") else { return [] }
        declaredPurposes = Set(entries.map(\.key))
        return entries.compactMap { entry in
            guard identifier(entry.key, at: entry.keyPosition, kind: "purpose") else { return nil }
            return purposeDefinition(entry)
        }
    }

    private mutating func purposeDefinition(_ entry: Entry) -> Purpose? {
        let what = "purpose \(entry.key)"
        guard let entries = mapping(entry.value, what) else { return nil }
        checkKeys(entries, allowed: ["basis", "default", "aggregate_only", "description"], in: what)
        let at = entry.keyPosition
        let basis = require(entries, "basis", in: what, at: at, hint: "contract, legal_obligation, legitimate_interest or consent")
            .flatMap { choice($0, "basis of \(what)", Purpose.LegalBasis.self) }
        let description = require(entries, "description", in: what, at: at, hint: "what the purpose is for, in words a customer understands")
            .flatMap { text($0, "description of \(what)") }
        var aggregateOnly = false
        if let node = entries["aggregate_only"]?.value, let value = bool(node, "aggregate_only of \(what)") {
            aggregateOnly = value
        }
        var defaultValid = true
        if let basis {
            if let defaultEntry = entries["default"] {
                if basis != .consent {
                    report(
                        defaultEntry.keyPosition,
                        .consentDefault,
                        "default applies only to consent purposes; \(what) rests on \(basis.rawValue): remove default"
                    )
                    defaultValid = false
                } else if let value = text(defaultEntry.value, "default of \(what)"), value != "denied" {
                    report(
                        defaultEntry.value,
                        .consentDefault,
                        "default of \(what) must be denied: consent is opt-in (GDPR Art. 7), so it holds only after the customer grants it; a purpose that runs without a grant needs another legal basis"
                    )
                    defaultValid = false
                }
            } else if basis == .consent {
                report(
                    at,
                    .consentDefault,
                    "\(what) rests on consent but has no default: add default: denied (consent holds only after the customer grants it)"
                )
                defaultValid = false
            }
        }
        guard let basis, let description, defaultValid else { return nil }
        return Purpose(name: entry.key, basis: basis, aggregateOnly: aggregateOnly, description: description)
    }

    // MARK: - Roles

    private mutating func roleDefinitions(_ node: Node, fields: [String: FieldDefinition], purposes: [String: Purpose]) -> [Role] {
        guard let entries = mapping(node, "roles") else { return [] }
        return entries.compactMap { entry in
            guard let name = RoleName(rawValue: entry.key) else {
                report(
                    entry.keyPosition,
                    .invalidValue,
                    "unknown role '\(entry.key)'\(suggestion(entry.key, RoleName.allCases.map(\.rawValue))): the roles are \(RoleName.allCases.map(\.rawValue).joined(separator: ", "))"
                )
                return nil
            }
            return roleDefinition(name, entry, fields: fields, purposes: purposes)
        }
    }

    private mutating func roleDefinition(_ name: RoleName, _ entry: Entry, fields: [String: FieldDefinition], purposes: [String: Purpose]) -> Role? {
        let what = "role \(name.rawValue)"
        guard let entries = mapping(entry.value, what) else { return nil }
        checkKeys(entries, allowed: ["operations", "purposes"], in: what)
        var valid = true
        var operations: [RoleOperation] = []
        if let node = require(entries, "operations", in: what, at: entry.keyPosition, hint: "a list such as [read, write]"),
            let items = nameList(node, "operations of \(what)")
        {
            for item in items {
                guard let operation = RoleOperation(rawValue: item.name) else {
                    report(
                        item.position,
                        .invalidValue,
                        "unknown operation '\(item.name)' in \(what)\(suggestion(item.name, name.permittedOperations.map(\.rawValue))): \(what) may have \(name.permittedOperations.map(\.rawValue).joined(separator: ", "))"
                    )
                    valid = false
                    continue
                }
                guard name.permittedOperations.contains(operation) else {
                    report(
                        item.position,
                        .operationNotAllowed,
                        "\(what) may not have operation \(operation.rawValue): \(name.rationale); it may have \(name.permittedOperations.map(\.rawValue).joined(separator: ", "))"
                    )
                    valid = false
                    continue
                }
                operations.append(operation)
            }
        } else {
            valid = false
        }

        var grants: [PurposeGrant] = []
        if let purposesEntry = entries["purposes"] {
            if ![RoleOperation.read, .write, .aggregate].contains(where: name.permittedOperations.contains) {
                report(purposesEntry.keyPosition, .grantMismatch, "\(what) takes no purposes: \(name.rationale); remove purposes")
                return nil
            }
            guard let purposeEntries = mapping(purposesEntry.value, "purposes of \(what)") else { return nil }
            for purposeEntry in purposeEntries {
                if let grant = purposeGrant(purposeEntry, role: name, operations: operations, fields: fields, purposes: purposes) {
                    grants.append(grant)
                } else {
                    valid = false
                }
            }
        }
        guard valid else { return nil }
        return Role(name: name, operations: operations, grants: grants)
    }

    private mutating func purposeGrant(
        _ entry: Entry,
        role: RoleName,
        operations: [RoleOperation],
        fields: [String: FieldDefinition],
        purposes: [String: Purpose]
    ) -> PurposeGrant? {
        let what = "purpose \(entry.key) of role \(role.rawValue)"
        guard declaredPurposes.contains(entry.key) else {
            report(
                entry.keyPosition,
                .unknownReference,
                "role \(role.rawValue) names purpose '\(entry.key)', which the policy does not define\(suggestion(entry.key, declaredPurposes)): define it under purposes or fix the name"
            )
            return nil
        }
        guard let entries = mapping(entry.value, what) else { return nil }
        checkKeys(entries, allowed: ["read", "write", "aggregate"], in: what)
        let purpose = purposes[entry.key]
        var valid = true
        var lists: [String: [String]] = [:]
        for (key, operation) in [("read", RoleOperation.read), ("write", .write), ("aggregate", .aggregate)] {
            guard let listEntry = entries[key] else { continue }
            if let purpose {
                if purpose.aggregateOnly, operation != .aggregate {
                    report(
                        listEntry.keyPosition,
                        .grantMismatch,
                        "purpose \(entry.key) is aggregate-only, so no role may \(key) rows under it: list the fields under aggregate instead"
                    )
                    valid = false
                    continue
                }
                if !purpose.aggregateOnly, operation == .aggregate {
                    report(
                        listEntry.keyPosition,
                        .grantMismatch,
                        "purpose \(entry.key) is not aggregate-only, so aggregates may not run under it: use an aggregate-only purpose (aggregate_only: true) such as analytics"
                    )
                    valid = false
                    continue
                }
            }
            if !operations.contains(operation) {
                report(
                    listEntry.keyPosition,
                    .grantMismatch,
                    "role \(role.rawValue) lists fields to \(key) under purpose \(entry.key) but lacks the \(operation.rawValue) operation: add it to operations or remove the list"
                )
                valid = false
                continue
            }
            guard let items = nameList(listEntry.value, "\(key) list of \(what)") else {
                valid = false
                continue
            }
            for item in items {
                guard declaredFields.contains(item.name) else {
                    report(
                        item.position,
                        .unknownReference,
                        "role \(role.rawValue) reaches field '\(item.name)' under purpose \(entry.key), but the policy defines no such field\(suggestion(item.name, declaredFields)): define it under fields or fix the name"
                    )
                    valid = false
                    continue
                }
                if operation == .aggregate, let field = fields[item.name], field.analytics == .never {
                    report(
                        item.position,
                        .grantMismatch,
                        "field \(item.name) has analytics use none, so role \(role.rawValue) cannot aggregate it: remove it here or give the field an analytics use"
                    )
                    valid = false
                }
            }
            lists[key] = items.map(\.name)
        }
        guard valid else { return nil }
        return PurposeGrant(purpose: entry.key, read: lists["read"] ?? [], write: lists["write"] ?? [], aggregate: lists["aggregate"] ?? [])
    }

    // MARK: - Contests and aggregation

    private mutating func contestRules(_ node: Node) -> ContestRules? {
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

    private mutating func aggregationRules(_ node: Node) -> AggregationRules? {
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

    private mutating func recommendationRules(_ node: Node, fields: [String: FieldDefinition], purposes: [String: Purpose]) -> RecommendationRules? {
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

    private mutating func positiveEpsilon(_ node: Node, _ what: String, typical: String) -> Double? {
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

    private mutating func budget(_ entry: Entry, _ what: String) -> AggregationRules.Budget? {
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

    private mutating func clvParameters(_ node: Node) -> AggregationRules.CLVParameters? {
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

    // MARK: - Values

    private mutating func mapping(_ node: Node, _ what: String) -> [Entry]? {
        if case .scalar(let scalar) = node, scalar.style == .plain, Self.nulls.contains(scalar.string) {
            report(node, .wrongType, "\(what) is empty: add its entries, or remove the key")
            return nil
        }
        guard case .mapping(let pairs) = node else {
            report(node, .wrongType, "\(what) must be a mapping of key: value lines, not \(kind(of: node))")
            return nil
        }
        var entries: [Entry] = []
        for (key, value) in pairs {
            guard case .scalar(let scalar) = key, !scalar.string.isEmpty else {
                report(key, .wrongType, "keys in \(what) must be plain names")
                continue
            }
            entries.append(Entry(key: scalar.string, keyPosition: Position(key.mark), value: value))
        }
        return entries
    }

    private mutating func checkKeys(_ entries: [Entry], allowed: [String], in what: String) {
        for entry in entries where !allowed.contains(entry.key) {
            report(
                entry.keyPosition,
                .unknownKey,
                "unknown key '\(entry.key)' in \(what)\(suggestion(entry.key, allowed)): allowed keys are \(allowed.joined(separator: ", "))"
            )
        }
    }

    private mutating func require(_ entries: [Entry], _ key: String, in what: String, at position: Position, hint: String) -> Node? {
        guard let entry = entries[key] else {
            report(position, .missingKey, "\(what) has no \(key): add \(key): (\(hint))")
            return nil
        }
        return entry.value
    }

    private mutating func scalar(_ node: Node, _ what: String) -> String? {
        guard case .scalar(let scalar) = node else {
            report(node, .wrongType, "\(what) must be a single value, not \(kind(of: node))")
            return nil
        }
        if scalar.style == .plain, Self.nulls.contains(scalar.string) {
            report(node, .wrongType, "\(what) has no value: write one after the colon")
            return nil
        }
        return scalar.string
    }

    private mutating func text(_ node: Node, _ what: String) -> String? {
        guard let value = scalar(node, what) else { return nil }
        guard !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            report(node, .wrongType, "\(what) is empty: write some text")
            return nil
        }
        return value
    }

    private mutating func choice<Choice: RawRepresentable & CaseIterable>(_ node: Node, _ what: String, _: Choice.Type) -> Choice?
    where Choice.RawValue == String {
        guard let value = scalar(node, what) else { return nil }
        let options = Choice.allCases.map(\.rawValue)
        guard let choice = Choice(rawValue: value) else {
            report(node, .invalidValue, "\(what) is '\(value)'\(suggestion(value, options)): it must be one of \(options.joined(separator: ", "))")
            return nil
        }
        return choice
    }

    private mutating func bool(_ node: Node, _ what: String) -> Bool? {
        guard let value = scalar(node, what) else { return nil }
        switch value {
        case "true": return true
        case "false": return false
        default:
            report(node, .wrongType, "\(what) must be true or false, got '\(value)'")
            return nil
        }
    }

    private mutating func integer(_ node: Node, _ what: String) -> Int? {
        guard let value = scalar(node, what) else { return nil }
        guard let result = Int(value) else {
            report(node, .wrongType, "\(what) must be a whole number, got '\(value)'")
            return nil
        }
        return result
    }

    /// A number as YAML writes it, including `.inf` and `.nan` so that their rejection names the rule
    /// they break; hexadecimal and other exotic spellings are refused.
    private mutating func number(_ node: Node, _ what: String) -> Double? {
        guard let value = scalar(node, what) else { return nil }
        switch value.lowercased() {
        case ".nan": return .nan
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        default: break
        }
        let decimal = value.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || "+-.eE".unicodeScalars.contains($0) }
        guard decimal, value.unicodeScalars.contains(where: { ("0"..."9").contains($0) }), let result = Double(value) else {
            report(node, .wrongType, "\(what) must be a number, got '\(value)'")
            return nil
        }
        return result
    }

    private mutating func duration(_ node: Node, _ what: String) -> ISO8601Duration? {
        guard let value = scalar(node, what) else { return nil }
        guard let duration = ISO8601Duration(value) else {
            report(node, .invalidDuration, "\(what) is '\(value)': write \(ISO8601Duration.expectedForm)")
            return nil
        }
        return duration
    }

    private mutating func bounds(_ node: Node, _ what: String) -> Bounds? {
        guard case .sequence(let sequence) = node, sequence.count == 2 else {
            report(node, .wrongType, "\(what) must be a pair [min, max]")
            return nil
        }
        guard let low = number(sequence[0], "min of \(what)"), let high = number(sequence[1], "max of \(what)") else { return nil }
        guard low.isFinite, high.isFinite else {
            report(
                node,
                .invalidBounds,
                "\(what): [\(scalarText(sequence[0])), \(scalarText(sequence[1]))] are not both finite; public bounds must be finite numbers"
            )
            return nil
        }
        guard low <= high else {
            report(node, .invalidBounds, "\(what): min \(format(low)) is greater than max \(format(high)); write [min, max] with min ≤ max")
            return nil
        }
        return Bounds(min: low, max: high)
    }

    /// A list of names; duplicates are reported at the repeat.
    private mutating func nameList(_ node: Node, _ what: String) -> [Item]? {
        guard case .sequence(let sequence) = node else {
            report(node, .wrongType, "\(what) must be a list such as [a, b], not \(kind(of: node))")
            return nil
        }
        var items: [Item] = []
        var seen: Set<String> = []
        for element in sequence {
            guard let value = scalar(element, "an entry of \(what)") else { continue }
            if !seen.insert(value).inserted {
                report(element, .duplicateName, "'\(value)' appears twice in \(what): remove the repeat")
                continue
            }
            items.append(Item(name: value, position: Position(element.mark)))
        }
        return items
    }

    private mutating func identifier(_ name: String, at position: Position, kind: String) -> Bool {
        let valid = Policy.isName(name)
        if !valid {
            report(
                position,
                .invalidValue,
                "\(kind) name '\(name)' must be lower_snake_case: a-z, 0-9 and _, starting with a letter, at most 64 characters"
            )
        }
        return valid
    }

    /// The plain scalars YAML reads as null, which an empty `key:` produces.
    private static let nulls: Set<String> = ["", "~", "null", "Null", "NULL"]

    // MARK: - Reporting

    private mutating func report(yamlError error: YamlError, in yaml: String) {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            report(Position(mark), .yamlSyntax, "invalid YAML: \(problem)\(detail); fix the syntax here")
        case .reader(let problem, let offset, _, _):
            report(Position(offset: offset ?? 0, in: yaml), .yamlSyntax, "unreadable YAML: \(problem); remove the character here")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            report(
                Position(context.mark),
                .duplicateName,
                "duplicate key \(names): it appears more than once in the same mapping, first here; keep one and remove or rename the others"
            )
        default:
            report(Position(), .yamlSyntax, "invalid YAML: \(error); fix the file's syntax")
        }
    }

    private mutating func report(_ node: Node, _ rule: Rule, _ message: String) {
        report(Position(node.mark), rule, message)
    }

    private mutating func report(_ position: Position, _ rule: Rule, _ message: String) {
        diagnostics.append(PolicyDiagnostic(file: file, line: position.line, column: position.column, rule: rule.rawValue, message: message))
    }

    private func sortedDiagnostics() -> [PolicyDiagnostic] {
        var seen: Set<PolicyDiagnostic> = []
        return
            diagnostics
            .filter { seen.insert($0).inserted }
            .enumerated()
            .sorted { ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset) }
            .map(\.element)
    }

    private func kind(of node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar: "a single value"
        case .alias: "an alias"
        }
    }

    private func scalarText(_ node: Node) -> String {
        node.scalar?.string ?? kind(of: node)
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    /// " (did you mean 'x'?)" when a known name is within two edits of `name`.
    private func suggestion(_ name: String, _ candidates: some Sequence<String>) -> String {
        let best =
            candidates
            .map { ($0, editDistance(name, $0)) }
            .filter { $0.1 > 0 && $0.1 <= max(1, min(2, name.count / 3)) }
            .min { ($0.1, $0.0) < ($1.1, $1.0) }
        return best.map { " (did you mean '\($0.0)'?)" } ?? ""
    }

    private func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The rules a diagnostic can name; the raw values are stable.
    enum Rule: String {
        case yamlSyntax = "yaml_syntax"
        case yamlAlias = "yaml_alias"
        case tooLarge = "too_large"
        case wrongType = "wrong_type"
        case unknownKey = "unknown_key"
        case missingKey = "missing_key"
        case invalidValue = "invalid_value"
        case unsupportedVersion = "unsupported_version"
        case duplicateName = "duplicate_name"
        case unknownReference = "unknown_reference"
        case consentDefault = "consent_default"
        case invalidCategory = "invalid_category"
        case unknownCategory = "unknown_category"
        case invalidDuration = "invalid_duration"
        case invalidBounds = "invalid_bounds"
        case invalidEpsilon = "invalid_epsilon"
        case invalidK = "invalid_k"
        case invalidRate = "invalid_rate"
        case operationNotAllowed = "operation_not_allowed"
        case grantMismatch = "grant_mismatch"
    }
}

/// A 1-based line and column; the start of the file when the parser gave no mark.
private struct Position {
    let line: Int
    let column: Int

    init(_ mark: Mark? = nil) {
        line = mark?.line ?? 1
        column = mark?.column ?? 1
    }

    init(offset: Int, in text: String) {
        var line = 1
        var column = 1
        for scalar in text.unicodeScalars.prefix(offset) {
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        self.line = line
        self.column = column
    }
}

/// One `key: value` pair of a mapping, with the key's position.
private struct Entry {
    let key: String
    let keyPosition: Position
    let value: Node
}

/// One entry of a list of names, with its position.
private struct Item {
    let name: String
    let position: Position
}

extension [Entry] {
    /// The entry for `key`; the YAML parser has already rejected duplicate keys.
    fileprivate subscript(key: String) -> Entry? {
        first { $0.key == key }
    }
}
