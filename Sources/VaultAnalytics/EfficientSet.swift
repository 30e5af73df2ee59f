/// The customer portfolio's efficient set: of the released groups, the mixes that give the highest
/// expected annual margin per customer for each level of risk (variance per customer held).
///
/// Computed from the released noisy means and variances only: post-processing, no privacy cost.
///
/// The model (state it with the numbers): a firm holds customers from groups in proportions w
/// (Σw = 1); a customer from group g brings a margin with mean μ_g and variance σ²_g, independently
/// of the others. Per customer held, the mix then has mean Σ w_g μ_g and variance Σ w_g σ²_g: both
/// linear in w, so the mixes fill the convex hull of the groups' points in the (variance, mean)
/// plane, and the efficient set is its upper-left edge from the least risky group (the highest mean
/// among those with the least variance) up to the most profitable one (the least variance among
/// those with the highest mean). The groups on that edge are its corners; every efficient mix
/// combines two neighbouring corners, and a group that is not a corner is matched or beaten by
/// such a mix (as high a mean at no more risk). Covariances between groups are not estimated: that would need a
/// per-year series of every group, a further release.
public struct EfficientSet: Sendable, Hashable, Codable {
    /// One released group in the (variance, mean) plane.
    public struct Point: Sendable, Hashable, Codable {
        /// The group's key (group-by field → bucket).
        public let key: [String: String]
        /// Noisy mean annual margin per customer, in cents.
        public let mean: Double
        /// Noisy variance of annual margin across its customers, in cents².
        public let variance: Double
        /// Whether the group is a corner of the efficient set.
        public let efficient: Bool
    }

    /// Every released group, in the result's order.
    public let groups: [Point]
    /// The corners of the efficient set, from the least risky to the most profitable.
    public let frontier: [Point]

    /// The efficient set of `result`'s groups, which must hold `margin_mean` and `margin_variance`.
    public init(result: AggregateResult) throws(AnalyticsError) {
        var points: [(key: [String: String], mean: Double, variance: Double)] = []
        for group in result.groups {
            guard let mean = group.values.first(where: { $0.measure == Measure.marginMean.description }),
                let variance = group.values.first(where: { $0.measure == Measure.marginVariance.description })
            else { throw .invalidQuery("a portfolio needs the measures margin_mean and margin_variance") }
            points.append((group.key, mean.value, variance.value))
        }
        let corners = Self.corners(points.map { ($0.variance, $0.mean) })
        let all = points.indices.map {
            Point(key: points[$0].key, mean: points[$0].mean, variance: points[$0].variance, efficient: corners.contains($0))
        }
        groups = all
        frontier = corners.map { all[$0] }
    }

    /// Indices of the upper-left hull's corners, in order of increasing variance and mean.
    static func corners(_ points: [(variance: Double, mean: Double)]) -> [Int] {
        // By variance, and for equal variance the higher mean first: it alone can be efficient.
        let order = points.indices.sorted {
            points[$0].variance != points[$1].variance ? points[$0].variance < points[$1].variance : points[$0].mean > points[$1].mean
        }
        var hull: [Int] = []
        for index in order {
            if let last = hull.last, points[last].variance == points[index].variance { continue }
            // Drop the last corner while it lies on or below the line from the one before it to
            // this point (a mix of those two does at least as well).
            while hull.count >= 2 {
                let (o, a, b) = (points[hull[hull.count - 2]], points[hull[hull.count - 1]], points[index])
                let cross = (a.variance - o.variance) * (b.mean - o.mean) - (a.mean - o.mean) * (b.variance - o.variance)
                guard cross >= 0 else { break }
                hull.removeLast()
            }
            hull.append(index)
        }
        // Past the highest mean the hull goes down: more risk for less margin.
        // `max(by:)` keeps the first of equal maxima: the one with less variance.
        guard let top = hull.indices.max(by: { points[hull[$0]].mean < points[hull[$1]].mean }) else { return [] }
        return Array(hull[...top])
    }
}
