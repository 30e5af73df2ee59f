/// An analyst's question in canonical form: measures and group-by fields sorted and deduplicated,
/// filters keyed by field, and the ε it spends. Two queries that ask the same thing are equal.
package struct AggregateQuery: Sendable, Hashable {
    /// The measures, sorted by canonical spelling, without repeats.
    package let measures: [Measure]
    /// The group-by fields, sorted, without repeats.
    package let groupBy: [String]
    /// Equality filters: field → bucket.
    package let filters: [String: String]
    /// The ε the query spends.
    package let epsilon: Epsilon

    /// Canonicalises a query; refuses one without measures or with zero ε.
    ///
    /// Fields are checked against the policy when the query is planned (`AggregatePlan`).
    package init(
        measures: [Measure],
        groupBy: [String] = [],
        filters: [String: String] = [:],
        epsilon: Epsilon
    ) throws(AnalyticsError) {
        guard !measures.isEmpty else { throw .invalidQuery("name at least one measure") }
        guard epsilon > .zero else { throw .invalidEpsilon("it must be positive; zero or negative epsilon cannot be spent") }
        self.measures = Set(measures).sorted()
        self.groupBy = Set(groupBy).sorted()
        self.filters = filters
        self.epsilon = epsilon
    }

    /// The canonical text of the query, e.g.
    /// `measures=clv,customer_equity;group_by=region;where=segment:gold;epsilon=0.5`;
    /// safe for audit entries (a query shape, never a result).
    package var canonicalForm: String {
        let measureList = CanonicalText.list(measures.map { CanonicalText.escape($0.description) })
        let groupList = CanonicalText.list(groupBy.map(CanonicalText.escape))
        let filterList = CanonicalText.list(
            filters.sorted { $0.key < $1.key }.map { CanonicalText.escape($0.key) + ":" + CanonicalText.escape($0.value) }
        )
        return "measures=\(measureList);group_by=\(groupList);where=\(filterList);epsilon=\(epsilon)"
    }
}
