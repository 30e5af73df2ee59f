/// An error from VaultAudit; its description names positions and field names, never entry values.
package struct AuditError: Error, Equatable, Sendable, CustomStringConvertible {
    private enum Internal: Equatable, Sendable {
        case invalidArgument(String)
        case invalidProof(String)
        case missingNode(level: Int, index: UInt64)
        case malformedNote(String)
        case malformedCheckpoint(String)
        case malformedVerifierKey(String)
        case unknownKey(name: String, keyID: UInt32)
        case invalidSignature(name: String, keyID: UInt32)
        case malformedJSON(String)
        case malformedLeaf(String)
        case nonCanonicalLeaf
    }

    private let value: Internal
    private init(_ value: Internal) { self.value = value }

    static func invalidArgument(_ what: String) -> Self { .init(.invalidArgument(what)) }
    static func invalidProof(_ what: String) -> Self { .init(.invalidProof(what)) }
    /// A node reader has no hash for this perfect subtree: the store is incomplete or was truncated.
    package static func missingNode(level: Int, index: UInt64) -> Self { .init(.missingNode(level: level, index: index)) }
    static func malformedNote(_ what: String) -> Self { .init(.malformedNote(what)) }
    static func malformedCheckpoint(_ what: String) -> Self { .init(.malformedCheckpoint(what)) }
    static func malformedVerifierKey(_ what: String) -> Self { .init(.malformedVerifierKey(what)) }
    static func unknownKey(name: String, keyID: UInt32) -> Self { .init(.unknownKey(name: name, keyID: keyID)) }
    static func invalidSignature(name: String, keyID: UInt32) -> Self { .init(.invalidSignature(name: name, keyID: keyID)) }
    static func malformedJSON(_ what: String) -> Self { .init(.malformedJSON(what)) }
    static func malformedLeaf(_ what: String) -> Self { .init(.malformedLeaf(what)) }
    static var nonCanonicalLeaf: Self { .init(.nonCanonicalLeaf) }

    /// A stable, machine-readable code for the kind of failure.
    package var code: String {
        switch value {
        case .invalidArgument: "invalid_argument"
        case .invalidProof: "invalid_proof"
        case .missingNode: "missing_node"
        case .malformedNote: "malformed_note"
        case .malformedCheckpoint: "malformed_checkpoint"
        case .malformedVerifierKey: "malformed_verifier_key"
        case .unknownKey: "unknown_key"
        case .invalidSignature: "invalid_signature"
        case .malformedJSON: "malformed_json"
        case .malformedLeaf: "malformed_leaf"
        case .nonCanonicalLeaf: "non_canonical_leaf"
        }
    }

    /// What went wrong and what to do; never an entry's values or key bytes.
    package var description: String {
        switch value {
        case .invalidArgument(let what):
            "invalid argument: \(what)"
        case .invalidProof(let what):
            "the proof does not verify: \(what); the log, the proof or the trusted root was altered"
        case .missingNode(let level, let index):
            "the Merkle node at level \(level), index \(index) is not stored; the audit log is incomplete or was truncated, run `cvault audit verify`"
        case .malformedNote(let what):
            "malformed signed note: \(what)"
        case .malformedCheckpoint(let what):
            "malformed checkpoint: \(what)"
        case .malformedVerifierKey(let what):
            "malformed verifier key: \(what); expected <name>+<8 hex digits>+<base64 of 0x01 and the 32-byte Ed25519 key>"
        case .unknownKey(let name, let keyID):
            "the note carries no signature by key \(name) (id \(Self.hex(keyID))); check the key name and public key"
        case .invalidSignature(let name, let keyID):
            "the signature by key \(name) (id \(Self.hex(keyID))) does not verify: the note was altered or signed by another key"
        case .malformedJSON(let what):
            "malformed JSON: \(what)"
        case .malformedLeaf(let what):
            "malformed audit leaf: \(what)"
        case .nonCanonicalLeaf:
            "the audit leaf is valid JSON but not in canonical form: it was rewritten after it was logged"
        }
    }

    static func hex(_ keyID: UInt32) -> String {
        let digits = String(keyID, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
