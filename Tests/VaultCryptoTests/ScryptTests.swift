import Foundation
import Testing

@testable import VaultCrypto

/// scrypt against RFC 7914, and its parameter checks.
struct ScryptTests {
    struct Case: Decodable {
        let tcId: Int
        let password: Hex
        let salt: Hex
        let N: UInt64
        let r: UInt64
        let p: UInt64
        let dkLen: Int
        let dk: Hex
    }

    @Test("RFC 7914 section 12 vectors 1 and 2")
    func rfc7914() throws {
        var seen: [Int] = []
        try Vectors.forEach(in: "scrypt_rfc7914") { (test: Case) in
            seen.append(test.tcId)
            let parameters = ScryptParameters(cost: test.N, blockSize: test.r, parallelism: test.p, salt: test.salt.bytes)
            let key = try Scrypt.deriveKey(passphrase: test.password.bytes, parameters: parameters, outputByteCount: test.dkLen)
            #expect(key.withUnsafeBytes { Array($0) } == test.dk.bytes, "vector \(test.tcId)")
        }
        #expect(seen == [1, 2])
    }

    @Test("parameters round-trip through JSON with a base64 salt")
    func codable() throws {
        let parameters = ScryptParameters.recommended(using: DeterministicRandom(seed: 7))
        #expect(parameters.cost == 1 << 17 && parameters.blockSize == 8 && parameters.parallelism == 1 && parameters.salt.count == 16)
        let json = try JSONEncoder().encode(parameters)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["salt"] as? String == Data(parameters.salt).base64EncodedString())
        #expect(try JSONDecoder().decode(ScryptParameters.self, from: json) == parameters)
    }

    @Test(
        "unusable or tampered parameters are refused, never trapped on",
        arguments: [
            ScryptParameters(cost: 1000, blockSize: 8, parallelism: 1, salt: [1]),
            ScryptParameters(cost: 1, blockSize: 8, parallelism: 1, salt: [1]),
            ScryptParameters(cost: 1 << 25, blockSize: 1, parallelism: 1, salt: [1]),
            ScryptParameters(cost: 16, blockSize: 0, parallelism: 1, salt: [1]),
            ScryptParameters(cost: 16, blockSize: 1 << 40, parallelism: 1 << 40, salt: [1]),
            ScryptParameters(cost: 16, blockSize: UInt64.max, parallelism: UInt64.max, salt: [1]),
            ScryptParameters(cost: 1 << 24, blockSize: 8, parallelism: 1, salt: [1]),
        ]
    )
    func badParameters(_ parameters: ScryptParameters) {
        #expect(throws: CryptoError.self) { try Scrypt.deriveKey(passphrase: Array("pw".utf8), parameters: parameters) }
    }

    @Test("output lengths of zero or less are refused")
    func outputLength() {
        let parameters = ScryptParameters(cost: 16, blockSize: 1, parallelism: 1, salt: [1])
        #expect(throws: CryptoError.self) { try Scrypt.deriveKey(passphrase: Array("pw".utf8), parameters: parameters, outputByteCount: 0) }
        #expect(throws: CryptoError.self) { try Scrypt.deriveKey(passphrase: Array("pw".utf8), parameters: parameters, outputByteCount: -1) }
    }
}
