import Synchronization

@testable import VaultCrypto

/// A reproducible `RandomSource` for tests: SplitMix64 from a seed. Never use outside tests.
final class DeterministicRandom: RandomSource {
    private let state: Mutex<UInt64>

    init(seed: UInt64) { state = Mutex(seed) }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        state.withLock { state in
            for index in buffer.indices {
                if index % 8 == 0 { state &+= 0x9E37_79B9_7F4A_7C15 }
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                buffer[index] = UInt8(truncatingIfNeeded: z >> (8 * UInt64(index % 8)))
            }
        }
    }
}
