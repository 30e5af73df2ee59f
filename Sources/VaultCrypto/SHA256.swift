import COpenSSL
package import Foundation

/// A SHA-256 digest: 32 bytes.
package struct SHA256Digest: Sendable, Hashable, ContiguousBytes, CustomStringConvertible {
    /// The digest's bytes.
    package let bytes: [UInt8]

    /// Wraps 32 bytes as a digest; returns nil for any other length.
    package init?(bytes: [UInt8]) {
        guard bytes.count == SHA256.byteCount else { return nil }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Lends the digest's bytes.
    package func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }

    /// Lower-case hex.
    package var hex: String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// Lower-case hex.
    package var description: String { hex }
}

/// SHA-256 (FIPS 180-4) through EVP, one-shot or incremental.
package struct SHA256: Sendable {
    /// Digest length in bytes.
    package static let byteCount = 32

    private final class Context: @unchecked Sendable {
        let ctx: OpaquePointer
        init() throws {
            guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.openSSL("EVP_MD_CTX_new") }
            guard EVP_DigestInit_ex2(ctx, Algorithms.sha256, nil) == 1 else {
                EVP_MD_CTX_free(ctx)
                throw CryptoError.openSSL("EVP_DigestInit_ex2")
            }
            self.ctx = ctx
        }
        init(copying other: Context) throws {
            guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.openSSL("EVP_MD_CTX_new") }
            guard EVP_MD_CTX_copy_ex(ctx, other.ctx) == 1 else {
                EVP_MD_CTX_free(ctx)
                throw CryptoError.openSSL("EVP_MD_CTX_copy_ex")
            }
            self.ctx = ctx
        }
        deinit { EVP_MD_CTX_free(ctx) }
    }

    private var context: Context

    /// Starts an incremental hash.
    package init() {
        // Allocation failure here means the process is out of memory.
        context = try! Context()
    }

    /// Feeds more bytes into the hash.
    package mutating func update(data: some ContiguousBytes) {
        if !isKnownUniquelyReferenced(&context) { context = try! Context(copying: context) }
        let updated = data.withUnsafeBytes { buffer in EVP_DigestUpdate(context.ctx, buffer.baseAddress, buffer.count) }
        // Only a broken provider fails here; a silently wrong digest would be worse than stopping.
        precondition(updated == 1, "EVP_DigestUpdate failed")
    }

    /// The digest of everything fed so far; the hasher itself may go on being updated.
    package func finalize() -> SHA256Digest {
        let copy = try! Context(copying: context)
        var out = [UInt8](repeating: 0, count: SHA256.byteCount)
        let finished = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(copy.ctx, $0.baseAddress, nil) }
        precondition(finished == 1, "EVP_DigestFinal_ex failed")
        return SHA256Digest(unchecked: out)
    }

    /// The digest of `data`.
    package static func hash(data: some ContiguousBytes) -> SHA256Digest {
        data.withUnsafeBytes { hash(parts: [$0]) }
    }

    /// The digest of the concatenation of `parts`, without building the concatenation.
    package static func hash(parts: [UnsafeRawBufferPointer]) -> SHA256Digest {
        // A per-thread context avoids an allocation and a provider lookup per call (Merkle hot path).
        let ctx = try! ThreadLocalContext.digest.get()
        precondition(EVP_DigestInit_ex2(ctx, Algorithms.sha256, nil) == 1, "EVP_DigestInit_ex2 failed")
        for part in parts where part.count > 0 {
            precondition(EVP_DigestUpdate(ctx, part.baseAddress, part.count) == 1, "EVP_DigestUpdate failed")
        }
        var out = [UInt8](repeating: 0, count: SHA256.byteCount)
        let finished = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(ctx, $0.baseAddress, nil) }
        precondition(finished == 1, "EVP_DigestFinal_ex failed")
        return SHA256Digest(unchecked: out)
    }
}
