public import VaultCrypto

/// A next-best-product model: noisy category popularity and co-purchase counts, released once
/// under ε-differential privacy from `CategoryStatistics`. It holds no customer's data; scoring a
/// customer with it (`recommendations(for:count:)`) is post-processing and costs no further ε.
public struct CategoryModel: Sendable, Hashable, Codable {
    /// The categories, in the policy's order.
    public let categories: [String]
    /// The most categories one customer contributed.
    public let maxCategoriesPerCustomer: Int
    /// The ε the release cost.
    public let epsilon: Epsilon
    /// The counts' L1 sensitivity Δ (see `CategoryStatistics`).
    public let sensitivity: Int64
    /// The discrete Laplace scale Δ/ε added to every count.
    public let noiseScale: Double
    /// Noisy number of customers the model was trained on.
    public let customers: Int64
    /// Noisy customers per category.
    public let popularity: [Int64]
    /// Noisy customers per unordered pair of categories, i < j, row by row.
    public let coPurchases: [Int64]

    /// Releases `statistics` with discrete Laplace noise of scale Δ/ε on every count.
    public init(
        categories: [String],
        releasing statistics: CategoryStatistics,
        epsilon: Epsilon,
        using random: some RandomSource
    ) throws(AnalyticsError) {
        guard categories.count == statistics.categoryCount else {
            throw .invalidConfiguration("the model names \(categories.count) categories but was counted over \(statistics.categoryCount)")
        }
        guard epsilon > .zero else { throw .invalidEpsilon("training needs a positive epsilon") }
        let numerator = UInt128(statistics.sensitivity) * UInt128(Epsilon.microsPerUnit)
        guard let t = UInt64(exactly: numerator),
            let noise = DiscreteLaplace(scaleNumerator: t, scaleDenominator: UInt64(epsilon.micros))
        else { throw .noiseScaleTooLarge(statistic: "the category model") }
        let noisy = zip(statistics.vector, noise.samples(statistics.vector.count, using: random)).map { $0.saturatingAdd($1) }
        self.categories = categories
        maxCategoriesPerCustomer = statistics.maxCategoriesPerCustomer
        self.epsilon = epsilon
        sensitivity = statistics.sensitivity
        noiseScale = noise.scale
        customers = noisy[0]
        popularity = Array(noisy[1...categories.count])
        coPurchases = Array(noisy[(categories.count + 1)...])
    }

    /// Noisy customers who bought both categories.
    public func coPurchases(_ i: Int, _ j: Int) -> Int64 {
        coPurchases[CategoryStatistics.pairIndex(i, j, count: categories.count)]
    }

    /// Checks a model read back from storage: its arrays fit its categories.
    public func validated() throws(AnalyticsError) -> CategoryModel {
        let n = categories.count
        guard n > 0, popularity.count == n, coPurchases.count == n * (n - 1) / 2, maxCategoriesPerCustomer > 0, noiseScale > 0 else {
            throw .invalidConfiguration("the stored category model is malformed")
        }
        return self
    }

    private enum CodingKeys: String, CodingKey {
        case categories
        case maxCategoriesPerCustomer = "max_categories_per_customer"
        case epsilon, sensitivity
        case noiseScale = "noise_scale"
        case customers, popularity
        case coPurchases = "co_purchases"
    }
}
