/// A validated consent policy: fields, purposes, roles, aggregation and contest rules.
///
/// Build one with `Policy.parse(yaml:fileName:)`; every `Policy` value has passed validation.
/// Decisions are pure functions of the policy and their arguments (see `Policy+Decisions.swift`).
public struct Policy: Sendable {
    /// The format version; only 1 exists.
    public let version: Int
    /// The policy's name, e.g. `retail-default`.
    public let name: String
    /// What the policy is for.
    public let description: String?
    /// Data categories the policy declares under the fideslang taxonomy, in file order.
    public let categories: [CustomCategory]
    /// The fields, in file order.
    public let fields: [FieldDefinition]
    /// The purposes, in file order.
    public let purposes: [Purpose]
    /// The roles, in file order.
    public let roles: [Role]
    /// Rules for aggregate queries.
    public let aggregation: AggregationRules
    /// Rules for contests.
    public let contests: ContestRules
    /// How the next-best-product model is trained and applied; nil when the policy has none.
    public let recommendations: RecommendationRules?
    /// The canonical form: JSON with sorted keys and no insignificant whitespace, defaults filled in.
    public let canonicalJSON: String
    /// Lower-case hex SHA-256 of `canonicalJSON`: the policy's identity in audit entries.
    public let hash: String

    private let fieldIndex: [String: Int]
    private let purposeIndex: [String: Int]
    private let roleIndex: [String: Int]

    init(
        version: Int,
        name: String,
        description: String?,
        categories: [CustomCategory] = [],
        fields: [FieldDefinition],
        purposes: [Purpose],
        roles: [Role],
        aggregation: AggregationRules,
        contests: ContestRules,
        recommendations: RecommendationRules? = nil
    ) {
        self.version = version
        self.name = name
        self.description = description
        self.categories = categories
        self.fields = fields
        self.purposes = purposes
        self.roles = roles
        self.aggregation = aggregation
        self.contests = contests
        self.recommendations = recommendations
        fieldIndex = Dictionary(uniqueKeysWithValues: fields.enumerated().map { ($1.name, $0) })
        purposeIndex = Dictionary(uniqueKeysWithValues: purposes.enumerated().map { ($1.name, $0) })
        roleIndex = Dictionary(uniqueKeysWithValues: roles.enumerated().map { ($1.name.rawValue, $0) })
        canonicalJSON = Self.canonicalJSON(
            version: version,
            name: name,
            description: description,
            categories: categories,
            fields: fields,
            purposes: purposes,
            roles: roles,
            aggregation: aggregation,
            contests: contests,
            recommendations: recommendations
        )
        hash = Self.sha256Hex(canonicalJSON)
    }

    /// Parses and validates a policy; `fileName` is only used to name positions in diagnostics.
    ///
    /// Every field's category must be one of the fideslang taxonomy or declared under `categories:`.
    ///
    /// - Throws: `PolicyValidationError` with every problem found, each as `file:line:column: message`.
    public static func parse(yaml: String, fileName: String) throws(PolicyValidationError) -> Policy {
        var parser = PolicyParser(file: fileName, taxonomyChecked: true)
        return try parser.parse(yaml)
    }

    /// Parses a policy a vault already applied: the same checks, except that field categories
    /// outside the fideslang taxonomy are accepted, because a policy applied before they were
    /// checked must keep opening (and keep its hash). New policies go through `parse(yaml:fileName:)`.
    package static func parse(stored yaml: String, fileName: String) throws(PolicyValidationError) -> Policy {
        var parser = PolicyParser(file: fileName, taxonomyChecked: false)
        return try parser.parse(yaml)
    }

    /// The field called `name`, if the policy defines it.
    public func field(named name: String) -> FieldDefinition? {
        fieldIndex[name].map { fields[$0] }
    }

    /// The purpose called `name`, if the policy defines it.
    public func purpose(named name: String) -> Purpose? {
        purposeIndex[name].map { purposes[$0] }
    }

    /// The role called `name`, if the policy defines it.
    public func role(named name: String) -> Role? {
        roleIndex[name].map { roles[$0] }
    }
}
