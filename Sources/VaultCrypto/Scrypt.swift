import COpenSSL
package import Foundation

/// scrypt cost parameters and salt, stored beside whatever the derived key protects.
package struct ScryptParameters: Codable, Sendable, Equatable {
    /// CPU/memory cost N: a power of two greater than 1.
    package var cost: UInt64
    /// Block size r.
    package var blockSize: UInt64
    /// Parallelism p.
    package var parallelism: UInt64
    /// Random salt (base64 in JSON).
    package var salt: [UInt8]

    /// Today's recommendation for a key that protects data at rest (N = 2^17, r = 8, p = 1: 128 MiB
    /// and about half a second), with a fresh salt.
    package static func recommended(using random: some RandomSource = SystemRandom()) -> ScryptParameters {
        ScryptParameters(cost: 1 << 17, blockSize: 8, parallelism: 1, salt: random.bytes(16))
    }

    /// Whether these parameters cost an attacker less than the recommendation does.
    package var isBelowRecommendation: Bool { cost < 1 << 17 || blockSize < 8 }

    /// Parameters as given; `Scrypt.deriveKey` checks them.
    package init(cost: UInt64, blockSize: UInt64, parallelism: UInt64, salt: [UInt8]) {
        self.cost = cost
        self.blockSize = blockSize
        self.parallelism = parallelism
        self.salt = salt
    }

    private enum CodingKeys: String, CodingKey {
        case cost = "N"
        case blockSize = "r"
        case parallelism = "p"
        case salt
    }

    /// Decodes `{"N":…,"r":…,"p":…,"salt":"base64"}`.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cost = try container.decode(UInt64.self, forKey: .cost)
        blockSize = try container.decode(UInt64.self, forKey: .blockSize)
        parallelism = try container.decode(UInt64.self, forKey: .parallelism)
        let salt = try container.decode(String.self, forKey: .salt)
        guard let bytes = Data(base64Encoded: salt) else {
            throw DecodingError.dataCorruptedError(forKey: .salt, in: container, debugDescription: "salt is not base64")
        }
        self.salt = Array(bytes)
    }

    /// Encodes `{"N":…,"r":…,"p":…,"salt":"base64"}`.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cost, forKey: .cost)
        try container.encode(blockSize, forKey: .blockSize)
        try container.encode(parallelism, forKey: .parallelism)
        try container.encode(Data(salt).base64EncodedString(), forKey: .salt)
    }
}

/// scrypt (RFC 7914) through `EVP_PBE_scrypt`.
package enum Scrypt {
    /// Upper bound on the memory one derivation may use (1 GiB).
    static let maxMemory: UInt64 = 1 << 30

    /// Derives `outputByteCount` bytes from `passphrase` with `parameters`.
    package static func deriveKey(passphrase: some ContiguousBytes, parameters: ScryptParameters, outputByteCount: Int = 32) throws -> SymmetricKey {
        let p = parameters
        guard outputByteCount > 0, outputByteCount <= 1 << 16 else {
            throw CryptoError.invalidFormat("scrypt output length must be 1...65536 bytes")
        }
        guard p.cost > 1, p.cost & (p.cost - 1) == 0, p.cost <= 1 << 24 else {
            throw CryptoError.invalidFormat("scrypt N must be a power of two between 2 and 2^24")
        }
        // Stored parameters may have been tampered with: bound each factor before multiplying,
        // so that no product can overflow (and trap).
        guard p.blockSize >= 1, p.parallelism >= 1, p.blockSize < 1 << 30, p.parallelism < 1 << 30,
            p.blockSize * p.parallelism < 1 << 30
        else {
            throw CryptoError.invalidFormat("scrypt r and p must be positive and r·p < 2^30")
        }
        guard 128 * p.blockSize * p.cost <= maxMemory else {
            throw CryptoError.invalidFormat("scrypt parameters need more than 1 GiB of memory")
        }
        let storage = try SecureBytes(count: outputByteCount) { out in
            // Lend the caller's bytes directly: a copy would be one more unwiped trace of the
            // passphrase. OpenSSL wants non-NULL pointers even when empty (RFC 7914 vector 1).
            var empty: UInt8 = 0
            let ok = passphrase.withUnsafeBytes { pass in
                p.salt.withUnsafeBufferPointer { salt in
                    withUnsafeMutablePointer(to: &empty) { empty in
                        EVP_PBE_scrypt(
                            UnsafeRawPointer(pass.count > 0 ? pass.baseAddress! : UnsafeRawPointer(empty)).assumingMemoryBound(to: CChar.self),
                            pass.count,
                            salt.count > 0 ? salt.baseAddress! : UnsafePointer(empty),
                            salt.count,
                            p.cost,
                            p.blockSize,
                            p.parallelism,
                            maxMemory + (1 << 20),
                            out.baseAddress?.assumingMemoryBound(to: UInt8.self),
                            out.count
                        )
                    }
                }
            }
            guard ok == 1 else { throw CryptoError.openSSL("EVP_PBE_scrypt") }
        }
        return SymmetricKey(storage: storage)
    }
}
