import Testing

@testable import VaultCrypto

/// SHA-256 against the FIPS 180 examples, one-shot, incremental and in parts.
struct SHA256Tests {
    struct Case: Decodable {
        let tcId: Int
        let comment: String
        let message: Hex
        let digest: Hex
    }

    @Test("FIPS 180 examples: one-shot, incremental at every split, and hash(parts:)")
    func fips180() throws {
        var seen: [Int] = []
        try Vectors.forEach(in: "sha256_fips180") { (test: Case) in
            seen.append(test.tcId)
            let message = test.message.bytes
            #expect(SHA256.hash(data: message).bytes == test.digest.bytes, "\(test.comment): one-shot")
            #expect(SHA256.hash(data: message).hex == test.digest.bytes.hex)
            for split in 0...message.count {
                var hasher = SHA256()
                hasher.update(data: Array(message[..<split]))
                hasher.update(data: Array(message[split...]))
                #expect(hasher.finalize().bytes == test.digest.bytes, "\(test.comment): split at \(split)")

                let head = Array(message[..<split])
                let tail = Array(message[split...])
                let digest = head.withUnsafeBytes { h in tail.withUnsafeBytes { t in SHA256.hash(parts: [h, t]) } }
                #expect(digest.bytes == test.digest.bytes, "\(test.comment): parts split at \(split)")
            }
        }
        #expect(seen == [1, 2])
    }

    @Test("a hasher keeps going after finalize, and copies are independent")
    func valueSemantics() {
        let abc = Array("abc".utf8)
        var hasher = SHA256()
        hasher.update(data: Array("ab".utf8))
        let copy = hasher
        hasher.update(data: Array("c".utf8))
        #expect(hasher.finalize() == SHA256.hash(data: abc))
        #expect(hasher.finalize() == SHA256.hash(data: abc))
        #expect(copy.finalize() == SHA256.hash(data: Array("ab".utf8)))
        hasher.update(data: abc)
        #expect(hasher.finalize() == SHA256.hash(data: Array("abcabc".utf8)))
        #expect(SHA256Digest(bytes: [1, 2, 3]) == nil)
    }
}
