import Foundation
import Testing
import VaultAnalytics
import VaultCrypto

/// Statistical checks of the exact sampler against the discrete Laplace's closed forms.
///
/// Tolerances: every check compares a sample average of n independent draws with its expectation.
/// The draws have geometric tails, so the central limit theorem is accurate at n = 200 000 and the
/// average lies within z standard errors with probability 1 − 2Φ(−z); z = 6 gives 2 × 10⁻⁹ per
/// check, and all checks in this file together fail by chance with probability below 10⁻⁶.
/// Standard errors: mean σ/√n; sample variance √((μ₄ − σ⁴)/n); a frequency √(p(1 − p)/n).
@Suite struct DiscreteLaplaceTests {
    static let draws = 200_000
    static let z = 6.0

    /// The exact law, computed here from its definition rather than by the engine.
    struct Law {
        let tau: Double
        init(scale: Double) { tau = exp(-1 / scale) }
        func probability(_ x: Int) -> Double { (1 - tau) / (1 + tau) * pow(tau, Double(abs(x))) }
        var variance: Double { 2 * tau / ((1 - tau) * (1 - tau)) }
        var fourthMoment: Double {
            var sum = 0.0
            var x = 1
            while true {
                let term = 2 * pow(Double(x), 4) * probability(x)
                sum += term
                if term < 1e-18 * sum { return sum }
                x += 1
            }
        }
    }

    @Test(
        "mean ≈ 0, variance 2τ/(1−τ)², P(0) = (1−τ)/(1+τ), and the pmf",
        arguments: [
            (UInt64(1), UInt64(2)), (1, 1), (7, 3), (4, 1),
        ]
    )
    func momentsMatchTheDiscreteLaplace(numerator: UInt64, denominator: UInt64) throws {
        let distribution = try #require(DiscreteLaplace(scaleNumerator: numerator, scaleDenominator: denominator))
        let scale = Double(numerator) / Double(denominator)
        let law = Law(scale: scale)
        let samples = distribution.samples(Self.draws, using: SystemRandom())
        let n = Double(samples.count)

        let mean = samples.reduce(0.0) { $0 + Double($1) } / n
        #expect(abs(mean) <= Self.z * (law.variance / n).squareRoot())

        let sampleVariance = samples.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)
        let varianceError = ((law.fourthMoment - law.variance * law.variance) / n).squareRoot()
        #expect(abs(sampleVariance - law.variance) <= Self.z * varianceError)
        if scale <= 1 {
            // The continuous Laplace's 2b² is rejected by the same test: the law is discrete.
            #expect(abs(sampleVariance - 2 * scale * scale) > Self.z * varianceError)
        }

        var counts: [Int64: Int] = [:]
        for sample in samples { counts[sample, default: 0] += 1 }
        for x in -3...3 {
            // x = 0 checks P(0) = (1 − τ)/(1 + τ).
            let p = law.probability(x)
            let frequency = Double(counts[Int64(x), default: 0]) / n
            #expect(abs(frequency - p) <= Self.z * (p * (1 - p) / n).squareRoot(), "P(\(x))")
        }
    }

    @Test func largeScalesStayCentredOnTheIntegers() throws {
        // b = 10⁹ / 3: the rational scale must not be rounded; the spread must match the law.
        let distribution = try #require(DiscreteLaplace(scaleNumerator: 1_000_000_000, scaleDenominator: 3))
        let samples = distribution.samples(20_000, using: SystemRandom())
        let variance = Law(scale: 1e9 / 3).variance
        let mean = samples.reduce(0.0) { $0 + Double($1) } / Double(samples.count)
        #expect(abs(mean) <= Self.z * (variance / Double(samples.count)).squareRoot())
        // For b this large the law is the continuous Laplace to 10⁻⁹ (kurtosis 6): σ(S²) ≈ √(5/n)·σ².
        let sampleVariance = samples.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(samples.count - 1)
        #expect(abs(sampleVariance / variance - 1) <= Self.z * (5.0 / Double(samples.count)).squareRoot())
    }

    @Test func aSeededSourceReproducesTheDraws() throws {
        let distribution = try #require(DiscreteLaplace(scaleNumerator: 5, scaleDenominator: 2))
        let first = distribution.samples(1_000, using: SeededRandom(seed: 42))
        #expect(first == distribution.samples(1_000, using: SeededRandom(seed: 42)))
        #expect(first != distribution.samples(1_000, using: SeededRandom(seed: 43)))
    }

    @Test func rejectsScalesOutsideTheSupportedRange() {
        #expect(DiscreteLaplace(scaleNumerator: 0, scaleDenominator: 1) == nil)
        #expect(DiscreteLaplace(scaleNumerator: 1, scaleDenominator: 0) == nil)
        #expect(DiscreteLaplace(scaleNumerator: DiscreteLaplace.largestScale + 1, scaleDenominator: 1) == nil)
        #expect(DiscreteLaplace(scaleNumerator: DiscreteLaplace.largestScale, scaleDenominator: 1) != nil)
        let reduced = DiscreteLaplace(scaleNumerator: 6_000_000, scaleDenominator: 4_000_000)
        #expect(reduced?.scaleNumerator == 3 && reduced?.scaleDenominator == 2)
    }
}
