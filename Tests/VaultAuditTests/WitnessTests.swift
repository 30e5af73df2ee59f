import Foundation
import Testing
import VaultAudit
import VaultCrypto

@Suite("Witness cosignatures (c2sp.org/tlog-cosignature, c2sp.org/tlog-witness)")
struct WitnessTests {
    // RFC 8032 test 1 and test 2 secret keys: the log and the witness.
    static let logKey = try! Ed25519.PrivateKey(rawRepresentation: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
    static let witnessKey = try! Ed25519.PrivateKey(rawRepresentation: Hex.decode("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"))
    static let origin = "example.com/behind-the-sofa"
    static let witnessName = "witness.example.com/w1"

    /// The checkpoint of the tlog-cosignature spec, signed and cosigned by an independent
    /// implementation (Python `cryptography`, following the C2SP texts by hand). Ed25519 is
    /// deterministic, so every byte must match.
    @Test("signs and cosigns byte for byte like an independent implementation")
    func matchesAnIndependentImplementation() throws {
        let checkpoint = try Checkpoint(
            origin: Self.origin,
            size: 20_852_163,
            rootHash: SHA256Digest(bytes: Array(Data(base64Encoded: "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")!))!
        )
        let signed = try checkpoint.sign(with: Self.logKey, keyName: Self.origin)
        #expect(
            signed.text.hasSuffix(
                "\u{2014} example.com/behind-the-sofa +PpSVFNUsAicB1wXCuc36HrmzCfBx1ATQpTulWd9U006OEpyCvIVj2pM8CIzKlzXWcwxIO/VAQzkCO8DZUY5tlFX6QQ=\n"
            )
        )
        let cosignature = try Cosignature.sign(checkpoint, time: 1_679_315_147, key: Self.witnessKey, name: Self.witnessName)
        #expect(
            cosignature.line
                == "\u{2014} witness.example.com/w1 6EmBcgAAAABkGFDLU5VmHzFyg1moo3QxI1Ge6wHfwylQEoWhcwJH/SvRJW3LjvpU4PIuE1VI/0HWdoZ4oGL67Rl5yx89mAducLUyBQ==\n"
        )
        let witness = try NoteVerifierKey(name: Self.witnessName, publicKey: Self.witnessKey.publicKey, kind: .cosignatureV1)
        #expect(witness.description == "witness.example.com/w1+e8498172+BD1AF8PoQ4lakrcKp00bfrycmCzPLsSWjMDNVfEq9GYM")
        #expect(
            try NoteVerifierKey(name: Self.origin, publicKey: Self.logKey.publicKey).description
                == "example.com/behind-the-sofa+f8fa5254+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
        )
        // Parsed back from the published text, the cosignature verifies and tells its time; the log
        // signature still verifies beside it.
        let parsed = try SignedCheckpoint.parse(signed.adding(cosignatures: [cosignature]).text)
        #expect(parsed.cosignatureTime(by: witness) == 1_679_315_147)
        try parsed.verify(publicKey: Self.logKey.publicKey, keyName: Self.origin)
        // A cosignature is not a log signature, and the other way round.
        #expect(signed.cosignatureTime(by: witness) == nil)
    }

    @Test("parses cosigner keys published by others, checking their key ids")
    func parsesPublishedKeys() throws {
        let remora = try NoteVerifierKey(parsing: "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
        #expect(remora.kind == .cosignatureV1 && remora.name == "remora.n621.de")
        #expect(throws: AuditError.self) { try NoteVerifierKey(parsing: "remora.n621.de+da77ade8+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2") }
        #expect(try NoteVerifierKey(parsing: "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k").kind == .ed25519)
    }

    // MARK: the witness's rules

    private func tree(_ count: Int) -> MerkleNodeStore {
        var store = MerkleNodeStore()
        for index in 0..<count { store.append(leafHash: MerkleTree.leafHash(Array("entry \(index)".utf8))) }
        return store
    }

    private func request(old: UInt64, size: Int, store: MerkleNodeStore, key: Ed25519.PrivateKey = WitnessTests.logKey) throws -> [UInt8] {
        let root = try MerkleTree.root(size: UInt64(size), nodes: store)
        let proof = old > 0 && old < UInt64(size) ? try MerkleTree.consistencyProof(from: old, to: UInt64(size), nodes: store) : []
        let signed = try Checkpoint(origin: Self.origin, size: UInt64(size), rootHash: root).sign(with: key, keyName: Self.origin)
        return AddCheckpointRequest(oldSize: old, proof: proof, checkpoint: signed).body
    }

    private func decide(_ body: [UInt8], _ logs: [String: WitnessedLog]) -> WitnessOutcome {
        WitnessRules.addCheckpoint(body, logs: logs, name: Self.witnessName, key: Self.witnessKey, time: 1_800_000_000)
    }

    private var watched: [String: WitnessedLog] {
        [
            Self.origin: WitnessedLog(
                origin: Self.origin,
                verifierKey: try! NoteVerifierKey(name: Self.origin, publicKey: Self.logKey.publicKey).description
            )
        ]
    }

    @Test(
        "cosigns consistent growth only: a rollback, a fork, a stale old size, a stranger's key and an unknown log are refused with the spec's statuses"
    )
    func rules() throws {
        let store = tree(20)
        var logs = watched
        // First contact: old 0, no proof.
        guard case .cosigned(let lines, let first) = decide(try request(old: 0, size: 8, store: store), logs) else {
            Issue.record("the first checkpoint was not cosigned")
            return
        }
        #expect(lines.count == 1 && first.size == 8)
        logs[Self.origin] = first
        // Growth with a proof from 8.
        guard case .cosigned(_, let grown) = decide(try request(old: 8, size: 13, store: store), logs) else {
            Issue.record("consistent growth was not cosigned")
            return
        }
        logs[Self.origin] = grown
        // The same size again is fine; a smaller one (rollback) is refused before any proof is checked.
        #expect(decide(try request(old: 13, size: 13, store: store), logs).status == 200)
        #expect(decide(try request(old: 13, size: 10, store: store), logs) == .badRequest("old size 13 is larger than the checkpoint's size"))
        #expect(decide(try request(old: 8, size: 13, store: store), logs) == .conflict(13), "a stale old size learns the witness's")
        // A fork: another tree at a larger size, with a proof that cannot tie it to what was cosigned.
        let other = tree(1)
        var forked = other
        for index in 1..<20 { forked.append(leafHash: MerkleTree.leafHash(Array("forged \(index)".utf8))) }
        #expect(decide(try request(old: 13, size: 16, store: forked), logs).status == 422)
        // The same size with another root is a fork too.
        #expect(decide(try request(old: 13, size: 13, store: forked), logs).status == 422)
        // Signed by someone else, or for a log the witness does not watch.
        let stranger = try Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: 3, count: 32))
        #expect(decide(try request(old: 13, size: 14, store: store, key: stranger), logs).status == 403)
        #expect(decide(try request(old: 0, size: 3, store: store), [:]) == .unknownLog)
        #expect(decide(Array("old x\n\nnonsense".utf8), logs).status == 400)
    }

    @Test("an add-checkpoint body round-trips")
    func requestRoundTrip() throws {
        let body = try request(old: 5, size: 11, store: tree(11))
        let parsed = try AddCheckpointRequest(parsing: body)
        #expect(parsed.oldSize == 5 && parsed.proof.count > 0 && parsed.checkpoint.checkpoint.size == 11)
        #expect(parsed.body == body)
        #expect(String(decoding: body.prefix(6), as: UTF8.self) == "old 5\n")
    }
}
