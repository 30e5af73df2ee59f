package import VaultCrypto

/// The discrete Laplace (two-sided geometric) distribution on the integers with rational scale
/// b = `scaleNumerator` / `scaleDenominator`: P(x) = (1 − τ)/(1 + τ) · τ^|x| with τ = e^(−1/b).
///
/// Samples are exact: Canonne, Kamath & Steinke, "The Discrete Gaussian for Differential Privacy"
/// (2020), Algorithm 2, with Bernoulli(exp(−γ)) from Algorithm 1, using only uniform integers from the
/// `RandomSource` and integer arithmetic. No floating-point `log` or `exp` touches a sample, so the
/// output has none of the gaps and biases that make the textbook `b·log(u)` Laplace leak.
package struct DiscreteLaplace: Sendable, Hashable {
    /// The largest scale accepted (2⁵²): samples stay far inside `Int64` with overwhelming probability.
    package static let largestScale: UInt64 = 1 << 52

    /// The scale's numerator t (the paper's t), in lowest terms.
    package let scaleNumerator: UInt64
    /// The scale's denominator s (the paper's s), in lowest terms.
    package let scaleDenominator: UInt64

    /// The distribution with scale t/s; nil unless both are positive and t/s ≤ `largestScale`.
    package init?(scaleNumerator t: UInt64, scaleDenominator s: UInt64) {
        guard t > 0, s > 0 else { return nil }
        let divisor = Self.gcd(t, s)
        let (t, s) = (t / divisor, s / divisor)
        guard t / s < Self.largestScale || (t / s == Self.largestScale && t % s == 0) else { return nil }
        self.scaleNumerator = t
        self.scaleDenominator = s
    }

    /// The scale b = t/s, for reports.
    package var scale: Double { Double(scaleNumerator) / Double(scaleDenominator) }

    /// One sample.
    package func sample(using random: some RandomSource) -> Int64 {
        var bits = RandomBits(random, blockWords: 8)
        return sample(from: &bits)
    }

    /// `count` independent samples.
    package func samples(_ count: Int, using random: some RandomSource) -> [Int64] {
        var bits = RandomBits(random, blockWords: 512)
        var result = [Int64]()
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(sample(from: &bits)) }
        return result
    }

    /// Algorithm 2: X = U + t·V is geometric with parameter 1 − e^(−1/t), so ⌊X/s⌋ is geometric with
    /// parameter 1 − e^(−s/t); a random sign, rejecting "−0" so zero is not counted twice, makes it two-sided.
    func sample(from bits: inout RandomBits) -> Int64 {
        let t = scaleNumerator
        let s = scaleDenominator
        while true {
            var u: UInt64
            repeat { u = bits.uniform(below: t) } while !bits.bernoulliExpMinus(u, over: t)
            var v: UInt64 = 0
            while bits.bernoulliExpMinus(1, over: 1) { v += 1 }
            let x = UInt128(u) + UInt128(t) * UInt128(v)
            let y = x / UInt128(s)
            let negative = bits.next() & 1 == 1
            if negative && y == 0 { continue }
            // |sample| ≥ 2⁶³ needs V ≳ 2¹⁰ at the largest scale: probability below e^(−1000).
            guard let magnitude = Int64(exactly: y) else { preconditionFailure("discrete Laplace sample out of range") }
            return negative ? -magnitude : magnitude
        }
    }

    private static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}
