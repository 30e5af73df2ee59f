import COpenSSL
public import Foundation

/// The Advanced Encryption Standard, in the modes the vault uses.
public enum AES {
    /// AES-256 in Galois/Counter Mode (NIST SP 800-38D) with 128-bit tags.
    public enum GCM {
        /// Tag length in bytes.
        public static let tagByteCount = 16
        /// Key length in bytes: the vault uses AES-256 only.
        public static let keyByteCount = 32

        /// Seals `message` under `key` with a fresh random 96-bit nonce, binding `authenticatedData`.
        public static func seal(
            _ message: some ContiguousBytes,
            using key: SymmetricKey,
            authenticating authenticatedData: some ContiguousBytes,
            random: some RandomSource = SystemRandom()
        ) throws -> SealedBox {
            try seal(message, using: key, nonce: Nonce(using: random), authenticating: authenticatedData)
        }

        /// Seals `message` under `key` with a fresh random 96-bit nonce and no associated data.
        public static func seal(_ message: some ContiguousBytes, using key: SymmetricKey) throws -> SealedBox {
            try seal(message, using: key, authenticating: [UInt8]())
        }

        /// Seals `message` under `key` with the given `nonce`; never reuse a nonce with one key.
        public static func seal(
            _ message: some ContiguousBytes,
            using key: SymmetricKey,
            nonce: Nonce,
            authenticating authenticatedData: some ContiguousBytes
        ) throws -> SealedBox {
            try checkKey(key)
            var ciphertext = [UInt8](repeating: 0, count: message.withUnsafeBytes { $0.count })
            var tag = [UInt8](repeating: 0, count: tagByteCount)
            try withContext(encrypting: true, nonceCount: nonce.bytes.count) { ctx in
                let initialised = key.withUnsafeBytes { k in
                    nonce.bytes.withUnsafeBufferPointer { n in
                        EVP_EncryptInit_ex2(ctx, nil, k.baseAddress?.assumingMemoryBound(to: UInt8.self), n.baseAddress, nil)
                    }
                }
                guard initialised == 1 else { throw CryptoError.openSSL("EVP_EncryptInit_ex2") }
                try authenticatedData.withUnsafeBytes { try update(ctx, aad: $0) }
                var written: Int32 = 0
                try message.withUnsafeBytes { input in
                    guard input.count > 0 else { return }
                    let ok = ciphertext.withUnsafeMutableBufferPointer { out in
                        EVP_EncryptUpdate(ctx, out.baseAddress, &written, input.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(input.count))
                    }
                    guard ok == 1 else { throw CryptoError.openSSL("EVP_EncryptUpdate") }
                }
                var finalWritten: Int32 = 0
                var scratch: UInt8 = 0
                guard EVP_EncryptFinal_ex(ctx, &scratch, &finalWritten) == 1 else { throw CryptoError.openSSL("EVP_EncryptFinal_ex") }
                guard tag.withUnsafeMutableBufferPointer({ cvault_gcm_get_tag(ctx, $0.baseAddress, $0.count) }) == 1 else {
                    throw CryptoError.openSSL("EVP_CTRL_AEAD_GET_TAG")
                }
            }
            return SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag)
        }

        /// Opens `box` under `key`, checking `authenticatedData`; any mismatch is `authenticationFailure`.
        public static func open(
            _ box: SealedBox,
            using key: SymmetricKey,
            authenticating authenticatedData: some ContiguousBytes
        ) throws -> [UInt8] {
            try box.ciphertext.withUnsafeBytes { ciphertext in
                try box.tag.withUnsafeBytes { tag in
                    try open(nonce: box.nonce.bytes, ciphertext: ciphertext, tag: tag, using: key, authenticating: authenticatedData)
                }
            }
        }

        /// Opens `box` under `key` when it was sealed without associated data.
        public static func open(_ box: SealedBox, using key: SymmetricKey) throws -> [UInt8] {
            try open(box, using: key, authenticating: [UInt8]())
        }

        /// Opens a combined representation (`version ‖ nonce ‖ ciphertext ‖ tag`) without copying it first.
        public static func open(
            combined: some ContiguousBytes,
            using key: SymmetricKey,
            authenticating authenticatedData: some ContiguousBytes
        ) throws -> [UInt8] {
            try combined.withUnsafeBytes { buffer in
                let parts = try SealedBox.split(combined: buffer)
                return try open(nonce: Array(parts.nonce), ciphertext: parts.ciphertext, tag: parts.tag, using: key, authenticating: authenticatedData)
            }
        }

        private static func open(
            nonce: [UInt8],
            ciphertext: UnsafeRawBufferPointer,
            tag: UnsafeRawBufferPointer,
            using key: SymmetricKey,
            authenticating authenticatedData: some ContiguousBytes
        ) throws -> [UInt8] {
            try checkKey(key)
            guard tag.count == tagByteCount else { throw CryptoError.authenticationFailure }
            var plaintext = [UInt8](repeating: 0, count: ciphertext.count)
            do {
                try withContext(encrypting: false, nonceCount: nonce.count) { ctx in
                    let initialised = key.withUnsafeBytes { k in
                        nonce.withUnsafeBufferPointer { n in
                            EVP_DecryptInit_ex2(ctx, nil, k.baseAddress?.assumingMemoryBound(to: UInt8.self), n.baseAddress, nil)
                        }
                    }
                    guard initialised == 1 else { throw CryptoError.openSSL("EVP_DecryptInit_ex2") }
                    try authenticatedData.withUnsafeBytes { try update(ctx, aad: $0) }
                    if ciphertext.count > 0 {
                        var written: Int32 = 0
                        let ok = plaintext.withUnsafeMutableBufferPointer { out in
                            EVP_DecryptUpdate(ctx, out.baseAddress, &written, ciphertext.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(ciphertext.count))
                        }
                        guard ok == 1 else { throw CryptoError.authenticationFailure }
                    }
                    guard cvault_gcm_set_tag(ctx, tag.baseAddress?.assumingMemoryBound(to: UInt8.self), tag.count) == 1 else {
                        throw CryptoError.authenticationFailure
                    }
                    var finalWritten: Int32 = 0
                    var scratch: UInt8 = 0
                    guard EVP_DecryptFinal_ex(ctx, &scratch, &finalWritten) == 1 else { throw CryptoError.authenticationFailure }
                }
            } catch {
                // Never hand back, or leave behind, plaintext that failed authentication.
                cleanse(&plaintext)
                ERR_clear_error()
                throw CryptoError.authenticationFailure
            }
            return plaintext
        }

        private static func checkKey(_ key: SymmetricKey) throws {
            guard key.byteCount == keyByteCount else {
                throw CryptoError.invalidKeySize(expected: keyByteCount, actual: key.byteCount)
            }
        }

        private static func update(_ ctx: OpaquePointer, aad: UnsafeRawBufferPointer) throws {
            guard aad.count > 0 else { return }
            var written: Int32 = 0
            guard EVP_CipherUpdate(ctx, nil, &written, aad.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(aad.count)) == 1 else {
                throw CryptoError.openSSL("EVP_CipherUpdate(aad)")
            }
        }

        /// Runs `body` with a context ready for a key and nonce: the thread's reusable one for
        /// 96-bit nonces, a fresh one for the other lengths that only test vectors use.
        private static func withContext(encrypting: Bool, nonceCount: Int, _ body: (OpaquePointer) throws -> Void) throws {
            if nonceCount == Nonce.byteCount {
                try body(try (encrypting ? ThreadLocalContext.encrypt : ThreadLocalContext.decrypt).get())
                return
            }
            guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.openSSL("EVP_CIPHER_CTX_new") }
            defer { EVP_CIPHER_CTX_free(ctx) }
            guard EVP_CipherInit_ex2(ctx, Algorithms.aes256gcm, nil, nil, encrypting ? 1 : 0, nil) == 1,
                  cvault_gcm_set_iv_length(ctx, nonceCount) == 1
            else { throw CryptoError.openSSL("EVP_CipherInit_ex2") }
            try body(ctx)
        }
    }
}

extension AES.GCM {
    /// A GCM nonce: 96 random bits for everything the vault seals.
    public struct Nonce: Sendable, Equatable {
        /// Length of the nonces the vault generates.
        public static let byteCount = 12

        /// The nonce's bytes.
        public let bytes: [UInt8]

        /// A fresh random 96-bit nonce.
        public init(using random: some RandomSource = SystemRandom()) {
            bytes = random.bytes(Self.byteCount)
        }

        /// A nonce from given bytes (any non-empty length, as GCM allows; the vault itself uses 12).
        public init(data: some ContiguousBytes) throws {
            let bytes = data.withUnsafeBytes { Array($0) }
            guard !bytes.isEmpty, bytes.count <= 128 else { throw CryptoError.invalidNonceSize }
            self.bytes = bytes
        }
    }

    /// A nonce, ciphertext and tag, with a self-describing combined representation.
    public struct SealedBox: Sendable {
        /// The combined format's version byte.
        public static let formatVersion: UInt8 = 1

        /// The nonce used to seal.
        public let nonce: Nonce
        /// The encrypted message, as long as the plaintext.
        public let ciphertext: [UInt8]
        /// The 16-byte authentication tag.
        public let tag: [UInt8]

        init(nonce: Nonce, ciphertext: [UInt8], tag: [UInt8]) {
            self.nonce = nonce
            self.ciphertext = ciphertext
            self.tag = tag
        }

        /// `version ‖ nonce(12) ‖ ciphertext ‖ tag(16)`.
        public var combined: [UInt8] {
            precondition(nonce.bytes.count == Nonce.byteCount, "the combined format holds 96-bit nonces only")
            var out = [UInt8]()
            out.reserveCapacity(1 + nonce.bytes.count + ciphertext.count + tag.count)
            out.append(Self.formatVersion)
            out += nonce.bytes
            out += ciphertext
            out += tag
            return out
        }

        /// Parses the combined representation.
        public init(combined: some ContiguousBytes) throws {
            (nonce, ciphertext, tag) = try combined.withUnsafeBytes { buffer in
                let parts = try Self.split(combined: buffer)
                return (try Nonce(data: parts.nonce), Array(parts.ciphertext), Array(parts.tag))
            }
        }

        static func split(combined buffer: UnsafeRawBufferPointer) throws -> (nonce: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer) {
            let overhead = 1 + Nonce.byteCount + tagByteCount
            guard buffer.count >= overhead else { throw CryptoError.invalidFormat("sealed box shorter than its header and tag") }
            guard buffer[0] == formatVersion else { throw CryptoError.unsupportedVersion(buffer[0]) }
            let nonceEnd = 1 + Nonce.byteCount
            let tagStart = buffer.count - tagByteCount
            return (
                UnsafeRawBufferPointer(rebasing: buffer[1..<nonceEnd]),
                UnsafeRawBufferPointer(rebasing: buffer[nonceEnd..<tagStart]),
                UnsafeRawBufferPointer(rebasing: buffer[tagStart...])
            )
        }
    }
}
