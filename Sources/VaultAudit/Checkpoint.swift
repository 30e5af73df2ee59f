package import VaultCrypto

/// A c2sp.org/tlog-checkpoint body: the log's origin, tree size and root hash, one per line.
///
///     example.com/vault
///     20852163
///     CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
///
/// Storage-layer use after each write transaction (or batch) that appended entries:
///
///     let signed = try Checkpoint(origin: origin, size: size, rootHash: root).sign(with: key, keyName: origin)
///     // store signed.text with its size and root
package struct Checkpoint: Sendable, Hashable {
    /// The log's identity, e.g. `vault.example.com/audit`; also the signing key's name.
    package let origin: String
    /// Number of leaves.
    package let size: UInt64
    /// MTH at `size` leaves.
    package let rootHash: SHA256Digest

    /// A checkpoint; throws if `origin` is empty or holds control characters.
    package init(origin: String, size: UInt64, rootHash: SHA256Digest) throws {
        guard !origin.isEmpty, !origin.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw AuditError.invalidArgument("a checkpoint origin must be non-empty, on one line, without control characters")
        }
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
    }

    /// Parses a note body strictly: three lines, a size without leading zeros, canonical base64 of
    /// 32 bytes. Extension lines are refused: this log never writes them.
    init(body: String) throws {
        var lines = body.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard lines.last == "" else { throw AuditError.malformedCheckpoint("the body does not end in a newline") }
        lines.removeLast()
        guard lines.count >= 3 else { throw AuditError.malformedCheckpoint("the body has \(lines.count) lines, not 3") }
        guard lines.count == 3 else {
            throw AuditError.malformedCheckpoint("the body has extension lines, which this log never writes")
        }
        let sizeText = lines[1]
        guard !sizeText.isEmpty, sizeText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            sizeText == "0" || !sizeText.hasPrefix("0"), let size = UInt64(sizeText)
        else { throw AuditError.malformedCheckpoint("the tree size is not a decimal number without leading zeros") }
        guard let root = Base64.decode(lines[2]), let rootHash = SHA256Digest(bytes: root) else {
            throw AuditError.malformedCheckpoint("the root hash is not canonical base64 of 32 bytes")
        }
        do {
            try self.init(origin: lines[0], size: size, rootHash: rootHash)
        } catch {
            throw AuditError.malformedCheckpoint("the origin line is empty")
        }
    }

    /// `<origin>\n<size>\n<base64 root>\n`: the exact bytes signed.
    package var body: String { "\(origin)\n\(size)\n\(Base64.encode(rootHash.bytes))\n" }

    /// Signs the body as a signed note. The tlog-checkpoint spec asks that `keyName` be the origin.
    package func sign(with key: Ed25519.PrivateKey, keyName: String) throws -> SignedCheckpoint {
        SignedCheckpoint(checkpoint: self, note: try SignedNote(body: body, signingKey: key, keyName: keyName))
    }
}
