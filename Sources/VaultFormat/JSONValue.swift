/// A JSON value: the one model behind the vault's canonical documents (audit leaves, exports,
/// receipts, policy hashes) and its strict reading of import lines.
///
/// Numbers keep their literal text, so money converts to cents exactly (no binary floating point)
/// and an integer reads back as the same integer. Canonical documents hold integers only
/// (`integer(_:)`); see `canonicalBytes` for why.
package enum JSONValue: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its literal text (valid JSON number syntax).
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object; keys are unique, their order is the writer's business.
    case object([String: JSONValue])

    /// An integer, as a number in plain decimal.
    package static func integer(_ value: Int64) -> Self { .number(String(value)) }

    /// The number as a whole Int64, if it is one (no fraction, no exponent, in range).
    package var integer: Int64? {
        guard case .number(let text) = self else { return nil }
        return Int64(text)
    }
}
