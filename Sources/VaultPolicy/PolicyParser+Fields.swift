import Foundation
import Yams

// Categories and fields: the data the policy governs.
extension PolicyParser {
    mutating func customCategories(_ node: Node) -> [CustomCategory] {
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
    static func isDotted(_ value: String) -> Bool {
        let segments = value.split(separator: ".", omittingEmptySubsequences: false)
        return segments.count >= 2
            && segments.allSatisfy { segment in
                guard let first = segment.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
                return segment.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            }
    }

    // MARK: - Fields

    mutating func fieldDefinitions(_ node: Node) -> [FieldDefinition] {
        guard let entries = mapping(node, "fields") else { return [] }
        declaredFields = Set(entries.map(\.key))
        return entries.compactMap { entry in
            guard identifier(entry.key, at: entry.keyPosition, kind: "field") else { return nil }
            return fieldDefinition(entry)
        }
    }

    mutating func fieldDefinition(_ entry: Entry) -> FieldDefinition? {
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

    mutating func dataCategory(_ node: Node, of what: String) -> String? {
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

    mutating func analyticsUse(_ node: Node, of what: String, type: FieldDefinition.ValueType?) -> AnalyticsUse? {
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
}
