import COpenSSL
package import Foundation

/// An HMAC-SHA256 authentication code; compare codes with `isValidAuthenticationCode`.
package struct HashedAuthenticationCode: Sendable, ContiguousBytes {
    /// The code's bytes.
    package let bytes: [UInt8]

    /// Lends the code's bytes.
    package func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }
}

/// HMAC-SHA256 (RFC 2104, FIPS 198-1) through EVP_MAC.
package enum HMACSHA256 {
    /// The code for `data` under `key`.
    package static func authenticationCode(for data: some ContiguousBytes, using key: SymmetricKey) -> HashedAuthenticationCode {
        let ctx = keyedContext(key)
        defer { EVP_MAC_CTX_free(ctx) }
        return finish(ctx, data)
    }

    /// A new MAC context set up with `key`.
    fileprivate static func keyedContext(_ key: SymmetricKey) -> OpaquePointer {
        guard let ctx = EVP_MAC_CTX_new(Algorithms.hmac) else { fatalError("EVP_MAC_CTX_new failed") }
        let initialised = key.withUnsafeBytes { keyBytes in
            cvault_hmac_sha256_init(ctx, keyBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), keyBytes.count)
        }
        precondition(initialised == 1, "EVP_MAC_init failed")
        return ctx
    }

    /// Feeds `data` to the keyed `ctx` and returns the code.
    fileprivate static func finish(_ ctx: OpaquePointer, _ data: some ContiguousBytes) -> HashedAuthenticationCode {
        // A failure past init is out of memory or a broken provider; returning the zero-filled
        // buffer instead would make every blind index and token hash the same value.
        let updated = data.withUnsafeBytes { buffer in
            EVP_MAC_update(ctx, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count)
        }
        precondition(updated == 1, "EVP_MAC_update failed")
        var out = [UInt8](repeating: 0, count: SHA256.byteCount)
        var length = 0
        let finished = out.withUnsafeMutableBufferPointer { EVP_MAC_final(ctx, $0.baseAddress, &length, $0.count) }
        precondition(finished == 1 && length == SHA256.byteCount, "EVP_MAC_final failed")
        return HashedAuthenticationCode(bytes: out)
    }

    /// Whether `code` is the code for `data` under `key`, compared in constant time.
    package static func isValidAuthenticationCode(
        _ code: some ContiguousBytes,
        authenticating data: some ContiguousBytes,
        using key: SymmetricKey
    ) -> Bool {
        ConstantTime.equals(authenticationCode(for: data, using: key), code)
    }
}

extension HMACSHA256 {
    /// A key set up once for many codes: each code copies the keyed state (`EVP_MAC_CTX_dup`)
    /// instead of fetching the digest and hashing the key pads again (blind indexes, token hashes).
    package final class Keyed: @unchecked Sendable {
        // Only ever read (duplicated) after init, so sharing it across threads is safe.
        private let template: OpaquePointer

        /// Sets up `key`.
        package init(_ key: SymmetricKey) {
            template = HMACSHA256.keyedContext(key)
        }

        deinit { EVP_MAC_CTX_free(template) }

        /// The code for `data`.
        package func authenticationCode(for data: some ContiguousBytes) -> HashedAuthenticationCode {
            guard let ctx = EVP_MAC_CTX_dup(template) else { fatalError("EVP_MAC_CTX_dup failed") }
            defer { EVP_MAC_CTX_free(ctx) }
            return HMACSHA256.finish(ctx, data)
        }
    }
}
