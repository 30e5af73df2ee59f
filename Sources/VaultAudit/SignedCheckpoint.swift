package import VaultCrypto

/// A checkpoint with its signatures, as published: `text` is the whole signed note.
///
/// Anyone can check one with standard tools, e.g. golang.org/x/mod/sumdb/note:
/// `note.Open([]byte(text), note.VerifierList(verifier))` with the `NoteVerifierKey` string.
package struct SignedCheckpoint: Sendable, Hashable {
    /// The signed content.
    package let checkpoint: Checkpoint
    /// The signed note carrying it.
    package let note: SignedNote

    init(checkpoint: Checkpoint, note: SignedNote) {
        self.checkpoint = checkpoint
        self.note = note
    }

    /// The whole note: body, blank line, signature lines.
    package var text: String { note.text }

    /// Parses a signed checkpoint strictly (`malformed_note` or `malformed_checkpoint`); call
    /// `verify(publicKey:keyName:)` before trusting anything in it.
    package static func parse(_ text: String) throws -> SignedCheckpoint {
        let note = try SignedNote(parsing: text)
        return SignedCheckpoint(checkpoint: try Checkpoint(body: note.body), note: note)
    }

    /// Throws `unknown_key` unless a signature by (`keyName`, `publicKey`) is present, and
    /// `invalid_signature` if any such signature fails.
    package func verify(publicKey: Ed25519.PublicKey, keyName: String) throws {
        try note.verify(publicKey: publicKey, keyName: keyName)
    }
}
