/// One problem found in a policy file, with its position and what to do about it.
public struct PolicyDiagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The file as the caller named it.
    public let file: String
    /// The 1-based line.
    public let line: Int
    /// The 1-based column, counted in Unicode scalars.
    public let column: Int
    /// Which rule was broken, stable across releases (e.g. `unknown_key`, `invalid_epsilon`).
    public let rule: String
    /// What is wrong and what to do.
    public let message: String

    /// A problem at `line` and `column` of `file`; `rule` is a stable code such as `unknown_key`.
    public init(file: String, line: Int, column: Int, rule: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.rule = rule
        self.message = message
    }

    /// `file:line:column: message`, the form editors and CI logs understand.
    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// A policy file that cannot be used, with every problem found in it.
public struct PolicyValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Every problem, ordered by position.
    public let diagnostics: [PolicyDiagnostic]

    /// A stable, machine-readable code for this kind of failure.
    public var code: String { "policy_invalid" }

    /// One `file:line:column: message` line per problem.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
