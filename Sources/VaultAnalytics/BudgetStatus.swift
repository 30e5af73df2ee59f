/// Spent and remaining ε for one analyst and for the whole vault: in the current budget periods, and
/// over the lifetime caps that never renew.
public struct BudgetStatus: Sendable, Hashable, Codable {
    /// ε the analyst has spent this period.
    public let analystSpent: Epsilon
    /// ε the analyst may still spend now: the smaller of this period's and the lifetime cap's remainder.
    public let analystRemaining: Epsilon
    /// ε all analysts together have spent in the global budget's current period.
    public let globalSpent: Epsilon
    /// ε all analysts together may still spend now: the smaller of the period's and the lifetime cap's remainder.
    public let globalRemaining: Epsilon
    /// ε the analyst has ever spent.
    public let analystLifetimeSpent: Epsilon
    /// ε the analyst may still spend, ever.
    public let analystLifetimeRemaining: Epsilon
    /// ε all analysts together have ever spent.
    public let globalLifetimeSpent: Epsilon
    /// ε all analysts together may still spend, ever.
    public let globalLifetimeRemaining: Epsilon

    /// Records a status; remaining amounts come from `PrivacyBudget`, which floors them at zero.
    public init(
        analystSpent: Epsilon,
        analystRemaining: Epsilon,
        globalSpent: Epsilon,
        globalRemaining: Epsilon,
        analystLifetimeSpent: Epsilon,
        analystLifetimeRemaining: Epsilon,
        globalLifetimeSpent: Epsilon,
        globalLifetimeRemaining: Epsilon
    ) {
        self.analystSpent = analystSpent
        self.analystRemaining = analystRemaining
        self.globalSpent = globalSpent
        self.globalRemaining = globalRemaining
        self.analystLifetimeSpent = analystLifetimeSpent
        self.analystLifetimeRemaining = analystLifetimeRemaining
        self.globalLifetimeSpent = globalLifetimeSpent
        self.globalLifetimeRemaining = globalLifetimeRemaining
    }
}
