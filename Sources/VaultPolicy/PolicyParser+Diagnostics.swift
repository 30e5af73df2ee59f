import Foundation
import Yams

// Reporting: diagnostics with positions, and suggestions for misspelt names.
extension PolicyParser {
    mutating func report(yamlError error: YamlError, in yaml: String) {
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

    mutating func report(_ node: Node, _ rule: Rule, _ message: String) {
        report(Position(node.mark), rule, message)
    }

    mutating func report(_ position: Position, _ rule: Rule, _ message: String) {
        diagnostics.append(PolicyDiagnostic(file: file, line: position.line, column: position.column, rule: rule.rawValue, message: message))
    }

    func sortedDiagnostics() -> [PolicyDiagnostic] {
        var seen: Set<PolicyDiagnostic> = []
        return
            diagnostics
            .filter { seen.insert($0).inserted }
            .enumerated()
            .sorted { ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset) }
            .map(\.element)
    }

    func kind(of node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar: "a single value"
        case .alias: "an alias"
        }
    }

    func scalarText(_ node: Node) -> String {
        node.scalar?.string ?? kind(of: node)
    }

    func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    /// " (did you mean 'x'?)" when a known name is within two edits of `name`.
    func suggestion(_ name: String, _ candidates: some Sequence<String>) -> String {
        let best =
            candidates
            .map { ($0, editDistance(name, $0)) }
            .filter { $0.1 > 0 && $0.1 <= max(1, min(2, name.count / 3)) }
            .min { ($0.1, $0.0) < ($1.1, $1.0) }
        return best.map { " (did you mean '\($0.0)'?)" } ?? ""
    }

    func editDistance(_ a: String, _ b: String) -> Int {
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
