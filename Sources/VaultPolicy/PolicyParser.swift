import Foundation
import Yams

/// Reads a policy's YAML into the model, collecting every problem with its position instead of stopping
/// at the first, so that one `cvault policy check` run lists everything to fix.
struct PolicyParser {
    let file: String
    var diagnostics: [PolicyDiagnostic] = []

    /// Names declared in the file, even when their definitions are broken, so that one broken field
    /// does not also produce "unknown field" errors everywhere it is used.
    var declaredFields: Set<String> = []
    var declaredPurposes: Set<String> = []
    /// Categories the file declares under `categories:`.
    var declaredCategories: Set<String> = []
    /// Whether a field's category must be in the fideslang taxonomy or declared.
    let taxonomyChecked: Bool

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

    mutating func document(_ root: Node) -> Policy? {
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
}
