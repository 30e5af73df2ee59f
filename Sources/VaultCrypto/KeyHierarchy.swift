/// The keys derived from a vault's root key: the key check, the wrapping key for the signing key
/// (and, in vaults from before key epochs, the KEKs), the wrapping key for key epochs, and the
/// subkeys for blind indexes, token hashing and the erasure ledger.
///
/// Every subkey comes from HKDF-SHA256 over the root with the vault id as salt and a distinct
/// label as info, so no two uses ever share a key.
package struct KeyHierarchy: Sendable {
    private let wrappingKey: SymmetricKey
    private let epochWrappingKey: SymmetricKey
    private let erasureKey: SymmetricKey
    private let checkKey: SymmetricKey
    /// HMAC key for blind indexes (lookup fields such as email).
    package let blindIndexKey: SymmetricKey
    /// HMAC key for bearer-token hashes.
    package let tokenKey: SymmetricKey
    private let blindIndexMAC: HMACSHA256.Keyed
    private let tokenMAC: HMACSHA256.Keyed
    private let portalMAC: HMACSHA256.Keyed

    /// Derives the hierarchy for the vault `vaultID` from `root`.
    package init(root: SymmetricKey, vaultID: String) throws {
        guard root.byteCount == 32 else { throw CryptoError.invalidKeySize(expected: 32, actual: root.byteCount) }
        let salt = Array("cvault/vault/\(vaultID)".utf8)
        func derive(_ label: String) throws -> SymmetricKey {
            try HKDF.deriveKey(inputKeyMaterial: root, salt: salt, info: Array(label.utf8))
        }
        wrappingKey = try derive("cvault/key-wrap/v1")
        epochWrappingKey = try derive("cvault/epoch-wrap/v1")
        erasureKey = try derive("cvault/erasure-ledger/v1")
        checkKey = try derive("cvault/key-check/v1")
        blindIndexKey = try derive("cvault/blind-index/v1")
        tokenKey = try derive("cvault/token-hash/v1")
        blindIndexMAC = HMACSHA256.Keyed(blindIndexKey)
        tokenMAC = HMACSHA256.Keyed(tokenKey)
        portalMAC = HMACSHA256.Keyed(try derive("cvault/portal/v1"))
    }

    /// A value that identifies the root key without revealing it; stored in the vault metadata.
    package var keyCheckValue: [UInt8] {
        HMACSHA256.authenticationCode(for: Array("cvault key check value".utf8), using: checkKey).bytes
    }

    /// Throws `CryptoError.wrongRootKey` unless `stored` matches this root key (constant time).
    package func verify(keyCheckValue stored: [UInt8]) throws {
        guard HMACSHA256.isValidAuthenticationCode(stored, authenticating: Array("cvault key check value".utf8), using: checkKey) else {
            throw CryptoError.wrongRootKey
        }
    }

    /// Wraps a key epoch's KEK for the key store outside the database, binding its version. A
    /// different subkey than `wrap(_:)` uses, so no KEK a database ever held opens under it.
    package func wrapEpoch(_ kek: KeyEncryptionKey, random: some RandomSource = SystemRandom()) throws -> [UInt8] {
        try kek.key.withUnsafeBytes { try Self.seal($0, under: epochWrappingKey, context: Self.epochContext(kek.version), random: random) }
    }

    /// Unwraps the KEK of key epoch `version` from the key store.
    package func unwrapEpoch(_ wrapped: [UInt8], version: UInt32) throws -> KeyEncryptionKey {
        KeyEncryptionKey(version: version, key: try Self.open(wrapped, under: epochWrappingKey, context: Self.epochContext(version)))
    }

    /// The erasure ledger's tag for a customer id: HMAC-SHA256 under its own subkey, so the ledger
    /// holds no id, yet a restore can tell which customers of a backup were erased since.
    package func erasureTag(customerID: String) -> [UInt8] {
        HMACSHA256.authenticationCode(for: Array(customerID.utf8), using: erasureKey).bytes
    }

    /// Wraps a KEK under the root's wrapping key, binding its version (vaults from before key
    /// epochs kept their KEKs in the database this way).
    package func wrap(_ kek: KeyEncryptionKey, random: some RandomSource = SystemRandom()) throws -> [UInt8] {
        try kek.key.withUnsafeBytes { try Self.seal($0, under: wrappingKey, context: Self.kekContext(kek.version), random: random) }
    }

    /// Unwraps the KEK of `version`.
    package func unwrapKEK(_ wrapped: [UInt8], version: UInt32) throws -> KeyEncryptionKey {
        KeyEncryptionKey(version: version, key: try Self.open(wrapped, under: wrappingKey, context: Self.kekContext(version)))
    }

    /// Wraps the vault's Ed25519 checkpoint-signing key.
    package func wrap(_ signingKey: Ed25519.PrivateKey, random: some RandomSource = SystemRandom()) throws -> [UInt8] {
        try signingKey.rawRepresentation.withUnsafeBytes { try Self.seal($0, under: wrappingKey, context: Self.signingKeyContext, random: random) }
    }

    /// Unwraps the vault's Ed25519 checkpoint-signing key.
    package func unwrapSigningKey(_ wrapped: [UInt8]) throws -> Ed25519.PrivateKey {
        let seed = try Self.open(wrapped, under: wrappingKey, context: Self.signingKeyContext)
        return try seed.withUnsafeBytes { try Ed25519.PrivateKey(rawRepresentation: $0) }
    }

    /// AES-256-GCM over a key's bytes, the context as associated data.
    private static func seal(_ bytes: UnsafeRawBufferPointer, under key: SymmetricKey, context: [UInt8], random: some RandomSource) throws -> [UInt8]
    {
        try context.withUnsafeBytes { try AES.GCM.sealCombined(bytes, using: key, authenticating: $0, random: random) }
    }

    /// Opens what `seal` made into a key whose bytes are wiped when released.
    private static func open(_ wrapped: [UInt8], under key: SymmetricKey, context: [UInt8]) throws -> SymmetricKey {
        try wrapped.withUnsafeBytes { wrapped in
            try context.withUnsafeBytes { try AES.GCM.openKey(combined: wrapped, using: key, authenticating: $0) }
        }
    }

    /// The blind index of `value` for lookup field `field`: HMAC-SHA256, keyed, field-separated.
    package func blindIndex(field: String, value: String) -> [UInt8] {
        blindIndexMAC.authenticationCode(for: Array("\(field)\u{0}\(value)".utf8)).bytes
    }

    /// The stored form of a bearer token: its HMAC under the token subkey.
    package func tokenHash(_ token: String) -> [UInt8] {
        tokenMAC.authenticationCode(for: Array(token.utf8)).bytes
    }

    /// The stored form of a portal secret (a sign-in code or link, a session cookie) or of a
    /// rate-limit key (an address, a client): HMAC under the portal subkey, separated by `use`.
    package func portalHash(_ use: String, _ secret: String) -> [UInt8] {
        portalMAC.authenticationCode(for: Array("\(use)\u{0}\(secret)".utf8)).bytes
    }

    private static let signingKeyContext = Array("cvault/signing-key/v1".utf8)

    private static func epochContext(_ version: UInt32) -> [UInt8] {
        Array("cvault/epoch/v1\u{0}".utf8) + version.bigEndianBytes
    }

    private static func kekContext(_ version: UInt32) -> [UInt8] {
        Array("cvault/kek/v1\u{0}".utf8) + version.bigEndianBytes
    }
}
