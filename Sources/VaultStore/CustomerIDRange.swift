/// A half-open range of customer ids, `[lowerBound, upperBound)` in SQLite's byte order; `nil`
/// leaves that end open.
public struct CustomerIDRange: Sendable, Equatable {
    /// The first id in the range, or `nil` for no lower limit.
    public var lowerBound: String?
    /// The first id past the range, or `nil` for no upper limit.
    public var upperBound: String?

    /// A range; `nil` ends are open.
    public init(from lowerBound: String?, to upperBound: String?) {
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }

    /// Ranges that cover every possible id exactly once, cut at `splitPoints` (ascending).
    ///
    /// Parallel scans must take their ranges from one list of split points: ranges computed by
    /// each scan in its own snapshot could overlap or leave gaps while customers are added, and a
    /// customer counted twice would spend twice the privacy loss the noise was set for.
    public static func partition(at splitPoints: [String]) -> [CustomerIDRange] {
        let bounds: [String?] = [nil] + splitPoints.map { $0 } + [nil]
        return zip(bounds, bounds.dropFirst()).map { CustomerIDRange(from: $0, to: $1) }
    }
}
