import Foundation

/// One purchase in a customer's history.
public struct Purchase: Sendable, Equatable, Hashable {
    /// Day of the purchase, counted from 1970-01-01 (UTC).
    public var day: Int32
    /// Amount paid, in cents.
    public var amountCents: Int64
    /// The firm's margin on it, in cents.
    public var marginCents: Int64
    /// Product category.
    public var category: String

    /// A purchase.
    public init(day: Int32, amountCents: Int64, marginCents: Int64, category: String) {
        self.day = day
        self.amountCents = amountCents
        self.marginCents = marginCents
        self.category = category
    }
}

/// A profile field's value, typed by the policy's field definition.
public enum FieldValue: Sendable, Equatable, Hashable {
    /// Text (also emails and phone numbers).
    case string(String)
    /// A whole number.
    case integer(Int64)
    /// Money or another 2-decimal quantity, in hundredths.
    case decimal(Int64)
    /// A calendar date, as days since 1970-01-01.
    case date(Int32)
    /// A list of texts.
    case stringList([String])
    /// Amounts per key (stated yearly spend per category), in hundredths.
    case decimalMap([String: Int64])
    /// A purchase history.
    case purchases([Purchase])
}
