/// What one customer's own data says about their next purchase: read under their consent, used to
/// score the model's categories, never stored or released.
public struct CustomerSignals: Sendable {
    /// Purchases: category and day (`DayNumber`), in any order.
    public var purchases: [(category: String, day: Int32)]
    /// Categories the customer said they are interested in.
    public var interests: Set<String>
    /// Categories the customer said they spend on (amount in cents, across all retailers).
    public var statedSpend: [String: Int64]

    /// A customer's signals.
    public init(purchases: [(category: String, day: Int32)] = [], interests: Set<String> = [], statedSpend: [String: Int64] = [:]) {
        self.purchases = purchases
        self.interests = interests
        self.statedSpend = statedSpend
    }
}

/// One recommended category, with the reasons a customer can read.
public struct ProductRecommendation: Sendable, Hashable, Codable {
    /// The category.
    public let category: String
    /// Its score; higher is better (comparable only within one answer).
    public let score: Double
    /// Why, in words for the customer.
    public let reasons: [String]
}

extension CategoryModel {
    /// What a score may use: the evaluation compares the model with popularity alone.
    enum Inputs: Sendable, CaseIterable {
        /// Noisy popularity only: the baseline.
        case popularity
        /// Popularity and co-purchases with what the customer bought.
        case coPurchases
        /// Also the customer's stated interests and spend.
        case all
    }

    /// A category count this many noise scales above zero is signal; below, co-purchase ratios
    /// drawn from it would be mostly noise, so it is not used as evidence.
    static let evidenceScales = 4.0

    /// The top `count` categories the customer has not bought in the last `recentDays` days before
    /// `today`, best first. A category scores the larger of its popularity and its best co-purchase
    /// rate with a category the customer bought (the share of that category's buyers who also bought
    /// it), plus 1 if the customer said they are interested in it and ½ if they said they spend on it.
    public func recommendations(for customer: CustomerSignals, today: Int32, recentDays: Int, count: Int) -> [ProductRecommendation] {
        recommendations(for: customer, today: today, recentDays: recentDays, count: count, inputs: .all)
    }

    func recommendations(for customer: CustomerSignals, today: Int32, recentDays: Int, count: Int, inputs: Inputs) -> [ProductRecommendation] {
        let index = Dictionary(categories.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let recentFrom = Int64(today) - Int64(recentDays)
        var bought = Set<Int>()
        var recent = Set<Int>()
        for purchase in customer.purchases {
            guard let i = index[purchase.category] else { continue }
            bought.insert(i)
            if Int64(purchase.day) > recentFrom { recent.insert(i) }
        }
        let total = Double(max(customers, 1))
        let evidence = Self.evidenceScales * noiseScale
        var scored: [(index: Int, recommendation: ProductRecommendation)] = []
        for j in categories.indices where !recent.contains(j) {
            let category = categories[j]
            let prior = Self.share(popularity[j], of: total)
            var best = (rate: prior, from: Int?.none)
            if inputs != .popularity {
                for i in bought.sorted() where i != j && Double(popularity[i]) >= evidence {
                    let rate = Self.share(coPurchases(i, j), of: Double(popularity[i]))
                    if rate > best.rate { best = (rate, i) }
                }
            }
            var score = best.rate
            var reasons: [String] = []
            if let from = best.from {
                reasons.append("customers who buy \(categories[from]) also buy \(category) (\(Self.percent(best.rate)) of them)")
            }
            if inputs == .all, customer.interests.contains(category) {
                score += 1
                reasons.append("you said you are interested in \(category)")
            }
            if inputs == .all, (customer.statedSpend[category] ?? 0) > 0 {
                score += 0.5
                reasons.append("you told us you spend on \(category)")
            }
            if reasons.isEmpty { reasons.append("\(Self.percent(prior)) of customers buy \(category)") }
            scored.append((j, ProductRecommendation(category: category, score: score, reasons: reasons)))
        }
        // Ties go to the policy's order, so the same inputs always give the same answer.
        scored.sort { $0.recommendation.score != $1.recommendation.score ? $0.recommendation.score > $1.recommendation.score : $0.index < $1.index }
        return scored.prefix(max(0, count)).map(\.recommendation)
    }

    private static func share(_ count: Int64, of total: Double) -> Double {
        total > 0 ? min(1, max(0, Double(count) / total)) : 0
    }

    private static func percent(_ share: Double) -> String {
        "\(Int((share * 100).rounded())) %"
    }
}
