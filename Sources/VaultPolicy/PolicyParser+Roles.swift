import Foundation
import Yams

// Purposes and roles: who may do what, and why.
extension PolicyParser {
    mutating func purposeDefinitions(_ node: Node) -> [Purpose] {
        guard let entries = mapping(node, "purposes") else { return [] }
        declaredPurposes = Set(entries.map(\.key))
        return entries.compactMap { entry in
            guard identifier(entry.key, at: entry.keyPosition, kind: "purpose") else { return nil }
            return purposeDefinition(entry)
        }
    }

    mutating func purposeDefinition(_ entry: Entry) -> Purpose? {
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

    mutating func roleDefinitions(_ node: Node, fields: [String: FieldDefinition], purposes: [String: Purpose]) -> [Role] {
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

    mutating func roleDefinition(_ name: RoleName, _ entry: Entry, fields: [String: FieldDefinition], purposes: [String: Purpose]) -> Role? {
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

    mutating func purposeGrant(
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
}
