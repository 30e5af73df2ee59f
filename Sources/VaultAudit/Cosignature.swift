package import VaultCrypto

/// A witness's cosignature on a checkpoint (c2sp.org/tlog-cosignature, `cosignature/v1`): the
/// witness signs `cosignature/v1\ntime <t>\n` followed by the checkpoint body, and the signature
/// line carries key id ‖ t (8 bytes, big-endian) ‖ Ed25519 signature. A verifier who trusts the
/// witness learns that the witness saw this checkpoint at time t, and only ever let it grow.
package enum Cosignature {
    /// Signs `checkpoint` at `time` (seconds since the epoch) as the witness `name`.
    package static func sign(_ checkpoint: Checkpoint, time: UInt64, key: Ed25519.PrivateKey, name: String) throws -> SignedNote.Signature {
        let verifier = try NoteVerifierKey(name: name, publicKey: key.publicKey, kind: .cosignatureV1)
        let signature = try key.signature(for: message(checkpoint.body, time: time))
        return SignedNote.Signature(keyName: name, keyID: verifier.keyID, bytes: time.bigEndianBytes + signature)
    }

    /// The time `witness` cosigned `checkpoint` at, if `note` carries a valid cosignature by it.
    package static func time(in note: SignedNote, of checkpoint: Checkpoint, by witness: NoteVerifierKey) -> UInt64? {
        guard witness.kind == .cosignatureV1 else { return nil }
        for signature in note.signatures where signature.keyID == witness.keyID && signature.keyName.utf8.elementsEqual(witness.name.utf8) {
            guard signature.bytes.count == 8 + Ed25519.signatureByteCount else { continue }
            let time = signature.bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if witness.publicKey.isValidSignature(Array(signature.bytes.dropFirst(8)), for: message(checkpoint.body, time: time)) {
                return time
            }
        }
        return nil
    }

    static func message(_ body: String, time: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(time)\n".utf8) + Array(body.utf8)
    }
}

extension SignedCheckpoint {
    /// The checkpoint with a witness's cosignature lines added.
    package func adding(cosignatures: [SignedNote.Signature]) -> SignedCheckpoint {
        SignedCheckpoint(checkpoint: checkpoint, note: note.adding(cosignatures))
    }

    /// When `witness` cosigned this checkpoint, if the note carries its valid cosignature.
    package func cosignatureTime(by witness: NoteVerifierKey) -> UInt64? {
        Cosignature.time(in: note, of: checkpoint, by: witness)
    }
}

extension UInt64 {
    var bigEndianBytes: [UInt8] { (0..<8).reversed().map { UInt8(truncatingIfNeeded: self >> ($0 * 8)) } }
}
