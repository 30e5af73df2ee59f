import Testing

@testable import VaultCrypto

/// AES-256-GCM against the GCM specification's test cases and a Wycheproof subset.
struct AESGCMVectorTests {
    struct SpecCase: Decodable {
        let tcId: Int
        let comment: String
        let key: Hex
        let iv: Hex
        let aad: Hex
        let msg: Hex
        let ct: Hex
        let tag: Hex
    }

    struct WycheproofGroup: Decodable {
        let ivSize: Int
        let keySize: Int
        let tagSize: Int
        let tests: [WycheproofCase]
    }

    struct WycheproofCase: Decodable {
        let tcId: Int
        let comment: String
        let key: Hex
        let iv: Hex
        let aad: Hex
        let msg: Hex
        let ct: Hex
        let tag: Hex
        let result: String
        let flags: [String]
    }

    @Test("GCM specification test cases 13-18 seal and open")
    func specification() throws {
        var seen: [Int] = []
        try Vectors.forEach(in: "aes_gcm_spec") { (test: SpecCase) in
            seen.append(test.tcId)
            let key = SymmetricKey(data: test.key.bytes)
            let nonce = try AES.GCM.Nonce(data: test.iv.bytes)

            let box = try AES.GCM.seal(test.msg.bytes, using: key, nonce: nonce, authenticating: test.aad.bytes)
            #expect(box.ciphertext == test.ct.bytes, "case \(test.tcId) (\(test.comment)): ciphertext")
            #expect(box.tag == test.tag.bytes, "case \(test.tcId) (\(test.comment)): tag")

            let opened = try AES.GCM.open(
                AES.GCM.SealedBox(nonce: nonce, ciphertext: test.ct.bytes, tag: test.tag.bytes),
                using: key,
                authenticating: test.aad.bytes
            )
            #expect(opened == test.msg.bytes, "case \(test.tcId): open")

            if test.iv.bytes.count == AES.GCM.Nonce.byteCount {
                let combined = [AES.GCM.SealedBox.formatVersion] + test.iv.bytes + test.ct.bytes + test.tag.bytes
                #expect(box.combined == combined, "case \(test.tcId): combined form")
                #expect(try AES.GCM.open(combined: combined, using: key, authenticating: test.aad.bytes) == test.msg.bytes)
            }
        }
        #expect(seen == Array(13...18))
    }

    @Test("Wycheproof aes_gcm_test cases with 256-bit keys, valid and invalid")
    func wycheproof() throws {
        try Vectors.wycheproof("aes_gcm_test") { (group: WycheproofGroup) in
            #expect(group.keySize == 256 && group.tagSize == 128)
            for test in group.tests {
                #expect(test.iv.bytes.count * 8 == group.ivSize, "tcId \(test.tcId): ivSize")
                try check(test)
            }
            return group.tests.count
        }
    }

    private func check(_ test: WycheproofCase) throws {
        let key = SymmetricKey(data: test.key.bytes)
        guard !test.iv.bytes.isEmpty else {
            // GCM with an empty IV leaks the authentication key (CVE-2017-7822): refuse to build one.
            #expect(test.result == "invalid", "tcId \(test.tcId)")
            #expect(throws: CryptoError.invalidNonceSize, "tcId \(test.tcId)") { try AES.GCM.Nonce(data: test.iv.bytes) }
            return
        }
        let nonce = try AES.GCM.Nonce(data: test.iv.bytes)
        let box = AES.GCM.SealedBox(nonce: nonce, ciphertext: test.ct.bytes, tag: test.tag.bytes)
        let sealed = try AES.GCM.seal(test.msg.bytes, using: key, nonce: nonce, authenticating: test.aad.bytes)

        switch test.result {
        case "valid":
            #expect(sealed.ciphertext == test.ct.bytes, "tcId \(test.tcId): ciphertext")
            #expect(sealed.tag == test.tag.bytes, "tcId \(test.tcId): tag")
            #expect(try AES.GCM.open(box, using: key, authenticating: test.aad.bytes) == test.msg.bytes, "tcId \(test.tcId): open")
        case "invalid":
            #expect(sealed.tag != test.tag.bytes, "tcId \(test.tcId): a modified tag must not be the real one")
            #expect(throws: CryptoError.authenticationFailure, "tcId \(test.tcId) \(test.comment)") {
                try AES.GCM.open(box, using: key, authenticating: test.aad.bytes)
            }
            if test.iv.bytes.count == AES.GCM.Nonce.byteCount {
                let combined = [AES.GCM.SealedBox.formatVersion] + test.iv.bytes + test.ct.bytes + test.tag.bytes
                #expect(throws: CryptoError.authenticationFailure, "tcId \(test.tcId): combined") {
                    try AES.GCM.open(combined: combined, using: key, authenticating: test.aad.bytes)
                }
            }
        default:
            Issue.record("tcId \(test.tcId): unexpected result \(test.result)")
        }
    }
}
