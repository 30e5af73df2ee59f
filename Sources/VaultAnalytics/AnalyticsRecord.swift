/// One customer as the analytics engine sees it, built by the facade from a decrypted profile.
///
/// The facade builds a million of these per query, so the layout is positional rather than keyed:
/// `dimensions[i]` is the value of `configuration.dimensions[i]` and `fields[i]` of
/// `configuration.fields[i]`, which costs two small arrays instead of two hashed dictionaries
/// (`AnalyticsConfiguration.record(dimensions:fields:purchases:statedCategorySpend:)` builds one by
/// name when speed does not matter). The facade passes only customers for whom the `analytics`
/// purpose holds, and leaves a value `nil` when it is missing or restricted by an open contest.
/// A missing trailing entry counts as `nil`.
package struct AnalyticsRecord: Sendable {
    /// One purchase: 24 bytes inline, no heap.
    package struct Purchase: Sendable, Hashable {
        /// What the customer paid, in cents.
        package var amount: Int64
        /// The firm's margin on it, in cents (negative for a loss).
        package var margin: Int64
        /// The day of purchase (`DayNumber`).
        package var day: Int32
        /// The purchase category, as the facade's small id from the policy's category list.
        package var category: UInt16

        /// A purchase.
        package init(day: Int32, amount: Int64, margin: Int64, category: UInt16 = 0) {
            self.amount = amount
            self.margin = margin
            self.day = day
            self.category = category
        }
    }

    /// Group-by values, already bucketed by the facade (e.g. "1980s" for a birth year), in configuration order.
    package var dimensions: [String?]
    /// Numeric measure values in fixed point (e.g. cents), in configuration order.
    package var fields: [Int64?]
    /// The purchase history, in any order.
    package var purchases: [Purchase]
    /// The customer's stated annual spend in the firm's category, across all suppliers, in cents.
    package var statedCategorySpend: Int64?

    /// A record; see the type's documentation for the positional layout.
    package init(
        dimensions: [String?],
        fields: [Int64?] = [],
        purchases: [Purchase] = [],
        statedCategorySpend: Int64? = nil
    ) {
        self.dimensions = dimensions
        self.fields = fields
        self.purchases = purchases
        self.statedCategorySpend = statedCategorySpend
    }
}
