import VaultCrypto

/// The exact counts a next-best-product model is released from: how many customers contributed,
/// how many bought each category, and how many bought each pair of categories.
///
/// Each customer adds the set of at most `maxCategoriesPerCustomer` (m) categories they bought most
/// recently, so adding or removing one customer moves the customer count by 1, the category counts
/// by at most m in total and the pair counts by at most m(m − 1)/2: the vector's L1 sensitivity is
/// Δ = 1 + m + m(m − 1)/2, whatever the customer bought. `CategoryModel(releasing:epsilon:using:)`
/// adds discrete Laplace noise of scale Δ/ε to every count, which is ε-differentially private for
/// the whole model (the Laplace mechanism on a vector of L1 sensitivity Δ).
public struct CategoryStatistics: Sendable, Hashable {
    /// Number of categories (the policy's public list; never taken from the data).
    public let categoryCount: Int
    /// The most categories one customer contributes (m).
    public let maxCategoriesPerCustomer: Int
    /// Customers added.
    public private(set) var customers: Int64 = 0
    /// Per category: customers who bought it.
    public private(set) var popularity: [Int64]
    /// Per unordered pair i < j, row by row: customers who bought both.
    public private(set) var coPurchases: [Int64]

    /// Empty counts over `categoryCount` categories, each customer contributing at most `maxCategoriesPerCustomer`.
    public init(categoryCount: Int, maxCategoriesPerCustomer: Int) {
        precondition(categoryCount > 0 && maxCategoriesPerCustomer > 0, "a model needs categories and a positive cap")
        self.categoryCount = categoryCount
        self.maxCategoriesPerCustomer = maxCategoriesPerCustomer
        popularity = Array(repeating: 0, count: categoryCount)
        coPurchases = Array(repeating: 0, count: categoryCount * (categoryCount - 1) / 2)
    }

    /// Δ = 1 + m + m(m − 1)/2: the most one customer can move all counts together (L1).
    public var sensitivity: Int64 {
        let m = Int64(min(maxCategoriesPerCustomer, categoryCount))
        return 1 + m + m * (m - 1) / 2
    }

    /// Adds one customer: `categories` are indices into the category list, most recently bought
    /// first; repeats and indices outside the list are skipped, and only the first m distinct count.
    public mutating func add(categories: some Sequence<Int>) {
        var basket: [Int] = []
        for index in categories where (0..<categoryCount).contains(index) && !basket.contains(index) {
            basket.append(index)
            if basket.count == maxCategoriesPerCustomer { break }
        }
        customers += 1
        for (position, i) in basket.enumerated() {
            popularity[i] += 1
            for j in basket[(position + 1)...] { coPurchases[Self.pairIndex(i, j, count: categoryCount)] += 1 }
        }
    }

    /// Adds another shard's counts (same categories and cap).
    public mutating func merge(_ other: CategoryStatistics) {
        precondition(other.categoryCount == categoryCount && other.maxCategoriesPerCustomer == maxCategoriesPerCustomer)
        customers += other.customers
        for index in popularity.indices { popularity[index] += other.popularity[index] }
        for index in coPurchases.indices { coPurchases[index] += other.coPurchases[index] }
    }

    /// Every count in one vector (customers, then categories, then pairs): what the noise is added to.
    public var vector: [Int64] { [customers] + popularity + coPurchases }

    /// The position of pair {i, j} in `coPurchases`.
    static func pairIndex(_ a: Int, _ b: Int, count n: Int) -> Int {
        let (i, j) = a < b ? (a, b) : (b, a)
        return i * n - i * (i + 1) / 2 + (j - i - 1)
    }
}
