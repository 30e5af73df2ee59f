import COpenSSL
public import Foundation

/// Ed25519 signatures (RFC 8032) through EVP_PKEY.
public enum Ed25519 {
    /// Signature length in bytes.
    public static let signatureByteCount = 64
    /// Raw key length in bytes, private seed and public key alike.
    public static let keyByteCount = 32

    private final class PKey: @unchecked Sendable {
        let pointer: OpaquePointer
        init(_ pointer: OpaquePointer) { self.pointer = pointer }
        deinit { EVP_PKEY_free(pointer) }
    }

    /// An Ed25519 signing key; its seed is wiped when released.
    public struct PrivateKey: Sendable {
        private let seed: SymmetricKey
        private let pkey: PKey
        /// The matching verification key.
        public let publicKey: PublicKey

        /// A fresh key from `random`.
        public init(using random: some RandomSource = SystemRandom()) throws {
            try self.init(seed: SymmetricKey(byteCount: Ed25519.keyByteCount, using: random))
        }

        /// A key from its 32-byte seed (RFC 8032's private key).
        public init(rawRepresentation seed: some ContiguousBytes) throws {
            try self.init(seed: SymmetricKey(data: seed))
        }

        private init(seed: SymmetricKey) throws {
            guard seed.byteCount == Ed25519.keyByteCount else {
                throw CryptoError.invalidKeySize(expected: Ed25519.keyByteCount, actual: seed.byteCount)
            }
            let made = seed.withUnsafeBytes { bytes in
                EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
            }
            guard let made else { throw CryptoError.openSSL("EVP_PKEY_new_raw_private_key") }
            let pkey = PKey(made)
            var raw = [UInt8](repeating: 0, count: Ed25519.keyByteCount)
            var length = raw.count
            guard raw.withUnsafeMutableBufferPointer({ EVP_PKEY_get_raw_public_key(made, $0.baseAddress, &length) }) == 1,
                length == Ed25519.keyByteCount
            else { throw CryptoError.openSSL("EVP_PKEY_get_raw_public_key") }
            self.seed = seed
            self.pkey = pkey
            self.publicKey = try PublicKey(rawRepresentation: raw)
        }

        /// The 32-byte seed, as a key so that it is wiped after use.
        package var rawRepresentation: SymmetricKey { seed }

        /// Signs `data` (pure Ed25519: no pre-hash, no context).
        public func signature(for data: some ContiguousBytes) throws -> [UInt8] {
            guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.openSSL("EVP_MD_CTX_new") }
            defer { EVP_MD_CTX_free(ctx) }
            guard EVP_DigestSignInit_ex(ctx, nil, nil, nil, nil, pkey.pointer, nil) == 1 else {
                throw CryptoError.openSSL("EVP_DigestSignInit_ex")
            }
            var signature = [UInt8](repeating: 0, count: Ed25519.signatureByteCount)
            var length = signature.count
            let ok = data.withUnsafeBytes { message in
                signature.withUnsafeMutableBufferPointer { out in
                    EVP_DigestSign(ctx, out.baseAddress, &length, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count)
                }
            }
            guard ok == 1, length == Ed25519.signatureByteCount else { throw CryptoError.openSSL("EVP_DigestSign") }
            return signature
        }
    }

    /// An Ed25519 verification key.
    public struct PublicKey: Sendable, Equatable {
        /// The 32-byte encoded point.
        public let rawRepresentation: [UInt8]
        private let pkey: PKey

        /// A key from its 32-byte encoding.
        public init(rawRepresentation: some ContiguousBytes) throws {
            let raw = rawRepresentation.withUnsafeBytes { Array($0) }
            guard raw.count == Ed25519.keyByteCount else {
                throw CryptoError.invalidKeySize(expected: Ed25519.keyByteCount, actual: raw.count)
            }
            guard let made = raw.withUnsafeBufferPointer({ EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count) }) else {
                ERR_clear_error()
                throw CryptoError.invalidFormat("not an Ed25519 public key")
            }
            self.rawRepresentation = raw
            self.pkey = PKey(made)
        }

        /// Whether `signature` is a valid signature of `data` under this key.
        public func isValidSignature(_ signature: some ContiguousBytes, for data: some ContiguousBytes) -> Bool {
            guard let ctx = EVP_MD_CTX_new() else { return false }
            defer {
                EVP_MD_CTX_free(ctx)
                ERR_clear_error()
            }
            guard EVP_DigestVerifyInit_ex(ctx, nil, nil, nil, nil, pkey.pointer, nil) == 1 else { return false }
            return signature.withUnsafeBytes { sig in
                guard sig.count == Ed25519.signatureByteCount else { return false }
                return data.withUnsafeBytes { message in
                    EVP_DigestVerify(
                        ctx,
                        sig.baseAddress?.assumingMemoryBound(to: UInt8.self),
                        sig.count,
                        message.baseAddress?.assumingMemoryBound(to: UInt8.self),
                        message.count
                    ) == 1
                }
            }
        }

        /// Equal when the encodings are equal (public data: no constant time needed).
        public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.rawRepresentation == rhs.rawRepresentation }
    }
}
