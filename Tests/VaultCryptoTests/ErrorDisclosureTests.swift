import Foundation
import Testing

@testable import VaultCrypto

/// No error a caller can provoke renders a key or plaintext, in any form it can be printed in.
struct ErrorDisclosureTests {
    @Test("every failure path's error text is free of key and plaintext bytes")
    func noSecretsInErrors() throws {
        let random = DeterministicRandom(seed: 2024)
        let keyBytes = random.bytes(32)
        let key = SymmetricKey(data: keyBytes)
        let otherKeyBytes = random.bytes(32)
        let shortKeyBytes = random.bytes(31)
        let plaintext = Array("SSN 078-05-1120 Jane Q. Customer".utf8)
        let passphrase = Array("correct horse battery staple".utf8)
        let rootBytes = random.bytes(32)
        let dekBytes = random.bytes(32)
        let ad = Array("cus_1\u{0}profile".utf8)

        let box = try AES.GCM.seal(plaintext, using: key, authenticating: ad)
        let hierarchy = try KeyHierarchy(root: SymmetricKey(data: rootBytes), vaultID: "v1")
        let kek = KeyEncryptionKey.generate(version: 1, using: random)
        let wrapped = try kek.wrap(SymmetricKey(data: dekBytes), customerID: "cus_1")
        let directory = try KeyFileTests.Directory()
        let keyFileBytes = random.bytes(32)
        let loosePath = directory.file("loose.key")
        #expect(FileManager.default.createFile(atPath: loosePath, contents: Data(keyFileBytes), attributes: [.posixPermissions: 0o644]))
        let longFileBytes = random.bytes(33)
        let longPath = directory.file("long.key")
        #expect(FileManager.default.createFile(atPath: longPath, contents: Data(longFileBytes), attributes: [.posixPermissions: 0o600]))
        let existing = directory.file("existing.key")
        let existingKey = try KeyFile.create(at: existing)

        let secrets = [
            keyBytes, otherKeyBytes, shortKeyBytes, plaintext, passphrase, rootBytes, dekBytes, keyFileBytes, longFileBytes,
            existingKey.withUnsafeBytes { Array($0) }, kek.key.withUnsafeBytes { Array($0) },
        ].map(Secret.init)

        let failures: [(String, () throws -> Void)] = [
            ("open under another key", { _ = try AES.GCM.open(box, using: SymmetricKey(data: otherKeyBytes), authenticating: ad) }),
            ("open with other AD", { _ = try AES.GCM.open(box, using: key, authenticating: plaintext) }),
            ("open tampered", { _ = try AES.GCM.open(combined: box.combined.flippingBit(200), using: key, authenticating: ad) }),
            ("open truncated", { _ = try AES.GCM.open(combined: Array(box.combined.prefix(20)), using: key, authenticating: ad) }),
            (
                "open unknown version",
                {
                    var c = box.combined
                    c[0] = 9
                    _ = try AES.GCM.open(combined: c, using: key, authenticating: ad)
                }
            ),
            ("seal with a short key", { _ = try AES.GCM.seal(plaintext, using: SymmetricKey(data: shortKeyBytes), authenticating: ad) }),
            ("empty nonce", { _ = try AES.GCM.Nonce(data: [UInt8]()) }),
            ("load a loose key file", { _ = try KeyFile.load(from: loosePath) }),
            ("load a long key file", { _ = try KeyFile.load(from: longPath) }),
            ("create over an existing key file", { _ = try KeyFile.create(at: existing) }),
            (
                "wrong root key",
                { try KeyHierarchy(root: SymmetricKey(data: otherKeyBytes), vaultID: "v1").verify(keyCheckValue: hierarchy.keyCheckValue) }
            ),
            ("short root key", { _ = try KeyHierarchy(root: SymmetricKey(data: shortKeyBytes), vaultID: "v1") }),
            ("unwrap for another customer", { _ = try kek.unwrap(wrapped, customerID: "cus_2") }),
            ("unwrap under another KEK version", { _ = try KeyEncryptionKey.generate(version: 2).unwrap(wrapped, customerID: "cus_1") }),
            ("malformed wrapped key", { _ = try WrappedKey(serialized: [7, 0, 0, 0, 1, 2]) }),
            ("unwrap KEK for another version", { _ = try hierarchy.unwrapKEK(try hierarchy.wrap(kek), version: 2) }),
            ("unwrap tampered signing key", { _ = try hierarchy.unwrapSigningKey(try hierarchy.wrap(Ed25519.PrivateKey()).flippingBit(120)) }),
            ("Ed25519 seed of 31 bytes", { _ = try Ed25519.PrivateKey(rawRepresentation: shortKeyBytes) }),
            (
                "scrypt bad parameters",
                {
                    _ = try Scrypt.deriveKey(
                        passphrase: passphrase,
                        parameters: ScryptParameters(cost: 3, blockSize: 8, parallelism: 1, salt: keyBytes)
                    )
                }
            ),
            ("HKDF bad length", { _ = try HKDF.deriveKey(inputKeyMaterial: key, salt: plaintext, info: passphrase, outputByteCount: 0) }),
        ]

        for (name, failure) in failures {
            let error = try #require(throws: CryptoError.self, "\(name) must fail") { try failure() }
            var dumped = ""
            dump(error, to: &dumped)
            let texts = [String(describing: error), String(reflecting: error), error.localizedDescription, error.code, dumped]
            #expect(!String(describing: error).isEmpty)
            for text in texts {
                for secret in secrets {
                    #expect(!secret.appears(in: text), "\(name): error text \(text) reveals a secret")
                }
            }
        }
    }

    @Test("the leak detector itself finds each rendering")
    func detectorWorks() {
        let bytes: [UInt8] = [0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55]
        let secret = Secret(bytes)
        #expect(secret.appears(in: "key=deadbeef00112233"))
        #expect(secret.appears(in: "KEY=ADBEEF0011223344"))
        #expect(secret.appears(in: "bytes [222, 173, 190, 239, 0, 17, 34, 51, 68, 85]"))
        #expect(secret.appears(in: "b64 " + Data(bytes).base64EncodedString()))
        #expect(Secret("Jane Q. Customer").appears(in: "name: Jane Q. Customer"))
        #expect(!secret.appears(in: "authentication failed"))
    }
}
