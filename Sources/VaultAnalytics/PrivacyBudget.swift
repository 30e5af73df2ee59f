/// The policy's public budget rules, and the pure decisions built on them: which ε a query may use and
/// whether a charge fits. The facade persists what was spent; `BudgetLedger` keeps it in memory.
public struct PrivacyBudget: Sendable, Hashable {
    /// ε a query uses when it does not ask for one.
    public let defaultPerQuery: Epsilon
    /// The most ε one query may ask for.
    public let maximumPerQuery: Epsilon
    /// The most ε one analyst may spend per period.
    public let analystLimit: Epsilon
    /// The most ε all analysts together may spend per period.
    public let globalLimit: Epsilon

    /// Checks that every amount is positive and the default does not exceed the per-query maximum.
    public init(
        defaultPerQuery: Epsilon, maximumPerQuery: Epsilon, analystLimit: Epsilon, globalLimit: Epsilon
    ) throws(AnalyticsError) {
        for (name, amount) in [
            ("default epsilon per query", defaultPerQuery), ("maximum epsilon per query", maximumPerQuery),
            ("analyst budget", analystLimit), ("global budget", globalLimit),
        ] where amount == .zero {
            throw .invalidConfiguration("the \(name) is zero")
        }
        guard defaultPerQuery <= maximumPerQuery else {
            throw .invalidConfiguration(
                "the default epsilon per query (\(defaultPerQuery)) is above the maximum (\(maximumPerQuery))")
        }
        self.defaultPerQuery = defaultPerQuery
        self.maximumPerQuery = maximumPerQuery
        self.analystLimit = analystLimit
        self.globalLimit = globalLimit
    }

    /// The ε a query will use: the default when none is requested, else the validated request.
    public func epsilon(requested: Double?) throws(AnalyticsError) -> Epsilon {
        guard let requested else { return defaultPerQuery }
        let epsilon = try Epsilon(validating: requested)
        guard epsilon <= maximumPerQuery else {
            throw .epsilonAboveMaximum(requested: epsilon, maximum: maximumPerQuery)
        }
        return epsilon
    }

    /// Where the analyst and the vault stand, given what each has spent.
    public func status(analystSpent: Epsilon, globalSpent: Epsilon) -> BudgetStatus {
        BudgetStatus(
            analystSpent: analystSpent, analystRemaining: analystLimit.remaining(after: analystSpent),
            globalSpent: globalSpent, globalRemaining: globalLimit.remaining(after: globalSpent))
    }

    /// Decides a charge: the status after spending `epsilon`, or `budget_exhausted` carrying the unchanged status.
    ///
    /// Both budgets must hold the whole amount; a query is never half-charged or answered on credit.
    public func charge(
        _ epsilon: Epsilon, analystSpent: Epsilon, globalSpent: Epsilon
    ) throws(AnalyticsError) -> BudgetStatus {
        guard epsilon > .zero else { throw .invalidEpsilon("it must be positive; zero or negative epsilon cannot be spent") }
        guard epsilon <= maximumPerQuery else {
            throw .epsilonAboveMaximum(requested: epsilon, maximum: maximumPerQuery)
        }
        guard let analystAfter = analystSpent.adding(epsilon), analystAfter <= analystLimit,
            let globalAfter = globalSpent.adding(epsilon), globalAfter <= globalLimit
        else {
            throw .budgetExhausted(
                requested: epsilon, status: status(analystSpent: analystSpent, globalSpent: globalSpent))
        }
        return status(analystSpent: analystAfter, globalSpent: globalAfter)
    }
}
