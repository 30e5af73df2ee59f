/// How the vault trains and applies its next-best-product model (the policy's `recommendations:`).
public struct RecommendationRules: Sendable, Hashable {
    /// The purpose whose basis must hold for a customer to be trained on and to be scored.
    public let purpose: String
    /// The product categories, public and fixed by the policy: a category list taken from the data
    /// would itself disclose what customers bought.
    public let categories: [String]
    /// The `string_list` field holding the categories a customer said they are interested in.
    public let interestsField: String?
    /// The `decimal_map` field holding what a customer said they spend per category.
    public let spendField: String?
    /// The most categories one customer contributes to training (bounds the model's sensitivity).
    public let maxCategoriesPerCustomer: Int
    /// A category bought within this period before now is not recommended again.
    public let recent: ISO8601Duration
    /// The ε a training spends unless the operator asks for another.
    public let epsilon: Double
    /// How many categories a recommendation returns.
    public let top: Int

    static let defaultMaxCategoriesPerCustomer = 4
    static let defaultRecent = ISO8601Duration(days: 90)!
    static let defaultTop = 3
}
