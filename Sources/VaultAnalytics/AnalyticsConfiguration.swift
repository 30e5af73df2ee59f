/// What the policy tells the engine, all of it public: the fields it may group by (with their bucket
/// domains) and measure (with clamping bounds), k, the CLV and RFM parameters, and the as-of date.
///
/// The facade builds one per query from the policy; `AnalyticsRecord`s are laid out against it.
package struct AnalyticsConfiguration: Sendable, Hashable {
    /// The largest clamping bound magnitude (2⁴⁰ ≈ 1.1 × 10¹² cents), which keeps noise and sums in 64 bits.
    package static let largestBound: UInt64 = 1 << 40
    /// The reserved group key under which RFM segments appear.
    package static let rfmKey = "rfm"

    /// A field the policy allows in group-by and filters, with its public domain of buckets.
    package struct Dimension: Sendable, Hashable {
        /// The policy's field name, e.g. "region".
        package let name: String
        /// Every bucket the field can take, as the policy lists them, e.g. ["north", "south"].
        package let domain: [String]

        /// A group-by field and its buckets.
        package init(name: String, domain: [String]) {
            self.name = name
            self.domain = domain
        }
    }

    /// A numeric field the policy allows in `sum` and `mean`, with its public clamping bounds.
    package struct Field: Sendable, Hashable {
        /// The policy's field name, e.g. "basket_value".
        package let name: String
        /// Public bounds in the field's fixed-point unit; each customer's value is clamped to them.
        package let bounds: ClosedRange<Int64>

        /// A measure field and its bounds.
        package init(name: String, bounds: ClosedRange<Int64>) {
            self.name = name
            self.bounds = bounds
        }

        /// The most one customer can move the field's sum: max(|min|, |max|).
        var sensitivity: UInt64 { Swift.max(bounds.lowerBound.magnitude, bounds.upperBound.magnitude) }
    }

    /// Group-by fields, in the order of `AnalyticsRecord.dimensions`.
    package let dimensions: [Dimension]
    /// Measure fields, in the order of `AnalyticsRecord.fields`.
    package let fields: [Field]
    /// k: a group is shown only if its noisy count says it has at least k customers.
    package let minimumGroupSize: Int64
    /// δ: the most probability with which a group of fewer than k customers may be shown per query.
    package let suppressionDelta: Double
    /// The CLV model.
    package let lifetimeValue: LifetimeValueModel
    /// The RFM thresholds.
    package let rfm: RFMThresholds
    /// Purchase categories the stated category spend covers (for share of wallet); nil means all.
    package let walletCategories: Set<UInt16>?
    /// The day the analysis is as of (`DayNumber`); years are counted back from it.
    package let asOf: Int32

    /// Bucket → index, per dimension, so a record's value finds its cell with one hash lookup.
    let domainIndex: [[String: Int]]

    /// Validates the configuration: distinct names, non-empty distinct domains, k ≥ 1, 0 < δ < 1,
    /// and bounds within `largestBound`.
    package init(
        dimensions: [Dimension],
        fields: [Field] = [],
        minimumGroupSize: Int,
        suppressionDelta: Double = 1e-9,
        lifetimeValue: LifetimeValueModel,
        rfm: RFMThresholds,
        walletCategories: Set<UInt16>? = nil,
        asOf: Int32
    ) throws(AnalyticsError) {
        var names = Set<String>()
        var domainIndex: [[String: Int]] = []
        for dimension in dimensions {
            guard !dimension.name.isEmpty, dimension.name != Self.rfmKey, names.insert(dimension.name).inserted else {
                throw .invalidConfiguration(
                    "dimension names must be non-empty, distinct and not '\(Self.rfmKey)' (see '\(dimension.name)')"
                )
            }
            guard !dimension.domain.isEmpty else { throw .invalidConfiguration("'\(dimension.name)' has no buckets") }
            var index: [String: Int] = [:]
            for (position, bucket) in dimension.domain.enumerated() {
                guard index.updateValue(position, forKey: bucket) == nil else {
                    throw .invalidConfiguration("the buckets of '\(dimension.name)' are listed twice")
                }
            }
            domainIndex.append(index)
        }
        for field in fields {
            guard !field.name.isEmpty, names.insert(field.name).inserted else {
                throw .invalidConfiguration("field names must be non-empty and distinct (see '\(field.name)')")
            }
            guard (1...Self.largestBound).contains(field.sensitivity) else {
                throw .invalidConfiguration(
                    "the bounds of '\(field.name)' must not both be zero and must stay within ±\(Self.largestBound)"
                )
            }
        }
        guard minimumGroupSize >= 1 else { throw .invalidConfiguration("the minimum group size k must be at least 1") }
        guard suppressionDelta > 0, suppressionDelta < 1 else {
            throw .invalidConfiguration("the suppression delta must lie strictly between 0 and 1")
        }
        self.dimensions = dimensions
        self.fields = fields
        self.minimumGroupSize = Int64(minimumGroupSize)
        self.suppressionDelta = suppressionDelta
        self.lifetimeValue = lifetimeValue
        self.rfm = rfm
        self.walletCategories = walletCategories
        self.asOf = asOf
        self.domainIndex = domainIndex
    }
}
