/// An in-memory budget ledger for tests and single-process use; being an actor, it applies one charge
/// at a time, so concurrent queries can never together overspend either budget. It knows no periods:
/// everything it records counts against both the period allowance and the lifetime cap.
package actor BudgetLedger {
    /// The rules every charge is decided by.
    package let budget: PrivacyBudget
    private var spentByAnalyst: [String: Epsilon] = [:]
    private var globalSpent = Epsilon.zero

    /// Starts with nothing spent.
    package init(budget: PrivacyBudget) {
        self.budget = budget
    }

    /// Charges `epsilon` to `analyst` and to the global budget, or refuses with the budget left.
    package func charge(_ epsilon: Epsilon, analyst: String) throws(AnalyticsError) -> BudgetStatus {
        let status = try budget.charge(epsilon, spent: spending(analyst))
        spentByAnalyst[analyst] = status.analystSpent
        globalSpent = status.globalSpent
        return status
    }

    /// Where `analyst` and the vault stand now.
    package func status(analyst: String) -> BudgetStatus {
        budget.status(spending(analyst))
    }

    private func spending(_ analyst: String) -> PrivacyBudget.Spending {
        let mine = spentByAnalyst[analyst, default: .zero]
        return PrivacyBudget.Spending(analystPeriod: mine, analystLifetime: mine, globalPeriod: globalSpent, globalLifetime: globalSpent)
    }
}
