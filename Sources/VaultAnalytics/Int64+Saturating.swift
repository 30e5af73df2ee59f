extension Int64 {
    /// The sum, pinned to `Int64.min`/`max` instead of trapping: a customer's totals are clamped
    /// afterwards anyway, and no input may crash a query.
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// The value pinned to `bounds`.
    func clamped(to bounds: ClosedRange<Int64>) -> Int64 {
        Swift.min(Swift.max(self, bounds.lowerBound), bounds.upperBound)
    }
}
