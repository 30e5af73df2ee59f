/// An error from the analytics engine; its message names what was wrong and never holds a customer's values.
public struct AnalyticsError: Error, Equatable, Sendable, CustomStringConvertible {
    private enum Internal: Equatable, Sendable {
        case invalidEpsilon(String)
        case epsilonAboveMaximum(requested: Epsilon, maximum: Epsilon)
        case budgetExhausted(requested: Epsilon, status: BudgetStatus)
        case unknownField(role: String, name: String)
        case valueOutsideDomain(field: String, value: String)
        case invalidQuery(String)
        case invalidConfiguration(String)
        case noiseScaleTooLarge(statistic: String)
    }

    private let value: Internal
    private init(_ value: Internal) { self.value = value }

    static func invalidEpsilon(_ reason: String) -> Self { .init(.invalidEpsilon(reason)) }
    static func epsilonAboveMaximum(requested: Epsilon, maximum: Epsilon) -> Self {
        .init(.epsilonAboveMaximum(requested: requested, maximum: maximum))
    }
    static func budgetExhausted(requested: Epsilon, status: BudgetStatus) -> Self {
        .init(.budgetExhausted(requested: requested, status: status))
    }
    static func unknownField(role: String, name: String) -> Self { .init(.unknownField(role: role, name: name)) }
    static func valueOutsideDomain(field: String, value: String) -> Self {
        .init(.valueOutsideDomain(field: field, value: value))
    }
    static func invalidQuery(_ reason: String) -> Self { .init(.invalidQuery(reason)) }
    static func invalidConfiguration(_ reason: String) -> Self { .init(.invalidConfiguration(reason)) }
    static func noiseScaleTooLarge(statistic: String) -> Self { .init(.noiseScaleTooLarge(statistic: statistic)) }

    /// A stable, machine-readable code for the kind of failure.
    public var code: String {
        switch value {
        case .invalidEpsilon: "invalid_epsilon"
        case .epsilonAboveMaximum: "epsilon_above_maximum"
        case .budgetExhausted: "budget_exhausted"
        case .unknownField: "unknown_field"
        case .valueOutsideDomain: "value_outside_domain"
        case .invalidQuery: "invalid_query"
        case .invalidConfiguration: "invalid_configuration"
        case .noiseScaleTooLarge: "noise_scale_too_large"
        }
    }

    /// The budget left when a charge was refused (`budget_exhausted`); nil for every other error.
    public var budget: BudgetStatus? {
        if case .budgetExhausted(_, let status) = value { return status }
        return nil
    }

    /// A message for people: what was wrong, where, and what to do.
    public var description: String {
        switch value {
        case .invalidEpsilon(let reason):
            "invalid epsilon: \(reason)"
        case .epsilonAboveMaximum(let requested, let maximum):
            "epsilon \(requested) is above the policy's maximum of \(maximum) per query: ask with a smaller epsilon"
        case .budgetExhausted(let requested, let status):
            "privacy budget exhausted: this query needs epsilon \(requested), but \(status.analystRemaining) is left "
                + "for the analyst and \(status.globalRemaining) globally; nothing was charged. "
                + (status.analystLifetimeRemaining < requested || status.globalLifetimeRemaining < requested
                    ? "A lifetime cap is reached (\(status.analystLifetimeRemaining) left for the analyst, "
                        + "\(status.globalLifetimeRemaining) globally) and never renews: ask with a smaller epsilon, "
                        + "or ask the policy owner whether more privacy loss is acceptable"
                    : "Ask with a smaller epsilon or wait for the next budget period")
        case .unknownField(let role, let name):
            "'\(name)' is not a field the policy allows as a \(role): use one of the policy's analytics fields"
        case .valueOutsideDomain(let field, let value):
            "'\(value)' is not one of the policy's buckets for '\(field)': filter on a listed bucket"
        case .invalidQuery(let reason):
            "invalid aggregate query: \(reason)"
        case .invalidConfiguration(let reason):
            "invalid analytics configuration: \(reason); fix the policy's aggregation rules"
        case .noiseScaleTooLarge(let statistic):
            "the noise for \(statistic) would exceed the supported range: raise epsilon, ask for fewer measures "
                + "or narrow the policy's clamping bounds"
        }
    }
}
