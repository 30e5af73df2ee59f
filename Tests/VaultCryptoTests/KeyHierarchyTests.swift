import Testing

@testable import VaultCrypto

/// The key hierarchy: key check, KEK and DEK wrapping, subkeys, the signing key.
struct KeyHierarchyTests {
    let root = SymmetricKey(using: DeterministicRandom(seed: 10))
    let vaultID = "vault-3f2a"

    @Test("the key-check value accepts the right root key and detects a wrong one")
    func keyCheck() throws {
        let hierarchy = try KeyHierarchy(root: root, vaultID: vaultID)
        let check = hierarchy.keyCheckValue
        #expect(check.count == 32)
        try hierarchy.verify(keyCheckValue: check)
        #expect(try KeyHierarchy(root: root, vaultID: vaultID).keyCheckValue == check)

        let wrongRoot = try KeyHierarchy(root: SymmetricKey(using: DeterministicRandom(seed: 11)), vaultID: vaultID)
        #expect(throws: CryptoError.wrongRootKey) { try wrongRoot.verify(keyCheckValue: check) }
        let otherVault = try KeyHierarchy(root: root, vaultID: "vault-other")
        #expect(throws: CryptoError.wrongRootKey) { try otherVault.verify(keyCheckValue: check) }
        #expect(throws: CryptoError.wrongRootKey) { try hierarchy.verify(keyCheckValue: check.flippingBit(0)) }
        #expect(throws: CryptoError.wrongRootKey) { try hierarchy.verify(keyCheckValue: Array(check.prefix(16))) }
        #expect(throws: CryptoError.invalidKeySize(expected: 32, actual: 16)) {
            try KeyHierarchy(root: SymmetricKey(byteCount: 16), vaultID: vaultID)
        }
    }

    @Test("subkeys differ by purpose and by vault, and are stable")
    func subkeys() throws {
        let hierarchy = try KeyHierarchy(root: root, vaultID: vaultID)
        #expect(hierarchy.blindIndexKey != hierarchy.tokenKey)
        #expect(hierarchy.blindIndexKey != root && hierarchy.tokenKey != root)
        #expect(hierarchy.blindIndexKey.byteCount == 32 && hierarchy.tokenKey.byteCount == 32)

        let again = try KeyHierarchy(root: root, vaultID: vaultID)
        #expect(again.blindIndexKey == hierarchy.blindIndexKey && again.tokenKey == hierarchy.tokenKey)
        let other = try KeyHierarchy(root: root, vaultID: "vault-other")
        #expect(other.blindIndexKey != hierarchy.blindIndexKey && other.tokenKey != hierarchy.tokenKey)

        let email = "jane@example.com"
        #expect(hierarchy.blindIndex(field: "email", value: email) == again.blindIndex(field: "email", value: email))
        #expect(hierarchy.blindIndex(field: "email", value: email) != hierarchy.blindIndex(field: "phone", value: email))
        #expect(hierarchy.blindIndex(field: "email", value: email) != hierarchy.tokenHash(email))
        #expect(hierarchy.blindIndex(field: "email", value: email) != SHA256.hash(data: Array(email.utf8)).bytes)
        #expect(hierarchy.tokenHash("t1") != hierarchy.tokenHash("t2"))
    }

    @Test("a wrapped DEK opens only for its customer and under its KEK version")
    func dekWrapping() throws {
        let kek = KeyEncryptionKey.generate(version: 3, using: DeterministicRandom(seed: 12))
        let dek = SymmetricKey()
        let wrapped = try kek.wrap(dek, customerID: "cus_1")
        #expect(wrapped.kekVersion == 3)
        #expect(try kek.unwrap(wrapped, customerID: "cus_1") == dek)

        let stored = try WrappedKey(serialized: wrapped.serialized)
        #expect(stored == wrapped)
        #expect(try kek.unwrap(stored, customerID: "cus_1") == dek)

        #expect(throws: CryptoError.authenticationFailure) { try kek.unwrap(wrapped, customerID: "cus_2") }
        #expect(throws: CryptoError.authenticationFailure) { try kek.unwrap(wrapped, customerID: "cus_1 ") }
        #expect(throws: CryptoError.authenticationFailure) { try kek.unwrap(wrapped, customerID: "") }
        #expect(throws: CryptoError.authenticationFailure) { try KeyEncryptionKey.generate(version: 4).unwrap(wrapped, customerID: "cus_1") }
        #expect(throws: CryptoError.authenticationFailure) { try KeyEncryptionKey.generate(version: 3).unwrap(wrapped, customerID: "cus_1") }

        // Rewriting the version in the header is not enough: the version is bound in the associated data.
        var relabelled = wrapped.serialized
        relabelled[4] = 4
        let sameKeyOtherVersion = KeyEncryptionKey(version: 4, key: kek.key)
        #expect(throws: CryptoError.authenticationFailure) { try sameKeyOtherVersion.unwrap(WrappedKey(serialized: relabelled), customerID: "cus_1") }

        // Bits 40-47 are the inner box's version byte (an unsupported version); every later bit authenticates.
        for bit in 48..<(wrapped.serialized.count * 8) {
            let tampered = try WrappedKey(serialized: wrapped.serialized.flippingBit(bit))
            #expect(throws: CryptoError.authenticationFailure, "bit \(bit)") { try kek.unwrap(tampered, customerID: "cus_1") }
        }
    }

    @Test("only 256-bit DEKs are wrapped, since only those unwrap")
    func dekSize() throws {
        let kek = KeyEncryptionKey.generate(version: 1)
        for size in [16, 31, 33, 64] {
            #expect(throws: CryptoError.invalidKeySize(expected: 32, actual: size)) { try kek.wrap(SymmetricKey(byteCount: size), customerID: "c") }
        }
    }

    @Test("wrapped-key blobs: too short or of an unknown format are refused")
    func wrappedKeyFormat() throws {
        #expect(throws: CryptoError.invalidFormat("wrapped key too short")) { try WrappedKey(serialized: [1, 0, 0, 0, 1]) }
        #expect(throws: CryptoError.unsupportedVersion(2)) { try WrappedKey(serialized: [2, 0, 0, 0, 1, 0]) }
        let kek = KeyEncryptionKey.generate(version: 1)
        let truncated = try WrappedKey(serialized: Array(try kek.wrap(SymmetricKey(), customerID: "c").serialized.prefix(20)))
        #expect(throws: CryptoError.self) { try kek.unwrap(truncated, customerID: "c") }
    }

    @Test("KEKs wrap under the root and unwrap only for their version and root")
    func kekWrapping() throws {
        let hierarchy = try KeyHierarchy(root: root, vaultID: vaultID)
        let kek = KeyEncryptionKey.generate(version: 2)
        let wrapped = try hierarchy.wrap(kek)
        let unwrapped = try hierarchy.unwrapKEK(wrapped, version: 2)
        #expect(unwrapped.version == 2 && unwrapped.key == kek.key)
        #expect(throws: CryptoError.authenticationFailure) { try hierarchy.unwrapKEK(wrapped, version: 1) }
        let wrongRoot = try KeyHierarchy(root: SymmetricKey(), vaultID: vaultID)
        #expect(throws: CryptoError.authenticationFailure) { try wrongRoot.unwrapKEK(wrapped, version: 2) }
        // The signing-key slot is a different context: a KEK blob does not open there.
        #expect(throws: CryptoError.authenticationFailure) { try hierarchy.unwrapSigningKey(wrapped) }
    }

    @Test("the Ed25519 signing key round-trips through wrap and unwrap")
    func signingKey() throws {
        let hierarchy = try KeyHierarchy(root: root, vaultID: vaultID)
        let signingKey = try Ed25519.PrivateKey()
        let wrapped = try hierarchy.wrap(signingKey)
        let unwrapped = try hierarchy.unwrapSigningKey(wrapped)
        #expect(unwrapped.publicKey == signingKey.publicKey)
        #expect(unwrapped.rawRepresentation == signingKey.rawRepresentation)
        let message = Array("checkpoint 7".utf8)
        #expect(try unwrapped.signature(for: message) == signingKey.signature(for: message))
        #expect(throws: CryptoError.authenticationFailure) { try hierarchy.unwrapSigningKey(wrapped.flippingBit(100)) }
        let wrongRoot = try KeyHierarchy(root: SymmetricKey(), vaultID: vaultID)
        #expect(throws: CryptoError.authenticationFailure) { try wrongRoot.unwrapSigningKey(wrapped) }
    }
}
