import COpenSSL

/// A source of random bytes; the vault uses the CSPRNG, tests may inject a deterministic one.
public protocol RandomSource: Sendable {
    /// Fills `buffer` with random bytes.
    func fill(_ buffer: UnsafeMutableRawBufferPointer)
}

extension RandomSource {
    /// Returns `count` random bytes.
    public func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        result.withUnsafeMutableBytes { fill($0) }
        return result
    }

    /// A uniformly random 64-bit value.
    public func next() -> UInt64 {
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { fill($0) }
        return value
    }

    /// A uniformly random value in `0..<bound` without modulo bias.
    public func uniform(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")
        let limit = UInt64.max - (UInt64.max % bound)
        while true {
            let value = next()
            if value < limit { return value % bound }
        }
    }
}

/// OpenSSL's CSPRNG (`RAND_bytes`), seeded by the operating system.
public struct SystemRandom: RandomSource {
    /// Creates a handle on the process-wide CSPRNG.
    public init() {}

    /// Fills `buffer` from `RAND_bytes`; a CSPRNG failure is unrecoverable, so it stops the process.
    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        var offset = 0
        while offset < buffer.count {
            let chunk = min(buffer.count - offset, Int(Int32.max))
            guard RAND_bytes(base.advanced(by: offset).assumingMemoryBound(to: UInt8.self), Int32(chunk)) == 1 else {
                fatalError("RAND_bytes failed: the CSPRNG is unusable")
            }
            offset += chunk
        }
    }
}
