import Foundation
import Testing
import VaultAudit
import VaultCrypto

@Suite("Signed checkpoints (c2sp.org/tlog-checkpoint, c2sp.org/signed-note)")
struct CheckpointTests {
    let key: Ed25519.PrivateKey
    let origin = "vault.example.com/audit"
    let checkpoint: Checkpoint

    init() throws {
        key = try Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: 7, count: 32))
        checkpoint = try Checkpoint(origin: origin, size: 8, rootHash: Hex.digest("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"))
    }

    @Test func bodyFormat() {
        #expect(checkpoint.body == "vault.example.com/audit\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n")
    }

    @Test func signParseVerifyRoundTrip() throws {
        let signed = try checkpoint.sign(with: key, keyName: origin)
        let parsed = try SignedCheckpoint.parse(signed.text)
        #expect(parsed == signed)
        #expect(parsed.checkpoint == checkpoint)
        #expect(parsed.text == signed.text)
        try parsed.verify(publicKey: key.publicKey, keyName: origin)
    }

    /// The same checkpoint signed by an independent implementation (Python `cryptography`,
    /// following the C2SP text by hand); Ed25519 is deterministic, so the notes must be identical.
    @Test func matchesAnIndependentSigner() throws {
        let expected =
            "vault.example.com/audit\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n"
            + "\u{2014} vault.example.com/audit cnHZcsUQDmDN6VdOoLv3inop8Bw1kvHwhzY3NLeOIFiqCIqSFZS7vWVpiReFu1xmgFrXFARVVRESP4/nqzPbyXlvSA4=\n"
        #expect(try checkpoint.sign(with: key, keyName: origin).text == expected)
        let verifier = try NoteVerifierKey(name: origin, publicKey: key.publicKey)
        #expect(verifier.description == "vault.example.com/audit+7271d972+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs")
        #expect(verifier.keyID == 0x7271_D972)
    }

    @Test func emptyTreeCheckpoint() throws {
        let empty = try Checkpoint(origin: origin, size: 0, rootHash: MerkleTree.emptyRoot)
        let parsed = try SignedCheckpoint.parse(try empty.sign(with: key, keyName: origin).text)
        #expect(parsed.checkpoint.size == 0)
        try parsed.verify(publicKey: key.publicKey, keyName: origin)
    }

    /// Checks the signature with nothing but the published format: split the note by hand,
    /// recompute the key id, verify Ed25519 over the body.
    @Test func verifiesByHandFromTheFormat() throws {
        let text = try checkpoint.sign(with: key, keyName: origin).text
        let verifierKey = try NoteVerifierKey(name: origin, publicKey: key.publicKey).description

        // What `cvault audit public-key` prints: name+hex(key id)+base64(0x01 ‖ key).
        let parts = verifierKey.split(separator: "+", maxSplits: 2)
        #expect(parts[0] == Substring(origin))
        let keyBlob = try #require(Data(base64Encoded: String(parts[2])))
        #expect(keyBlob.count == 33)
        #expect(keyBlob.first == 0x01)
        let publicKeyBytes = Array(keyBlob.dropFirst())
        let keyID = Array(SHA256.hash(data: Array(origin.utf8) + [0x0A, 0x01] + publicKeyBytes).bytes.prefix(4))
        #expect(parts[1] == Substring(keyID.map { String(format: "%02x", $0) }.joined()))

        let pieces = text.components(separatedBy: "\n\n")
        #expect(pieces.count == 2)
        let body = pieces[0] + "\n"
        #expect(body == "\(origin)\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n")
        let signatureLine = pieces[1]
        #expect(signatureLine.hasSuffix("\n"))
        let prefix = "\u{2014} \(origin) "
        #expect(signatureLine.hasPrefix(prefix))
        let blob = try #require(Data(base64Encoded: String(signatureLine.dropFirst(prefix.count).dropLast())))
        #expect(blob.count == 68)
        #expect(Array(blob.prefix(4)) == keyID)
        let publicKey = try Ed25519.PublicKey(rawRepresentation: publicKeyBytes)
        #expect(publicKey.isValidSignature(Array(blob.dropFirst(4)), for: Array(body.utf8)))
    }

    /// The example of golang.org/x/mod/sumdb/note: its private key, verifier key and signed note.
    /// Ed25519 is deterministic, so our signature must equal Go's byte for byte.
    @Test func matchesGoSumdbNoteExample() throws {
        let skeyBlob = try #require(Data(base64Encoded: "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"))
        let goKey = try Ed25519.PrivateKey(rawRepresentation: Array(skeyBlob.dropFirst()))
        let verifier = try NoteVerifierKey(name: "PeterNeumann", publicKey: goKey.publicKey)
        #expect(verifier.description == "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        #expect(try NoteVerifierKey(parsing: verifier.description) == verifier)

        let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
        let goNote = text + "\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        let ours = try SignedNote(body: text, signingKey: goKey, keyName: "PeterNeumann")
        #expect(ours.text == goNote)
        let parsed = try SignedNote(parsing: goNote)
        #expect(parsed.body == text)
        try parsed.verify(publicKey: verifier.publicKey, keyName: verifier.name)
    }

    @Test func tamperedCheckpointsFail() throws {
        let text = try checkpoint.sign(with: key, keyName: origin).text
        let otherRoot = Base64Text.of(Hex.digest("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"))
        let edits: [(String, String)] = [
            ("\n8\n", "\n9\n"),  // size
            ("Xcnaeac", "Ycnaeac"),  // root
            ("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=", otherRoot),
            ("vault.example.com/audit\n", "vault.example.org/audit\n"),  // origin (body only)
        ]
        for (old, new) in edits {
            let tampered = text.replacingOccurrences(of: old, with: new, options: [], range: text.range(of: old))
            #expect(tampered != text)
            let parsed = try SignedCheckpoint.parse(tampered)
            let error = #expect(throws: AuditError.self) { try parsed.verify(publicKey: key.publicKey, keyName: origin) }
            #expect(error?.code == "invalid_signature", "edit \(old) → \(new)")
        }
    }

    @Test func everySignatureByteMatters() throws {
        let signed = try checkpoint.sign(with: key, keyName: origin)
        let signature = try #require(signed.note.signatures.first)
        let lineStart = "\u{2014} \(origin) "
        let blob = signature.keyID.bytes + signature.bytes
        for index in blob.indices {
            var altered = blob
            altered[index] ^= 0x01
            let text = signed.checkpoint.body + "\n" + lineStart + Data(altered).base64EncodedString() + "\n"
            let parsed = try SignedCheckpoint.parse(text)
            let error = #expect(throws: AuditError.self) { try parsed.verify(publicKey: key.publicKey, keyName: origin) }
            // A changed key id makes the signature someone else's: unknown, not merely invalid.
            #expect(error?.code == (index < 4 ? "unknown_key" : "invalid_signature"), "byte \(index)")
        }
    }

    @Test func wrongKeyOrNameIsUnknown() throws {
        let parsed = try SignedCheckpoint.parse(try checkpoint.sign(with: key, keyName: origin).text)
        let other = try Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: 9, count: 32))
        for (publicKey, name) in [(other.publicKey, origin), (key.publicKey, "vault.example.com/other")] {
            let error = #expect(throws: AuditError.self) { try parsed.verify(publicKey: publicKey, keyName: name) }
            #expect(error?.code == "unknown_key")
        }
    }

    @Test func otherSignersAreIgnored() throws {
        let signed = try checkpoint.sign(with: key, keyName: origin)
        let witness = try Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: 3, count: 32))
        let witnessLine = try SignedNote(body: signed.checkpoint.body, signingKey: witness, keyName: "witness.example").text
            .components(separatedBy: "\n\n")[1]
        let cosigned = try SignedCheckpoint.parse(signed.text + witnessLine)
        #expect(cosigned.note.signatures.count == 2)
        try cosigned.verify(publicKey: key.publicKey, keyName: origin)
        try cosigned.verify(publicKey: witness.publicKey, keyName: "witness.example")
    }

    @Test(arguments: [
        ("", "malformed_note"),
        ("vault\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", "malformed_note"),  // no signatures
        ("vault\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n", "malformed_note"),  // empty block
        ("vault\n8\nroot\n\n- vault AAAAAAA=\n", "malformed_note"),  // hyphen, not em dash
        ("vault\n8\nroot\n\n\u{2014} vault AAAAAAA=", "malformed_note"),  // no final newline
        ("vault\n8\nroot\n\n\u{2014} vault AAAA\n", "malformed_note"),  // < 5 bytes
        ("vault\n8\nroot\n\n\u{2014} vault AAAAAAB=\n", "malformed_note"),  // non-canonical base64
        ("vault\n8\nroot\n\n\u{2014} va+lt AAAAAAA=\n", "malformed_note"),  // '+' in name
        ("vault\n8\nroot\n\n\u{2014}  AAAAAAA=\n", "malformed_note"),  // empty name
        ("vault\n8\nroot\n\n\u{2014} vault AAAAAAA= x\n", "malformed_note"),  // trailing field
        ("vault\n8\r\nroot\n\n\u{2014} vault AAAAAAA=\n", "malformed_note"),  // control character
        ("vault\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\u{2014} vault AAAAAAA=\n", "malformed_checkpoint"),
        ("vault\n+8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\u{2014} vault AAAAAAA=\n", "malformed_checkpoint"),
        ("vault\n18446744073709551616\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\u{2014} vault AAAAAAA=\n", "malformed_checkpoint"),
        ("vault\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqq30lgz+Nw7/RgQ=\n\n\u{2014} vault AAAAAAA=\n", "malformed_checkpoint"),
        ("vault\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqq30lgz+Nw7/RgQyh=\n\n\u{2014} vault AAAAAAA=\n", "malformed_checkpoint"),
        ("vault\n8\n\n\u{2014} vault AAAAAAA=\n", "malformed_checkpoint"),  // two lines
        ("vault\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\next\n\n\u{2014} vault AAAAAAA=\n", "malformed_checkpoint"),
        ("\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\u{2014} vault AAAAAAA=\n", "malformed_checkpoint"),
    ])
    func malformedTextsAreRejected(text: String, code: String) {
        let error = #expect(throws: AuditError.self) { try SignedCheckpoint.parse(text) }
        #expect(error?.code == code)
    }

    @Test func malformedVerifierKeys() throws {
        let good = try NoteVerifierKey(name: origin, publicKey: key.publicKey).description
        #expect(try NoteVerifierKey(parsing: good).publicKey == key.publicKey)
        let parts = good.split(separator: "+", maxSplits: 2).map(String.init)
        let bad = [
            "", parts[0], parts[0] + "+" + parts[1],
            "other.example+" + parts[1] + "+" + parts[2],  // id does not match the name
            parts[0] + "+0000000+" + parts[2],
            parts[0] + "+" + parts[1] + "+" + String(parts[2].dropLast(4)),
            parts[0] + "+" + parts[1] + "+" + "Ag" + String(parts[2].dropFirst(2)),  // type 0x02
        ]
        for text in bad {
            let error = #expect(throws: AuditError.self) { try NoteVerifierKey(parsing: text) }
            #expect(error?.code == "malformed_verifier_key")
        }
    }

    @Test func invalidNamesAndOrigins() {
        for name in ["", "a b", "a+b", "a\u{00A0}b", "a\nb"] {
            #expect(throws: AuditError.self) { try checkpoint.sign(with: key, keyName: name) }
        }
        for origin in ["", "a\nb", "a\tb"] {
            #expect(throws: AuditError.self) { try Checkpoint(origin: origin, size: 1, rootHash: MerkleTree.emptyRoot) }
        }
    }
}

enum Base64Text {
    static func of(_ digest: SHA256Digest) -> String { Data(digest.bytes).base64EncodedString() }
}

extension UInt32 {
    fileprivate var bytes: [UInt8] { [UInt8(self >> 24), UInt8(self >> 16 & 0xFF), UInt8(self >> 8 & 0xFF), UInt8(self & 0xFF)] }
}
