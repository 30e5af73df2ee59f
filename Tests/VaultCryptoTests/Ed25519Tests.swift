import Testing

@testable import VaultCrypto

/// Ed25519 against RFC 8032.
struct Ed25519Tests {
    struct Case: Decodable {
        let tcId: Int
        let comment: String
        let secretKey: Hex
        let publicKey: Hex
        let message: Hex
        let signature: Hex
    }

    @Test("RFC 8032 section 7.1 TEST 1-3: exact signature, verify, flipped bits rejected")
    func rfc8032() throws {
        var seen: [Int] = []
        try Vectors.forEach(in: "ed25519_rfc8032") { (test: Case) in
            seen.append(test.tcId)
            let privateKey = try Ed25519.PrivateKey(rawRepresentation: test.secretKey.bytes)
            #expect(privateKey.publicKey.rawRepresentation == test.publicKey.bytes, "\(test.comment): public key")
            #expect(try privateKey.signature(for: test.message.bytes) == test.signature.bytes, "\(test.comment): signature")

            let publicKey = try Ed25519.PublicKey(rawRepresentation: test.publicKey.bytes)
            #expect(publicKey == privateKey.publicKey)
            #expect(publicKey.isValidSignature(test.signature.bytes, for: test.message.bytes), "\(test.comment): verify")
            for bit in [0, 100, 255, 256, 511] {
                #expect(!publicKey.isValidSignature(test.signature.bytes.flippingBit(bit), for: test.message.bytes), "\(test.comment): bit \(bit)")
            }
            let otherMessage = test.message.bytes.isEmpty ? [0] : test.message.bytes.flippingBit(0)
            #expect(!publicKey.isValidSignature(test.signature.bytes, for: otherMessage), "\(test.comment): other message")
            #expect(!publicKey.isValidSignature(Array(test.signature.bytes.dropLast()), for: test.message.bytes))
        }
        #expect(seen == [1, 2, 3])
    }

    @Test("generated keys sign and verify; the seed round-trips; wrong sizes are refused")
    func generated() throws {
        let key = try Ed25519.PrivateKey()
        let message = Array("checkpoint 42".utf8)
        let signature = try key.signature(for: message)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        let restored = try key.rawRepresentation.withUnsafeBytes { try Ed25519.PrivateKey(rawRepresentation: Array($0)) }
        #expect(restored.publicKey == key.publicKey)
        #expect(try restored.signature(for: message) == signature)
        #expect(throws: CryptoError.invalidKeySize(expected: 32, actual: 31)) {
            try Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 31))
        }
        #expect(throws: CryptoError.invalidKeySize(expected: 32, actual: 33)) {
            try Ed25519.PublicKey(rawRepresentation: [UInt8](repeating: 1, count: 33))
        }
    }
}
