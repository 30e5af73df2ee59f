package import VaultCrypto

/// A c2sp.org/signed-note: a text (`body`) followed by a blank line and one or more lines
/// `— <key name> <base64(4-byte big-endian key id ‖ signature)>`. Only Ed25519 signatures
/// (type 0x01) are made or checked here; others are kept as they are and ignored, as the spec asks.
package struct SignedNote: Sendable, Hashable {
    /// One signature line.
    package struct Signature: Sendable, Hashable {
        /// The signer's key name.
        package let keyName: String
        /// The signed-note key id (see `NoteVerifierKey.keyID`).
        package let keyID: UInt32
        /// The signature bytes after the key id (64 for Ed25519).
        package let bytes: [UInt8]

        /// The signature line, as a note carries it.
        package var line: String { "\(SignedNote.dash) \(keyName) \(Base64.encode(keyID.bigEndianBytes + bytes))\n" }
    }

    /// Beyond this, a note is refused rather than checked: Go's sumdb/note uses the same bound.
    static let maximumSignatures = 100
    static let dash = "\u{2014}"

    /// The signed text: non-empty, ends in a newline, no control characters but newlines.
    package let body: String
    /// The signature lines in order; never empty.
    package let signatures: [Signature]

    /// Signs `body` with `key` under `keyName` (pure Ed25519 over the body's UTF-8 bytes).
    package init(body: String, signingKey key: Ed25519.PrivateKey, keyName: String) throws {
        try Self.validateBody(body)
        let verifier = try NoteVerifierKey(name: keyName, publicKey: key.publicKey)
        let signature = try key.signature(for: Array(body.utf8))
        self.body = body
        self.signatures = [Signature(keyName: keyName, keyID: verifier.keyID, bytes: signature)]
    }

    /// Parses a note strictly: every malformation throws `malformed_note`. Signatures are not
    /// checked here; call `verify(publicKey:keyName:)`.
    package init(parsing text: String) throws {
        for scalar in text.unicodeScalars where scalar.value < 0x20 && scalar != "\n" {
            throw AuditError.malformedNote("it contains a control character other than newline")
        }
        // The body ends at the last blank line: "\n\n" is the body's final newline plus that line.
        let bytes = Array(text.utf8)
        var split: Int?
        if bytes.count >= 2 {
            for index in stride(from: bytes.count - 2, through: 0, by: -1) where bytes[index] == 0x0A && bytes[index + 1] == 0x0A {
                split = index
                break
            }
        }
        guard let split else { throw AuditError.malformedNote("no blank line separates the text from the signatures") }
        let body = String(decoding: bytes[...split], as: UTF8.self)
        let block = bytes[(split + 2)...]
        guard !block.isEmpty, block.last == 0x0A else {
            throw AuditError.malformedNote("the signature block is empty or does not end in a newline")
        }
        var signatures: [Signature] = []
        for lineBytes in block.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false) {
            guard signatures.count < Self.maximumSignatures else {
                throw AuditError.malformedNote("more than \(Self.maximumSignatures) signatures")
            }
            signatures.append(try Self.parseSignature(lineBytes, number: signatures.count + 1))
        }
        try Self.validateBody(body)
        self.body = body
        self.signatures = signatures
    }

    /// The note as published: body, blank line, signature lines.
    package var text: String { body + "\n" + signatures.map(\.line).joined() }

    /// The same note with `more` signature lines after its own (a witness's cosignatures).
    package func adding(_ more: [Signature]) -> SignedNote {
        SignedNote(body: body, signatures: signatures + more.filter { !signatures.contains($0) })
    }

    private init(body: String, signatures: [Signature]) {
        self.body = body
        self.signatures = signatures
    }

    /// Throws unless the note carries at least one signature by (`keyName`, `publicKey`) and
    /// every signature with that name and key id verifies. Signatures by other keys are ignored.
    package func verify(publicKey: Ed25519.PublicKey, keyName: String) throws {
        let keyID = NoteVerifierKey.keyID(name: keyName, publicKey: publicKey)
        // Names compare by bytes: Swift's String equality would also match other normalizations.
        let mine = signatures.filter { $0.keyID == keyID && $0.keyName.utf8.elementsEqual(keyName.utf8) }
        guard !mine.isEmpty else { throw AuditError.unknownKey(name: keyName, keyID: keyID) }
        let message = Array(body.utf8)
        for signature in mine where !publicKey.isValidSignature(signature.bytes, for: message) {
            throw AuditError.invalidSignature(name: keyName, keyID: keyID)
        }
    }

    static func validateBody(_ body: String) throws {
        guard !body.isEmpty, body.utf8.last == 0x0A else {
            throw AuditError.malformedNote("the text must be non-empty and end in a newline")
        }
        for scalar in body.unicodeScalars where scalar.value < 0x20 && scalar != "\n" {
            throw AuditError.malformedNote("the text contains a control character other than newline")
        }
    }

    private static func parseSignature(_ line: ArraySlice<UInt8>, number: Int) throws -> Signature {
        // Byte-wise on purpose: Character-wise matching would glue a combining mark to the space.
        let prefix = Array((dash + " ").utf8)
        guard line.starts(with: prefix) else {
            throw AuditError.malformedNote("signature line \(number) does not start with an em dash and a space")
        }
        let rest = line.dropFirst(prefix.count)
        guard let space = rest.firstIndex(of: 0x20) else {
            throw AuditError.malformedNote("signature line \(number) has no space after the key name")
        }
        let keyName = String(decoding: rest[..<space], as: UTF8.self)
        guard (try? NoteVerifierKey.validateKeyName(keyName)) != nil else {
            throw AuditError.malformedNote("signature line \(number) has no valid key name")
        }
        guard let blob = Base64.decode(String(decoding: rest[(space + 1)...], as: UTF8.self)), blob.count >= 5 else {
            throw AuditError.malformedNote("signature line \(number) is not canonical base64 of a key id and a signature")
        }
        let keyID = blob.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return Signature(keyName: keyName, keyID: keyID, bytes: Array(blob.dropFirst(4)))
    }
}
