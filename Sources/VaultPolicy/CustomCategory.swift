/// A data category a policy declares itself, refining one of the fideslang taxonomy (or another of
/// its own) the way fideslang allows: the key extends its parent's key by one segment.
public struct CustomCategory: Sendable, Hashable {
    /// The dotted key, such as `user.financial.transactions`.
    public let key: String
    /// What data the category covers.
    public let description: String

    /// The category it refines: the key without its last segment.
    public var parent: String {
        guard let dot = key.lastIndex(of: ".") else { return "" }
        return String(key[..<dot])
    }
}
