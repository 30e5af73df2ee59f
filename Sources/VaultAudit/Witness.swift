package import VaultCrypto

/// A c2sp.org/tlog-witness `add-checkpoint` request: the size of the checkpoint the client believes
/// the witness last cosigned, a consistency proof from it, and the new signed checkpoint.
///
///     old 20852014
///     <base64 proof hash, one per line>
///
///     <signed checkpoint note>
package struct AddCheckpointRequest: Sendable {
    /// The tree size the witness is believed to have cosigned last (0: never).
    package let oldSize: UInt64
    /// RFC 9162 consistency proof from `oldSize` to the checkpoint's size.
    package let proof: [SHA256Digest]
    /// The log-signed checkpoint to cosign.
    package let checkpoint: SignedCheckpoint

    /// A request.
    package init(oldSize: UInt64, proof: [SHA256Digest], checkpoint: SignedCheckpoint) {
        self.oldSize = oldSize
        self.proof = proof
        self.checkpoint = checkpoint
    }

    /// The request body.
    package var body: [UInt8] {
        Array("old \(oldSize)\n".utf8) + proof.flatMap { Array("\(Base64.encode($0.bytes))\n".utf8) } + [0x0A] + Array(checkpoint.text.utf8)
    }

    /// Parses a body strictly; throws `malformed_note` for anything else.
    package init(parsing body: [UInt8]) throws {
        guard let split = body.indices.dropLast().first(where: { body[$0] == 0x0A && body[$0 + 1] == 0x0A }) else {
            throw AuditError.malformedNote("no blank line after the proof")
        }
        let lines = body[...split].split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
        guard let first = lines.first, first.hasPrefix("old "), let size = UInt64(first.dropFirst(4)),
            String(size) == first.dropFirst(4), lines.count <= 64
        else { throw AuditError.malformedNote("the first line is not `old <size>`") }
        var proof: [SHA256Digest] = []
        for line in lines.dropFirst() {
            guard let bytes = Base64.decode(line), let hash = SHA256Digest(bytes: bytes) else {
                throw AuditError.malformedNote("a proof line is not canonical base64 of 32 bytes")
            }
            proof.append(hash)
        }
        self.init(oldSize: size, proof: proof, checkpoint: try SignedCheckpoint.parse(String(decoding: body[(split + 2)...], as: UTF8.self)))
    }
}

/// What a witness knows about one log it watches.
package struct WitnessedLog: Sendable, Codable, Equatable {
    /// The log's origin.
    package var origin: String
    /// The log's verifier key (`name+id+base64`), whose signature every checkpoint must carry.
    package var verifierKey: String
    /// The size of the latest checkpoint cosigned (0: none yet).
    package var size: UInt64
    /// Its root hash (base64), when `size` > 0.
    package var root: String?
    /// The latest cosigned checkpoint with the log's signature and the cosignature.
    package var checkpoint: String?

    /// A log the witness starts watching.
    package init(origin: String, verifierKey: String) {
        self.origin = origin
        self.verifierKey = verifierKey
        self.size = 0
    }
}

/// The witness's decision on an `add-checkpoint` request, as c2sp.org/tlog-witness specifies.
package enum WitnessOutcome: Sendable, Equatable {
    /// 200: the cosignature lines, and the log's state to persist before answering.
    case cosigned([SignedNote.Signature], WitnessedLog)
    /// 409: the size the witness last cosigned for the log (answered as `text/x.tlog.size`).
    case conflict(UInt64)
    /// 404: the witness does not watch this origin.
    case unknownLog
    /// 403: no valid signature by the log's key.
    case forbidden(String)
    /// 400: a malformed request.
    case badRequest(String)
    /// 422: the proof does not show the checkpoint extends what was cosigned — a fork or a rollback.
    case unprocessable(String)

    /// The HTTP status the spec gives the outcome.
    package var status: Int {
        switch self {
        case .cosigned: 200
        case .conflict: 409
        case .unknownLog: 404
        case .forbidden: 403
        case .badRequest: 400
        case .unprocessable: 422
        }
    }
}

/// The rules a witness applies (c2sp.org/tlog-witness): cosign only a checkpoint signed by the
/// log's known key that is consistent with — and not smaller than — the last one it cosigned, so
/// it never cosigns a rollback or a fork. Pure: the caller persists the new state before answering.
package enum WitnessRules {
    /// Decides `body` for a witness named `name` holding `key`, watching `logs` (by origin), at `time`.
    package static func addCheckpoint(
        _ body: [UInt8],
        logs: [String: WitnessedLog],
        name: String,
        key: Ed25519.PrivateKey,
        time: UInt64
    ) -> WitnessOutcome {
        let request: AddCheckpointRequest
        do {
            request = try AddCheckpointRequest(parsing: body)
        } catch {
            return .badRequest("\(error)")
        }
        let checkpoint = request.checkpoint.checkpoint
        guard var log = logs[checkpoint.origin] else { return .unknownLog }
        guard let logKey = try? NoteVerifierKey(parsing: log.verifierKey), logKey.kind == .ed25519 else {
            return .forbidden("the witness's key for this log is unusable")
        }
        guard (try? request.checkpoint.verify(publicKey: logKey.publicKey, keyName: logKey.name)) != nil else {
            return .forbidden("the checkpoint carries no valid signature by the log's key")
        }
        guard request.oldSize <= checkpoint.size else { return .badRequest("old size \(request.oldSize) is larger than the checkpoint's size") }
        guard request.oldSize == log.size else { return .conflict(log.size) }
        if checkpoint.size == 0 {
            guard checkpoint.rootHash == MerkleTree.emptyRoot else { return .unprocessable("an empty tree has another root") }
        }
        if request.oldSize == 0 {
            guard request.proof.isEmpty else { return .unprocessable("a proof from the empty tree must be empty") }
        } else {
            guard let stored = log.root.flatMap(Base64.decode).flatMap(SHA256Digest.init(bytes:)) else {
                return .unprocessable("the witness has no root for its last cosigned size")
            }
            do {
                try MerkleTree.verifyConsistency(
                    from: request.oldSize,
                    to: checkpoint.size,
                    proof: request.proof,
                    oldRoot: stored,
                    newRoot: checkpoint.rootHash
                )
            } catch {
                return .unprocessable("the checkpoint is not consistent with the one cosigned at size \(log.size)")
            }
        }
        guard let cosignature = try? Cosignature.sign(checkpoint, time: time, key: key, name: name) else {
            return .forbidden("the witness cannot sign")
        }
        log.size = checkpoint.size
        log.root = Base64.encode(checkpoint.rootHash.bytes)
        log.checkpoint = request.checkpoint.adding(cosignatures: [cosignature]).text
        return .cosigned([cosignature], log)
    }
}
