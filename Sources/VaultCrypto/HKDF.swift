import COpenSSL
package import Foundation

/// HKDF-SHA256 (RFC 5869) through the provider's KDF.
package enum HKDF {
    /// Derives `outputByteCount` bytes from `inputKeyMaterial` with `salt` and `info`.
    package static func deriveKey(
        inputKeyMaterial: SymmetricKey,
        salt: some ContiguousBytes,
        info: some ContiguousBytes,
        outputByteCount: Int = 32
    ) throws -> SymmetricKey {
        guard outputByteCount > 0, outputByteCount <= 255 * SHA256.byteCount else {
            throw CryptoError.invalidFormat("HKDF output length must be 1...\(255 * SHA256.byteCount) bytes")
        }
        let storage = try SecureBytes(count: outputByteCount) { out in
            let ok = inputKeyMaterial.withUnsafeBytes { ikm in
                salt.withUnsafeBytes { salt in
                    info.withUnsafeBytes { info in
                        cvault_hkdf_sha256(
                            Algorithms.hkdf,
                            ikm.baseAddress?.assumingMemoryBound(to: UInt8.self),
                            ikm.count,
                            salt.baseAddress?.assumingMemoryBound(to: UInt8.self),
                            salt.count,
                            info.baseAddress?.assumingMemoryBound(to: UInt8.self),
                            info.count,
                            out.baseAddress?.assumingMemoryBound(to: UInt8.self),
                            out.count
                        )
                    }
                }
            }
            guard ok == 1 else { throw CryptoError.openSSL("EVP_KDF_derive(HKDF)") }
        }
        return SymmetricKey(storage: storage)
    }
}
