internal import Foundation

/// Tail bounds of the discrete Laplace, computed from public parameters only (the scale, a coverage
/// level, δ): floating point is harmless here because no sample or data value is involved.
extension DiscreteLaplace {
    /// The decay τ = e^(−1/b) = e^(−s/t).
    var decay: Double { exp(-Double(scaleDenominator) / Double(scaleNumerator)) }

    /// The smallest h ≥ 0 such that |X| ≤ h with probability at least 1 − `failure`.
    ///
    /// P(|X| ≥ m) = 2τ^m/(1 + τ) for m ≥ 1; with m the smallest such that this is ≤ `failure`,
    /// P(|X| ≤ m − 1) ≥ 1 − `failure`, so h = m − 1 (the closed interval ±h equals the open ±m).
    func halfWidth(failure: Double) -> Int64 {
        precondition(failure > 0 && failure < 1)
        return smallestExponent(logBound: log(failure / 2)) - 1
    }

    /// The smallest m ≥ 1 with P(X ≥ m) = τ^m/(1 + τ) ≤ `probability`.
    func upperTailExponent(probability: Double) -> Int64 {
        precondition(probability > 0 && probability < 1)
        return smallestExponent(logBound: log(probability))
    }

    /// The smallest m ≥ 1 with m·ln τ − ln(1 + τ) ≤ `logBound`, i.e. τ^m/(1 + τ) ≤ e^logBound.
    private func smallestExponent(logBound: Double) -> Int64 {
        let logDecay = -Double(scaleDenominator) / Double(scaleNumerator)
        let logOnePlus = log1p(decay)
        func holds(_ m: Int64) -> Bool { Double(m) * logDecay - logOnePlus <= logBound }
        var m = max(1, Int64(((logBound + logOnePlus) / logDecay).rounded(.up)))
        // The division can land one step off at the boundary; settle on the exact smallest m.
        while m > 1 && holds(m - 1) { m -= 1 }
        while !holds(m) { m += 1 }
        return m
    }
}
