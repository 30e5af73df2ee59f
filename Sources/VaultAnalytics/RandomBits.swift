import VaultCrypto

/// Random words read from a `RandomSource` a block at a time, so that a noise draw costs a few
/// memory reads rather than a `RAND_bytes` call per word.
///
/// Non-copyable on purpose: a copy would hand the same unread words to two noise draws, and
/// correlated noise is how differencing attacks win. Not generic on purpose: the source is called
/// once per block, while generic sampling code would resolve type metadata on every draw.
struct RandomBits: ~Copyable {
    private let source: any RandomSource
    private var words: [UInt64]
    private var index: Int

    init(_ source: any RandomSource, blockWords: Int = 64) {
        precondition(blockWords > 0)
        self.source = source
        self.words = [UInt64](repeating: 0, count: blockWords)
        self.index = blockWords
    }

    /// A uniformly random 64-bit word.
    mutating func next() -> UInt64 {
        if index == words.count {
            let source = self.source
            words.withUnsafeMutableBytes { source.fill($0) }
            index = 0
        }
        defer { index += 1 }
        return words[index]
    }

    /// A uniform integer in `0..<bound`, exactly: Lemire's multiply-and-reject ("Fast Random Integer
    /// Generation in an Interval", 2019), which rejects the 2⁶⁴ mod bound low products that would
    /// favour some values, and needs a division only when a draw lands near a rejection.
    mutating func uniform(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return product.high
    }

    /// Bernoulli(numerator / denominator), for 0 ≤ numerator ≤ denominator.
    mutating func bernoulli(_ numerator: UInt64, over denominator: UInt64) -> Bool {
        uniform(below: denominator) < numerator
    }

    /// Bernoulli(exp(−γ)) for γ = numerator / denominator in [0, 1], exactly, with integers only
    /// (Canonne, Kamath & Steinke 2020, Algorithm 1): count how many Bernoulli(γ/k), k = 1, 2, …,
    /// succeed in a row; the count K is odd with probability exp(−γ).
    mutating func bernoulliExpMinus(_ numerator: UInt64, over denominator: UInt64) -> Bool {
        precondition(numerator <= denominator, "gamma must lie in [0, 1]")
        var k: UInt64 = 1
        // Bernoulli(γ/k) is Bernoulli(γ) and an independent Bernoulli(1/k), which keeps the
        // denominators within 64 bits however large the scale.
        while bernoulli(numerator, over: denominator) && uniform(below: k) == 0 { k += 1 }
        return k % 2 == 1
    }
}
