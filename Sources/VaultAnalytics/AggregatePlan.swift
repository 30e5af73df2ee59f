/// A query checked against the policy's configuration and turned into what the accumulator needs:
/// which totals to keep, how records map to cells of the public group-by domain, and the noise.
///
/// Plan (and so validate) before charging any ε: a query the policy does not allow costs nothing.
///
/// The ε split: the query releases n distinct totals per group (`Statistic`; the count always, since
/// suppression reads it), and each gets ε/n, so a customer, who lies in exactly one group, costs ε
/// in total by sequential composition inside the group and parallel composition across groups.
/// A measure's totals are shared: `clv` and `customer_equity` both read the one margin sum, `mean`
/// reuses a requested `sum`, and `clv` divides by the group count. The total with sensitivity Δ gets
/// discrete Laplace noise with scale b = Δ·n/ε, kept as the exact rational Δ·n·10⁶ / micro-ε.
package struct AggregatePlan: Sendable {
    struct GroupDimension: Sendable {
        /// Position in `AnalyticsRecord.dimensions`.
        let recordIndex: Int
        let name: String
        let domain: [String]
        let index: [String: Int]
        /// Cell index = Σ code × stride (mixed radix over the group-by domains, RFM last).
        let stride: Int
    }

    struct Filter: Sendable {
        let recordIndex: Int
        let value: String
    }

    /// The query as planned.
    package let query: AggregateQuery
    /// The configuration it was planned against.
    package let configuration: AnalyticsConfiguration
    /// The noisy count at which a group is shown: (k − 1) + the smallest m with P(noise ≥ m) ≤ δ, so a
    /// group of fewer than k customers appears with probability at most δ.
    package let suppressionThreshold: Int64
    /// How many cells the public group-by domain has (1 without group-by).
    package let domainSize: Int

    /// The totals kept, sorted; `.count`, the first case, is always at position 0.
    let statistics: [Statistic]
    /// Per statistic: the public bounds each contribution is clamped to.
    let contributionBounds: [ClosedRange<Int64>]
    let noise: [DiscreteLaplace]
    /// Per statistic: |noise| ≤ this with probability ≥ 95 %.
    let halfWidth95: [Int64]
    /// Per statistic: |noise| ≤ this with probability ≥ 97.5 %, for ratios that combine two totals.
    let halfWidth975: [Int64]
    let groupDimensions: [GroupDimension]
    let filters: [Filter]
    /// Whether the RFM segment is part of the group key (it is the cell index's last digit).
    let groupsBySegment: Bool
    /// The purchase windows, when a statistic reads purchases.
    let windows: CustomerActivity.Windows?
    /// Whether a statistic or the RFM group reads each customer's purchases.
    package var readsPurchases: Bool { windows != nil }
    let fingerprint: String

    /// Plans `query` against `configuration`, refusing fields and buckets the policy does not list.
    package init(query: AggregateQuery, configuration: AnalyticsConfiguration) throws(AnalyticsError) {
        func fieldIndex(_ name: String) throws(AnalyticsError) -> Int {
            guard let index = configuration.fields.firstIndex(where: { $0.name == name }) else {
                throw .unknownField(role: "measure field", name: name)
            }
            return index
        }
        var statistics: Set<Statistic> = [.count]
        var usesRFM = query.groupBy.contains(AnalyticsConfiguration.rfmKey)
        for measure in query.measures {
            switch measure {
            case .count: break
            case .sum(let name): try statistics.insert(.fieldSum(fieldIndex(name)))
            case .mean(let name):
                let field = try fieldIndex(name)
                statistics.formUnion([.fieldSum(field), .fieldCount(field)])
            case .clv, .customerEquity: statistics.insert(.marginSum)
            case .retention: statistics.formUnion([.activeYearBefore, .retained])
            case .shareOfWallet: statistics.formUnion([.walletSum, .walletCount])
            case .rfm: usesRFM = true
            case .marginMean: statistics.insert(.marginSum)
            case .marginVariance, .marginStandardDeviation:
                // One customer's square may add at most `largestBound`, like any other total, so
                // that a group's sum cannot saturate below 2²³ customers: bounds up to about
                // 20,000 currency units a year apart.
                let bounds = configuration.lifetimeValue.annualMargin
                let centre = Statistic.centre(of: bounds)
                let reach = max((bounds.lowerBound - centre).magnitude, (bounds.upperBound - centre).magnitude)
                guard reach <= 1 << 20 else {
                    throw .invalidQuery(
                        "the policy's CLV annual margin bounds are more than 20,971 currency units apart, too wide for a margin "
                            + "variance; narrow annual_margin_bounds in the policy's clv section"
                    )
                }
                statistics.formUnion([.marginSum, .marginSquareSum])
            }
        }
        let ordered = statistics.sorted()
        self.statistics = ordered
        self.contributionBounds = ordered.map { $0.contributionBounds(configuration) }

        // Mixed radix, last field fastest and the RFM segment fastest of all, so that cells (and
        // released groups) come out in the policy's bucket order.
        let rfmSegments = usesRFM ? configuration.rfm.segmentCount : 1
        var groupDimensions: [GroupDimension] = []
        var stride = rfmSegments
        for name in query.groupBy.reversed() where name != AnalyticsConfiguration.rfmKey {
            guard let position = configuration.dimensions.firstIndex(where: { $0.name == name }) else {
                throw .unknownField(role: "group-by field", name: name)
            }
            let dimension = configuration.dimensions[position]
            groupDimensions.insert(
                GroupDimension(
                    recordIndex: position,
                    name: name,
                    domain: dimension.domain,
                    index: configuration.domainIndex[position],
                    stride: stride
                ),
                at: 0
            )
            let (next, overflow) = stride.multipliedReportingOverflow(by: dimension.domain.count)
            guard !overflow else { throw .invalidQuery("the group-by fields have too many bucket combinations") }
            stride = next
        }
        self.groupDimensions = groupDimensions
        self.domainSize = stride
        self.groupsBySegment = usesRFM

        var filters: [Filter] = []
        for (name, value) in query.filters.sorted(by: { $0.key < $1.key }) {
            guard let position = configuration.dimensions.firstIndex(where: { $0.name == name }) else {
                throw .unknownField(role: "filter field", name: name)
            }
            guard let code = configuration.domainIndex[position][value] else {
                throw .valueOutsideDomain(field: name, value: value)
            }
            filters.append(Filter(recordIndex: position, value: configuration.dimensions[position].domain[code]))
        }
        self.filters = filters

        var noise: [DiscreteLaplace] = []
        for statistic in ordered {
            guard
                let distribution = Self.noise(
                    sensitivity: statistic.sensitivity(configuration),
                    statistics: ordered.count,
                    epsilon: query.epsilon
                )
            else { throw .noiseScaleTooLarge(statistic: statistic.label(configuration)) }
            noise.append(distribution)
        }
        self.noise = noise
        self.halfWidth95 = noise.map { $0.halfWidth(failure: 0.05) }
        self.halfWidth975 = noise.map { $0.halfWidth(failure: 0.025) }
        self.suppressionThreshold =
            configuration.minimumGroupSize - 1 + noise[0].upperTailExponent(probability: configuration.suppressionDelta)

        let readsPurchases =
            usesRFM
            || ordered.contains { statistic in
                switch statistic {
                case .count, .fieldSum, .fieldCount: false
                case .marginSum, .marginSquareSum, .activeYearBefore, .retained, .walletSum, .walletCount: true
                }
            }
        self.windows =
            readsPurchases ? CustomerActivity.Windows(configuration, tracksWallet: statistics.contains(.walletCount)) : nil
        self.query = query
        self.configuration = configuration
        self.fingerprint = configuration.fingerprint
    }

    /// The key under which an answer may be reused at no ε cost: the canonical query, the
    /// configuration's fingerprint without the as-of date, and the facade's name for the data
    /// snapshot (change it whenever the customers or their consents change).
    package func cacheKey(snapshot: String) -> String {
        "v2;\(query.canonicalForm);configuration=\(configuration.fingerprint(includingAsOf: false));snapshot=\(CanonicalText.escape(snapshot))"
    }

    /// Where `statistic` sits in a group's totals.
    func position(of statistic: Statistic) -> Int {
        guard let position = statistics.firstIndex(of: statistic) else {
            preconditionFailure("a measure reads a total its plan does not keep")
        }
        return position
    }

    /// The group key of a cell: each group-by field's bucket, and the RFM segment when grouped by it.
    func key(ofCell cell: Int) -> [String: String] {
        var key: [String: String] = [:]
        for dimension in groupDimensions {
            key[dimension.name] = dimension.domain[(cell / dimension.stride) % dimension.domain.count]
        }
        if groupsBySegment {
            key[AnalyticsConfiguration.rfmKey] = configuration.rfm.label(cell % configuration.rfm.segmentCount)
        }
        return key
    }

    /// Discrete Laplace with scale Δ·n/ε = Δ·n·10⁶ / micro-ε, in lowest terms; nil when out of range.
    private static func noise(sensitivity: UInt64, statistics: Int, epsilon: Epsilon) -> DiscreteLaplace? {
        var numerator = UInt128(sensitivity) * UInt128(statistics) * UInt128(Epsilon.microsPerUnit)
        var denominator = UInt128(epsilon.micros)
        var (a, b) = (numerator, denominator)
        while b != 0 { (a, b) = (b, a % b) }
        numerator /= a
        denominator /= a
        guard let t = UInt64(exactly: numerator), let s = UInt64(exactly: denominator) else { return nil }
        return DiscreteLaplace(scaleNumerator: t, scaleDenominator: s)
    }
}
