extension AnalyticsConfiguration {
    /// Builds a record from named values, for callers that value clarity over speed (tests, demos);
    /// refuses a name the configuration does not know rather than silently dropping it.
    package func record(
        dimensions named: [String: String],
        fields namedFields: [String: Int64] = [:],
        purchases: [AnalyticsRecord.Purchase] = [],
        statedCategorySpend: Int64? = nil
    ) throws(AnalyticsError) -> AnalyticsRecord {
        for name in named.keys where !dimensions.contains(where: { $0.name == name }) {
            throw .unknownField(role: "group-by field", name: name)
        }
        for name in namedFields.keys where !fields.contains(where: { $0.name == name }) {
            throw .unknownField(role: "measure field", name: name)
        }
        return AnalyticsRecord(
            dimensions: dimensions.map { named[$0.name] },
            fields: fields.map { namedFields[$0.name] },
            purchases: purchases,
            statedCategorySpend: statedCategorySpend
        )
    }
}
