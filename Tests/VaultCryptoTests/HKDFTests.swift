import Testing

@testable import VaultCrypto

/// HKDF-SHA256 against RFC 5869.
struct HKDFTests {
    struct Case: Decodable {
        let tcId: Int
        let ikm: Hex
        let salt: Hex
        let info: Hex
        let length: Int
        let prk: Hex
        let okm: Hex
    }

    @Test("RFC 5869 test cases 1-3")
    func rfc5869() throws {
        var seen: [Int] = []
        try Vectors.forEach(in: "hkdf_sha256_rfc5869") { (test: Case) in
            seen.append(test.tcId)
            let okm = try HKDF.deriveKey(
                inputKeyMaterial: SymmetricKey(data: test.ikm.bytes),
                salt: test.salt.bytes,
                info: test.info.bytes,
                outputByteCount: test.length
            )
            #expect(okm.withUnsafeBytes { Array($0) } == test.okm.bytes, "case \(test.tcId): OKM")
            // Extract is HMAC(salt, IKM); an absent salt is HashLen zeros, which HMAC pads an empty key to.
            let prk = HMACSHA256.authenticationCode(for: test.ikm.bytes, using: SymmetricKey(data: test.salt.bytes))
            #expect(prk.bytes == test.prk.bytes, "case \(test.tcId): PRK")
        }
        #expect(seen == [1, 2, 3])
    }

    @Test("output lengths outside 1...8160 bytes are refused", arguments: [0, -1, 255 * 32 + 1])
    func outputLength(_ length: Int) {
        #expect(throws: CryptoError.self) {
            try HKDF.deriveKey(inputKeyMaterial: SymmetricKey(), salt: [UInt8](), info: [UInt8](), outputByteCount: length)
        }
    }
}
