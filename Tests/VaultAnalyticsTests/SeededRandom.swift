import Synchronization
import VaultCrypto

/// A deterministic `RandomSource` (SplitMix64) for tests whose outcome must not depend on luck.
/// Never for noise outside tests: it is predictable by design.
final class SeededRandom: RandomSource {
    private let state: Mutex<UInt64>

    init(seed: UInt64) { state = Mutex(seed) }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        state.withLock { state in
            var word: UInt64 = 0
            for offset in 0..<buffer.count {
                if offset % 8 == 0 { word = Self.splitMix(&state) }
                buffer[offset] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(offset % 8)))
            }
        }
    }

    /// The next SplitMix64 output, for test data generators too.
    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A small deterministic generator of test data.
struct DataGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A uniform integer in `range` (modulo bias is irrelevant for test data).
    mutating func int(in range: ClosedRange<Int64>) -> Int64 {
        let width = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int64(SeededRandom.splitMix(&state) % width)
    }

    mutating func element<T>(of values: [T]) -> T { values[Int(int(in: 0...Int64(values.count - 1)))] }

    mutating func chance(_ probability: Double) -> Bool {
        Double(SeededRandom.splitMix(&state) >> 11) / Double(1 << 53) < probability
    }
}
