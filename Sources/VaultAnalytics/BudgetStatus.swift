/// Spent and remaining ε for one analyst and for the whole vault in the current budget period.
public struct BudgetStatus: Sendable, Hashable, Codable {
    /// ε the analyst has spent this period.
    public let analystSpent: Epsilon
    /// ε the analyst may still spend this period.
    public let analystRemaining: Epsilon
    /// ε all analysts together have spent this period.
    public let globalSpent: Epsilon
    /// ε all analysts together may still spend this period.
    public let globalRemaining: Epsilon

    /// Records a status; remaining amounts come from `PrivacyBudget`, which floors them at zero.
    public init(analystSpent: Epsilon, analystRemaining: Epsilon, globalSpent: Epsilon, globalRemaining: Epsilon) {
        self.analystSpent = analystSpent
        self.analystRemaining = analystRemaining
        self.globalSpent = globalSpent
        self.globalRemaining = globalRemaining
    }
}
