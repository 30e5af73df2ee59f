package import VaultCrypto

/// An Ed25519 signed-note verifier key (c2sp.org/signed-note): a key name and public key, written
/// `<name>+<8 hex digits of key id>+<base64(type ‖ 32-byte public key)>` as
/// golang.org/x/mod/sumdb/note's `NewVerifier` reads it. `cvault audit public-key` prints a log's
/// (type 0x01); `cvault witness init` prints a witness's (type 0x04, c2sp.org/tlog-cosignature).
package struct NoteVerifierKey: Sendable, Equatable, CustomStringConvertible {
    /// What the key's signatures sign.
    package enum Kind: UInt8, Sendable {
        /// Plain Ed25519 over the note text (a log's checkpoints).
        case ed25519 = 0x01
        /// `cosignature/v1`: Ed25519 over a timestamped checkpoint body (a witness).
        case cosignatureV1 = 0x04
    }

    /// The key name that signature lines carry (the log's origin for checkpoints).
    package let name: String
    /// The verification key.
    package let publicKey: Ed25519.PublicKey
    /// What its signatures sign.
    package let kind: Kind

    /// A verifier key; throws if `name` is empty or holds whitespace, `+` or control characters.
    package init(name: String, publicKey: Ed25519.PublicKey, kind: Kind = .ed25519) throws {
        try Self.validateKeyName(name)
        self.name = name
        self.publicKey = publicKey
        self.kind = kind
    }

    /// Parses the `<name>+<hex id>+<base64 key>` form, checking that the id matches the key.
    package init(parsing text: String) throws {
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw AuditError.malformedVerifierKey("expected three parts separated by '+'") }
        let name = String(parts[0])
        let hex = parts[1]
        guard hex.utf8.count == 8, hex.utf8.allSatisfy({ Self.isHexDigit($0) }), let keyID = UInt32(hex, radix: 16) else {
            throw AuditError.malformedVerifierKey("the key id is not 8 hex digits")
        }
        guard let data = Base64.decode(String(parts[2])), data.count == 1 + Ed25519.keyByteCount else {
            throw AuditError.malformedVerifierKey("the key is not canonical base64 of 33 bytes")
        }
        guard let kind = Kind(rawValue: data[0]) else {
            throw AuditError.malformedVerifierKey("the key is neither an Ed25519 key nor a cosignature/v1 key (type \(data[0]))")
        }
        guard (try? Self.validateKeyName(name)) != nil else {
            throw AuditError.malformedVerifierKey("the key name is empty or holds whitespace, '+' or control characters")
        }
        guard let publicKey = try? Ed25519.PublicKey(rawRepresentation: data.dropFirst()) else {
            throw AuditError.malformedVerifierKey("the key bytes are not an Ed25519 public key")
        }
        self.name = name
        self.publicKey = publicKey
        self.kind = kind
        guard self.keyID == keyID else {
            throw AuditError.malformedVerifierKey("the key id does not match the name and key")
        }
    }

    /// The signed-note key id: the first 4 bytes, big-endian, of SHA-256(name ‖ 0x0A ‖ type ‖ key).
    package var keyID: UInt32 { Self.keyID(name: name, publicKey: publicKey, kind: kind) }

    /// The `<name>+<hex id>+<base64 key>` form.
    package var description: String {
        "\(name)+\(AuditError.hex(keyID))+\(Base64.encode([kind.rawValue] + publicKey.rawRepresentation))"
    }

    static func keyID(name: String, publicKey: Ed25519.PublicKey, kind: Kind = .ed25519) -> UInt32 {
        let input = Array(name.utf8) + [0x0A, kind.rawValue] + publicKey.rawRepresentation
        return SHA256.hash(data: input).bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Key names: non-empty, no Unicode whitespace, no `+`, no control characters.
    package static func validateKeyName(_ name: String) throws {
        guard !name.isEmpty else { throw AuditError.invalidArgument("a key name must not be empty") }
        for scalar in name.unicodeScalars where scalar.properties.isWhitespace || scalar == "+" || scalar.value < 0x20 {
            throw AuditError.invalidArgument("a key name must not contain whitespace, '+' or control characters")
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}
