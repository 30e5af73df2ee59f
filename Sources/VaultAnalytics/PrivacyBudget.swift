/// The policy's public budget rules, and the pure decisions built on them: which ε a query may use and
/// whether a charge fits. The facade persists what was spent; `BudgetLedger` keeps it in memory.
///
/// Each budget has two limits: a period allowance that renews, and a lifetime cap that never does,
/// so repeating a query every period to average its noise away runs out for good.
package struct PrivacyBudget: Sendable, Hashable {
    /// ε a query uses when it does not ask for one.
    package let defaultPerQuery: Epsilon
    /// The most ε one query may ask for.
    package let maximumPerQuery: Epsilon
    /// The most ε one analyst may spend per period.
    package let analystLimit: Epsilon
    /// The most ε all analysts together may spend per period.
    package let globalLimit: Epsilon
    /// The most ε one analyst may ever spend.
    package let analystLifetimeLimit: Epsilon
    /// The most ε all analysts together may ever spend.
    package let globalLifetimeLimit: Epsilon

    /// What has been spent so far, in the current periods and ever.
    package struct Spending: Sendable, Hashable {
        /// The analyst's spend in their current period.
        package var analystPeriod: Epsilon
        /// The analyst's spend ever.
        package var analystLifetime: Epsilon
        /// Everyone's spend in the global budget's current period.
        package var globalPeriod: Epsilon
        /// Everyone's spend ever.
        package var globalLifetime: Epsilon

        /// Spending as the ledger reports it.
        package init(analystPeriod: Epsilon, analystLifetime: Epsilon, globalPeriod: Epsilon, globalLifetime: Epsilon) {
            self.analystPeriod = analystPeriod
            self.analystLifetime = analystLifetime
            self.globalPeriod = globalPeriod
            self.globalLifetime = globalLifetime
        }

        /// Nothing spent yet.
        package static let none = Spending(analystPeriod: .zero, analystLifetime: .zero, globalPeriod: .zero, globalLifetime: .zero)

        /// This spending plus `epsilon` everywhere, or nil if a sum leaves the supported range.
        func adding(_ epsilon: Epsilon) -> Spending? {
            guard let analystPeriod = analystPeriod.adding(epsilon), let analystLifetime = analystLifetime.adding(epsilon),
                let globalPeriod = globalPeriod.adding(epsilon), let globalLifetime = globalLifetime.adding(epsilon)
            else { return nil }
            return Spending(
                analystPeriod: analystPeriod,
                analystLifetime: analystLifetime,
                globalPeriod: globalPeriod,
                globalLifetime: globalLifetime
            )
        }
    }

    /// Checks that every amount is positive, the default does not exceed the per-query maximum, and
    /// no lifetime cap is below its period allowance.
    package init(
        defaultPerQuery: Epsilon,
        maximumPerQuery: Epsilon,
        analystLimit: Epsilon,
        globalLimit: Epsilon,
        analystLifetimeLimit: Epsilon,
        globalLifetimeLimit: Epsilon
    ) throws(AnalyticsError) {
        for (name, amount) in [
            ("default epsilon per query", defaultPerQuery), ("maximum epsilon per query", maximumPerQuery),
            ("analyst budget", analystLimit), ("global budget", globalLimit),
            ("analyst lifetime cap", analystLifetimeLimit), ("global lifetime cap", globalLifetimeLimit),
        ] where amount == .zero {
            throw .invalidConfiguration("the \(name) is zero")
        }
        guard defaultPerQuery <= maximumPerQuery else {
            throw .invalidConfiguration(
                "the default epsilon per query (\(defaultPerQuery)) is above the maximum (\(maximumPerQuery))"
            )
        }
        guard analystLimit <= analystLifetimeLimit, globalLimit <= globalLifetimeLimit else {
            throw .invalidConfiguration("a lifetime cap is below the budget of one period")
        }
        self.defaultPerQuery = defaultPerQuery
        self.maximumPerQuery = maximumPerQuery
        self.analystLimit = analystLimit
        self.globalLimit = globalLimit
        self.analystLifetimeLimit = analystLifetimeLimit
        self.globalLifetimeLimit = globalLifetimeLimit
    }

    /// The ε a query will use: the default when none is requested, else the validated request.
    package func epsilon(requested: Double?) throws(AnalyticsError) -> Epsilon {
        guard let requested else { return defaultPerQuery }
        let epsilon = try Epsilon(validating: requested)
        guard epsilon <= maximumPerQuery else {
            throw .epsilonAboveMaximum(requested: epsilon, maximum: maximumPerQuery)
        }
        return epsilon
    }

    /// Where the analyst and the vault stand, given what each has spent.
    package func status(_ spent: Spending) -> BudgetStatus {
        BudgetStatus(
            analystSpent: spent.analystPeriod,
            analystRemaining: Swift.min(
                analystLimit.remaining(after: spent.analystPeriod),
                analystLifetimeLimit.remaining(after: spent.analystLifetime)
            ),
            globalSpent: spent.globalPeriod,
            globalRemaining: Swift.min(
                globalLimit.remaining(after: spent.globalPeriod),
                globalLifetimeLimit.remaining(after: spent.globalLifetime)
            ),
            analystLifetimeSpent: spent.analystLifetime,
            analystLifetimeRemaining: analystLifetimeLimit.remaining(after: spent.analystLifetime),
            globalLifetimeSpent: spent.globalLifetime,
            globalLifetimeRemaining: globalLifetimeLimit.remaining(after: spent.globalLifetime)
        )
    }

    /// Decides a charge: the status after spending `epsilon`, or `budget_exhausted` carrying the unchanged status.
    ///
    /// All four limits must hold the whole amount; a query is never half-charged or answered on credit.
    package func charge(_ epsilon: Epsilon, spent: Spending) throws(AnalyticsError) -> BudgetStatus {
        guard epsilon > .zero else { throw .invalidEpsilon("it must be positive; zero or negative epsilon cannot be spent") }
        guard epsilon <= maximumPerQuery else {
            throw .epsilonAboveMaximum(requested: epsilon, maximum: maximumPerQuery)
        }
        guard let after = spent.adding(epsilon),
            after.analystPeriod <= analystLimit, after.analystLifetime <= analystLifetimeLimit,
            after.globalPeriod <= globalLimit, after.globalLifetime <= globalLifetimeLimit
        else {
            throw .budgetExhausted(requested: epsilon, status: status(spent))
        }
        return status(after)
    }
}
