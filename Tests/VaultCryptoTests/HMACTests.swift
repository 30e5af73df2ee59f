import Testing

@testable import VaultCrypto

/// HMAC-SHA256 against RFC 4231.
struct HMACTests {
    struct Case: Decodable {
        let tcId: Int
        let key: Hex
        let data: Hex
        let mac: Hex
    }

    @Test("RFC 4231 test cases 1-7 (case 5 truncated to 128 bits)")
    func rfc4231() throws {
        var seen: [Int] = []
        try Vectors.forEach(in: "hmac_sha256_rfc4231") { (test: Case) in
            seen.append(test.tcId)
            let key = SymmetricKey(data: test.key.bytes)
            let code = HMACSHA256.authenticationCode(for: test.data.bytes, using: key)
            #expect(code.bytes.count == SHA256.byteCount)
            #expect(Array(code.bytes.prefix(test.mac.bytes.count)) == test.mac.bytes, "case \(test.tcId)")
            #expect(HMACSHA256.isValidAuthenticationCode(code, authenticating: test.data.bytes, using: key))
            if test.mac.bytes.count == SHA256.byteCount {
                #expect(HMACSHA256.isValidAuthenticationCode(test.mac.bytes, authenticating: test.data.bytes, using: key))
            } else {
                // Verification wants the full code: a published truncation is not accepted as one.
                #expect(!HMACSHA256.isValidAuthenticationCode(test.mac.bytes, authenticating: test.data.bytes, using: key))
            }
        }
        #expect(seen == Array(1...7))
    }

    @Test("a flipped bit in code, data or key fails verification")
    func tampering() {
        let key = SymmetricKey(data: [UInt8](repeating: 0x0b, count: 20))
        let data = Array("Hi There".utf8)
        let code = HMACSHA256.authenticationCode(for: data, using: key).bytes
        for bit in [0, 7, 128, 255] {
            #expect(!HMACSHA256.isValidAuthenticationCode(code.flippingBit(bit), authenticating: data, using: key))
        }
        #expect(!HMACSHA256.isValidAuthenticationCode(code, authenticating: data.flippingBit(3), using: key))
        #expect(!HMACSHA256.isValidAuthenticationCode(code, authenticating: data, using: SymmetricKey(data: [UInt8](repeating: 0x0b, count: 21))))
        #expect(!HMACSHA256.isValidAuthenticationCode([UInt8](), authenticating: data, using: key))
    }
}

@Suite("HMAC with a prepared key")
struct KeyedHMACTests {
    @Test("a prepared key gives the same codes as the one-shot call, from many threads at once")
    func keyedMatchesOneShot() async {
        let key = SymmetricKey(byteCount: 32)
        let keyed = HMACSHA256.Keyed(key)
        let messages = (0..<64).map { i in Array("message \(i) ".utf8) + Array(repeating: UInt8(i), count: i * 7) }
        let matches = await withTaskGroup(of: Bool.self) { group in
            for message in messages {
                group.addTask {
                    keyed.authenticationCode(for: message).bytes == HMACSHA256.authenticationCode(for: message, using: key).bytes
                }
            }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(matches)
        #expect(
            keyed.authenticationCode(for: messages[0]).bytes
                != HMACSHA256.Keyed(SymmetricKey(byteCount: 32)).authenticationCode(for: messages[0]).bytes
        )
    }
}
