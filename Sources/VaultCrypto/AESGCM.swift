import COpenSSL
package import Foundation

/// The Advanced Encryption Standard, in the modes the vault uses.
package enum AES {
    /// AES-256 in Galois/Counter Mode (NIST SP 800-38D) with 128-bit tags.
    package enum GCM {
        /// Tag length in bytes.
        package static let tagByteCount = 16
        /// Key length in bytes: the vault uses AES-256 only.
        package static let keyByteCount = 32

        /// Seals `message` under `key` with a fresh random 96-bit nonce, binding `authenticatedData`.
        package static func seal(
            _ message: some ContiguousBytes,
            using key: SymmetricKey,
            authenticating authenticatedData: some ContiguousBytes,
            random: some RandomSource = SystemRandom()
        ) throws -> SealedBox {
            try seal(message, using: key, nonce: Nonce(using: random), authenticating: authenticatedData)
        }

        /// Seals `message` under `key` with a fresh random 96-bit nonce and no associated data.
        package static func seal(_ message: some ContiguousBytes, using key: SymmetricKey) throws -> SealedBox {
            try seal(message, using: key, authenticating: [UInt8]())
        }

        /// Seals `message` under `key` with the given `nonce`; never reuse a nonce with one key.
        package static func seal(
            _ message: some ContiguousBytes,
            using key: SymmetricKey,
            nonce: Nonce,
            authenticating authenticatedData: some ContiguousBytes
        ) throws -> SealedBox {
            try message.withUnsafeBytes { message in
                try authenticatedData.withUnsafeBytes { authenticatedData in
                    try SealedBox(nonce: nonce, ciphertextCount: message.count) { ciphertext, tag in
                        try nonce.bytes.withUnsafeBytes { nonce in
                            try seal(message, key: key, nonce: nonce, authenticatedData: authenticatedData, ciphertext: ciphertext, tag: tag)
                        }
                    }
                }
            }
        }

        /// Opens `box` under `key`, checking `authenticatedData`; any mismatch is `authenticationFailure`.
        package static func open(
            _ box: SealedBox,
            using key: SymmetricKey,
            authenticating authenticatedData: some ContiguousBytes
        ) throws -> [UInt8] {
            try authenticatedData.withUnsafeBytes { authenticatedData in
                try box.withParts { nonce, ciphertext, tag in
                    try open(nonce: nonce, ciphertext: ciphertext, tag: tag, using: key, authenticatedData: authenticatedData)
                }
            }
        }

        /// Opens `box` under `key` when it was sealed without associated data.
        package static func open(_ box: SealedBox, using key: SymmetricKey) throws -> [UInt8] {
            try open(box, using: key, authenticating: [UInt8]())
        }

        /// Opens a combined representation (`version ‖ nonce ‖ ciphertext ‖ tag`) without copying it first.
        package static func open(
            combined: some ContiguousBytes,
            using key: SymmetricKey,
            authenticating authenticatedData: some ContiguousBytes
        ) throws -> [UInt8] {
            try combined.withUnsafeBytes { combined in
                try authenticatedData.withUnsafeBytes { authenticatedData in
                    let parts = try SealedBox.split(combined: combined)
                    return try open(
                        nonce: parts.nonce,
                        ciphertext: parts.ciphertext,
                        tag: parts.tag,
                        using: key,
                        authenticatedData: authenticatedData
                    )
                }
            }
        }
    }
}

// The generic entry points above only lend bytes; the work is done here, non-generic, so that it is
// compiled once and specialised, whatever module calls in.
extension AES.GCM {
    /// Seals the combined representation in one buffer (for key wrapping, where nothing else is needed).
    static func sealCombined(
        _ message: UnsafeRawBufferPointer,
        using key: SymmetricKey,
        authenticating authenticatedData: UnsafeRawBufferPointer,
        random: some RandomSource
    ) throws -> [UInt8] {
        let count = 1 + Nonce.byteCount + message.count + tagByteCount
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            let out = UnsafeMutableRawBufferPointer(buffer)
            out[0] = SealedBox.formatVersion
            let nonce = UnsafeMutableRawBufferPointer(rebasing: out[1..<(1 + Nonce.byteCount)])
            random.fill(nonce)
            let ciphertext = out.baseAddress! + 1 + Nonce.byteCount
            try seal(
                message,
                key: key,
                nonce: UnsafeRawBufferPointer(nonce),
                authenticatedData: authenticatedData,
                ciphertext: ciphertext,
                tag: ciphertext + message.count
            )
            initialized = count
        }
    }

    /// Opens a combined representation straight into key storage, so the plaintext key never
    /// sits in an ordinary array.
    static func openKey(
        combined: UnsafeRawBufferPointer,
        using key: SymmetricKey,
        authenticating authenticatedData: UnsafeRawBufferPointer
    ) throws -> SymmetricKey {
        let parts = try SealedBox.split(combined: combined)
        let storage = try SecureBytes(count: parts.ciphertext.count) { plaintext in
            try open(
                parts.ciphertext,
                nonce: parts.nonce,
                tag: parts.tag,
                key: key,
                authenticatedData: authenticatedData,
                plaintext: plaintext.baseAddress
            )
        }
        return SymmetricKey(storage: storage)
    }

    private static func open(
        nonce: UnsafeRawBufferPointer,
        ciphertext: UnsafeRawBufferPointer,
        tag: UnsafeRawBufferPointer,
        using key: SymmetricKey,
        authenticatedData: UnsafeRawBufferPointer
    ) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: ciphertext.count) { plaintext, initialized in
            try open(ciphertext, nonce: nonce, tag: tag, key: key, authenticatedData: authenticatedData, plaintext: plaintext.baseAddress)
            initialized = ciphertext.count
        }
    }

    /// Encrypts `message` into `ciphertext` (as many bytes) and writes the 16-byte tag to `tag`.
    private static func seal(
        _ message: UnsafeRawBufferPointer,
        key: SymmetricKey,
        nonce: UnsafeRawBufferPointer,
        authenticatedData: UnsafeRawBufferPointer,
        ciphertext: UnsafeMutableRawPointer,
        tag: UnsafeMutableRawPointer
    ) throws {
        try checkKey(key)
        try withContext(encrypting: true, key: key, nonce: nonce) { ctx in
            try update(ctx, input: authenticatedData, output: nil)
            try update(ctx, input: message, output: ciphertext)
            var finalWritten: Int32 = 0
            var scratch: UInt8 = 0
            guard EVP_EncryptFinal_ex(ctx, &scratch, &finalWritten) == 1 else { throw CryptoError.openSSL("EVP_EncryptFinal_ex") }
            guard cvault_gcm_get_tag(ctx, tag.assumingMemoryBound(to: UInt8.self), tagByteCount) == 1 else {
                throw CryptoError.openSSL("EVP_CTRL_AEAD_GET_TAG")
            }
        }
    }

    /// Decrypts into `plaintext` (as many bytes as `ciphertext`) and checks the tag; on any failure
    /// wipes `plaintext` and throws `authenticationFailure`.
    private static func open(
        _ ciphertext: UnsafeRawBufferPointer,
        nonce: UnsafeRawBufferPointer,
        tag: UnsafeRawBufferPointer,
        key: SymmetricKey,
        authenticatedData: UnsafeRawBufferPointer,
        plaintext: UnsafeMutableRawPointer?
    ) throws {
        try checkKey(key)
        guard tag.count == tagByteCount, nonce.count > 0 else { throw CryptoError.authenticationFailure }
        do {
            try withContext(encrypting: false, key: key, nonce: nonce) { ctx in
                try update(ctx, input: authenticatedData, output: nil)
                try update(ctx, input: ciphertext, output: plaintext)
                guard cvault_gcm_set_tag(ctx, tag.baseAddress?.assumingMemoryBound(to: UInt8.self), tag.count) == 1 else {
                    throw CryptoError.authenticationFailure
                }
                var finalWritten: Int32 = 0
                var scratch: UInt8 = 0
                guard EVP_DecryptFinal_ex(ctx, &scratch, &finalWritten) == 1 else { throw CryptoError.authenticationFailure }
            }
        } catch {
            // Never hand back, or leave behind in freed memory, plaintext that failed authentication.
            if let plaintext, ciphertext.count > 0 { OPENSSL_cleanse(plaintext, ciphertext.count) }
            ERR_clear_error()
            throw CryptoError.authenticationFailure
        }
    }

    private static func checkKey(_ key: SymmetricKey) throws {
        guard key.byteCount == keyByteCount else {
            throw CryptoError.invalidKeySize(expected: keyByteCount, actual: key.byteCount)
        }
    }

    /// Runs `body` with a context set up for `key` and `nonce`: the thread's reusable one for
    /// 96-bit nonces, a fresh one for the other lengths that only test vectors use.
    private static func withContext(
        encrypting: Bool,
        key: SymmetricKey,
        nonce: UnsafeRawBufferPointer,
        _ body: (OpaquePointer) throws -> Void
    ) throws {
        if nonce.count == Nonce.byteCount {
            let slot = try (encrypting ? ThreadLocalContext.encrypt : ThreadLocalContext.decrypt).slot()
            let keyID = key.storage.id
            let holdsKey = slot.pointee.keyID == keyID
            // Until this operation has succeeded the context's key state is not to be trusted again.
            slot.pointee.keyID = 0
            try start(slot.pointee.context, key: holdsKey ? nil : key, nonce: nonce, encrypting: encrypting)
            try body(slot.pointee.context)
            slot.pointee.keyID = keyID
            return
        }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.openSSL("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        guard EVP_CipherInit_ex2(ctx, Algorithms.aes256gcm, nil, nil, encrypting ? 1 : 0, nil) == 1,
            cvault_gcm_set_iv_length(ctx, nonce.count) == 1
        else { throw CryptoError.openSSL("EVP_CipherInit_ex2") }
        try start(ctx, key: key, nonce: nonce, encrypting: encrypting)
        try body(ctx)
    }

    /// Sets the nonce, and the key unless the context already holds it (`key == nil`).
    private static func start(_ ctx: OpaquePointer, key: SymmetricKey?, nonce: UnsafeRawBufferPointer, encrypting: Bool) throws {
        let nonceBytes = nonce.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let started: Int32
        if let key {
            started = key.withUnsafeBytes { k in
                EVP_CipherInit_ex2(ctx, nil, k.baseAddress?.assumingMemoryBound(to: UInt8.self), nonceBytes, encrypting ? 1 : 0, nil)
            }
        } else {
            started = EVP_CipherInit_ex2(ctx, nil, nil, nonceBytes, encrypting ? 1 : 0, nil)
        }
        guard started == 1 else { throw CryptoError.openSSL("EVP_CipherInit_ex2") }
    }

    /// EVP lengths are `Int32`: feed longer inputs in pieces rather than trap on the conversion.
    private static let maxUpdate = 1 << 30

    /// Feeds `input` as associated data (`output == nil`) or as text to encrypt or decrypt into `output`.
    private static func update(_ ctx: OpaquePointer, input: UnsafeRawBufferPointer, output: UnsafeMutableRawPointer?) throws {
        guard let base = input.baseAddress else { return }
        var offset = 0
        while offset < input.count {
            let chunk = min(input.count - offset, maxUpdate)
            var written: Int32 = 0
            let ok = EVP_CipherUpdate(
                ctx,
                output.map { ($0 + offset).assumingMemoryBound(to: UInt8.self) },
                &written,
                (base + offset).assumingMemoryBound(to: UInt8.self),
                Int32(chunk)
            )
            guard ok == 1, output == nil || Int(written) == chunk else { throw CryptoError.openSSL("EVP_CipherUpdate") }
            offset += chunk
        }
    }
}
