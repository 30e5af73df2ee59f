import Testing

@testable import VaultCrypto

/// AES-256-GCM behaviour beyond the vectors: tampering, the combined format, nonces.
struct AESGCMTests {
    let key = SymmetricKey(using: DeterministicRandom(seed: 1))
    let message = Array("4111 1111 1111 1111, Jane Doe, 1 Main St".utf8)
    let associatedData = Array("cus_42\u{0}profile\u{0}v3".utf8)

    @Test("seal then open round-trips, with and without associated data, empty messages included")
    func roundTrip() throws {
        let box = try AES.GCM.seal(message, using: key, authenticating: associatedData)
        #expect(box.nonce.bytes.count == 12 && box.tag.count == 16 && box.ciphertext.count == message.count)
        #expect(box.ciphertext != message)
        #expect(try AES.GCM.open(box, using: key, authenticating: associatedData) == message)
        #expect(try AES.GCM.open(combined: box.combined, using: key, authenticating: associatedData) == message)

        let plain = try AES.GCM.seal(message, using: key)
        #expect(try AES.GCM.open(plain, using: key) == message)
        #expect(throws: CryptoError.authenticationFailure) { try AES.GCM.open(plain, using: key, authenticating: associatedData) }

        let empty = try AES.GCM.seal([UInt8](), using: key, authenticating: associatedData)
        #expect(empty.combined.count == 1 + 12 + 16)
        #expect(try AES.GCM.open(combined: empty.combined, using: key, authenticating: associatedData) == [])
    }

    @Test("a flipped bit anywhere in nonce, ciphertext or tag fails with authenticationFailure")
    func bitFlipsInBox() throws {
        let combined = try AES.GCM.seal(message, using: key, authenticating: associatedData).combined
        // Skip the version byte (bits 0-7): changing it is an unsupported version, tested below.
        for bit in 8..<(combined.count * 8) {
            #expect(throws: CryptoError.authenticationFailure, "bit \(bit)") {
                try AES.GCM.open(combined: combined.flippingBit(bit), using: key, authenticating: associatedData)
            }
        }
        let parsed = try AES.GCM.SealedBox(combined: combined.flippingBit(8 * 14))
        #expect(throws: CryptoError.authenticationFailure) { try AES.GCM.open(parsed, using: key, authenticating: associatedData) }
    }

    @Test("a flipped bit in the associated data, or another key, fails with authenticationFailure")
    func bitFlipsInContext() throws {
        let combined = try AES.GCM.seal(message, using: key, authenticating: associatedData).combined
        for bit in 0..<(associatedData.count * 8) {
            #expect(throws: CryptoError.authenticationFailure, "AD bit \(bit)") {
                try AES.GCM.open(combined: combined, using: key, authenticating: associatedData.flippingBit(bit))
            }
        }
        #expect(throws: CryptoError.authenticationFailure) { try AES.GCM.open(combined: combined, using: key, authenticating: associatedData + [0]) }
        #expect(throws: CryptoError.authenticationFailure) {
            try AES.GCM.open(combined: combined, using: SymmetricKey(), authenticating: associatedData)
        }
    }

    @Test("truncated boxes and unknown versions are refused")
    func malformed() throws {
        let combined = try AES.GCM.seal(message, using: key, authenticating: associatedData).combined
        for length in 0..<(1 + 12 + 16) {
            #expect(throws: CryptoError.invalidFormat("sealed box shorter than its header and tag")) {
                try AES.GCM.open(combined: Array(combined.prefix(length)), using: key, authenticating: associatedData)
            }
            #expect(throws: CryptoError.self) { try AES.GCM.SealedBox(combined: Array(combined.prefix(length))) }
        }
        for length in (1 + 12 + 16)..<combined.count {
            #expect(throws: CryptoError.authenticationFailure, "prefix \(length)") {
                try AES.GCM.open(combined: Array(combined.prefix(length)), using: key, authenticating: associatedData)
            }
        }
        for version: UInt8 in [0, 2, 0xff] {
            var other = combined
            other[0] = version
            #expect(throws: CryptoError.unsupportedVersion(version)) { try AES.GCM.open(combined: other, using: key, authenticating: associatedData) }
            #expect(throws: CryptoError.unsupportedVersion(version)) { try AES.GCM.SealedBox(combined: other) }
        }
    }

    @Test("keys other than 256 bits are refused", arguments: [0, 16, 24, 31, 33, 64])
    func keySizes(_ size: Int) throws {
        let wrong = SymmetricKey(byteCount: size)
        #expect(throws: CryptoError.invalidKeySize(expected: 32, actual: size)) { try AES.GCM.seal(message, using: wrong) }
        let box = try AES.GCM.seal(message, using: key)
        #expect(throws: CryptoError.invalidKeySize(expected: 32, actual: size)) { try AES.GCM.open(box, using: wrong) }
    }

    @Test("nonces: 1 to 128 bytes accepted, random ones differ, the combined form holds 12 bytes only")
    func nonces() throws {
        #expect(throws: CryptoError.invalidNonceSize) { try AES.GCM.Nonce(data: [UInt8]()) }
        #expect(throws: CryptoError.invalidNonceSize) { try AES.GCM.Nonce(data: [UInt8](repeating: 0, count: 129)) }
        for size in [1, 8, 16, 60, 128] {
            let nonce = try AES.GCM.Nonce(data: [UInt8](repeating: 7, count: size))
            let box = try AES.GCM.seal(message, using: key, nonce: nonce, authenticating: associatedData)
            #expect(try AES.GCM.open(box, using: key, authenticating: associatedData) == message, "\(size)-byte nonce")
        }
        let nonces = Set((0..<100).map { _ in AES.GCM.Nonce().bytes })
        #expect(nonces.count == 100)
        let first = try AES.GCM.seal(message, using: key)
        let second = try AES.GCM.seal(message, using: key)
        #expect(first.nonce != second.nonce && first.ciphertext != second.ciphertext)
    }

    @Test("a deterministic random source makes seals reproducible")
    func deterministicRandom() throws {
        let one = try AES.GCM.seal(message, using: key, authenticating: associatedData, random: DeterministicRandom(seed: 99)).combined
        let two = try AES.GCM.seal(message, using: key, authenticating: associatedData, random: DeterministicRandom(seed: 99)).combined
        let other = try AES.GCM.seal(message, using: key, authenticating: associatedData, random: DeterministicRandom(seed: 100)).combined
        #expect(one == two)
        #expect(one != other)
        #expect(Array(one[1...12]) == DeterministicRandom(seed: 99).bytes(12))
        #expect(SymmetricKey(using: DeterministicRandom(seed: 5)) == SymmetricKey(using: DeterministicRandom(seed: 5)))
    }

    @Test("the per-thread context never seals or opens with a previous key, even when keys come and go")
    func keyChanges() throws {
        let nonce = try AES.GCM.Nonce(data: [UInt8](repeating: 9, count: 12))
        var previous: (bytes: [UInt8], box: AES.GCM.SealedBox)?
        for round in 0..<300 {
            let bytes = DeterministicRandom(seed: UInt64(1000 + round)).bytes(32)
            // A fresh key each round, the last one released: its storage (and address) may be reused.
            let box = try AES.GCM.seal(message, using: SymmetricKey(data: bytes), nonce: nonce, authenticating: associatedData)
            // Opened with a separate copy of the bytes, so the decrypting context must set the key itself.
            #expect(try AES.GCM.open(box, using: SymmetricKey(data: bytes), authenticating: associatedData) == message, "round \(round)")
            if let previous {
                #expect(box.ciphertext != previous.box.ciphertext, "round \(round)")
                #expect(throws: CryptoError.authenticationFailure) {
                    try AES.GCM.open(box, using: SymmetricKey(data: previous.bytes), authenticating: associatedData)
                }
                #expect(try AES.GCM.open(previous.box, using: SymmetricKey(data: previous.bytes), authenticating: associatedData) == message)
            }
            previous = (bytes, box)
        }
        // One key alternating with another on the same thread, and a failed open in between.
        let a = SymmetricKey(using: DeterministicRandom(seed: 1))
        let b = SymmetricKey(using: DeterministicRandom(seed: 2))
        let boxA = try AES.GCM.seal(message, using: a, nonce: nonce, authenticating: associatedData)
        let boxB = try AES.GCM.seal(message, using: b, nonce: nonce, authenticating: associatedData)
        #expect(throws: CryptoError.authenticationFailure) { try AES.GCM.open(boxA, using: b, authenticating: associatedData) }
        #expect(try AES.GCM.open(boxA, using: a, authenticating: associatedData) == message)
        #expect(try AES.GCM.seal(message, using: a, nonce: nonce, authenticating: associatedData).combined == boxA.combined)
        #expect(try AES.GCM.open(boxB, using: b, authenticating: associatedData) == message)
        #expect(try AES.GCM.seal(message, using: b, nonce: nonce, authenticating: associatedData).combined == boxB.combined)
    }
}
