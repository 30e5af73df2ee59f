import Foundation
import VaultAudit
import VaultCrypto
import VaultStore

/// How the database's audit log stands against the checkpoint kept outside it.
enum AnchorState: Sendable, Equatable {
    /// No anchor file yet (a new vault, or one from before anchors).
    case absent
    /// The log extends the anchored checkpoint: all is well.
    case extended(size: UInt64)
    /// The log is shorter than the anchored checkpoint: rolled back or cut short.
    case behind(anchored: UInt64, log: UInt64)
    /// The log's root at the anchored size differs: history was rewritten.
    case rewritten(anchored: UInt64)
    /// The anchor file is not a checkpoint this vault signed.
    case invalid

    /// What is wrong, for an error or a verification report; nil when nothing is.
    func problem(path: String) -> String? {
        switch self {
        case .absent, .extended:
            nil
        case .behind(let anchored, let log):
            "the audit log in the database has \(log) entries, but this vault signed a checkpoint at size \(anchored) (kept in \(path)): the database was rolled back or cut short"
        case .rewritten(let anchored):
            "the audit log in the database does not extend the checkpoint this vault signed at size \(anchored) (kept in \(path)): its history was rewritten"
        case .invalid:
            "\(path) is not a checkpoint signed by this vault: it was replaced or damaged"
        }
    }
}

extension Vault {
    /// Compares the anchored checkpoint with the log in `tx`. Read the anchor before opening the
    /// snapshot: it is written after each commit, so it can never be ahead of a later snapshot.
    static func anchorState(_ note: String?, in tx: any StorageReader, publicKey: Ed25519.PublicKey, origins: Set<String>) throws -> AnchorState {
        guard let note else { return .absent }
        guard let signed = try? SignedCheckpoint.parse(note), origins.contains(signed.checkpoint.origin),
            (try? signed.verify(publicKey: publicKey, keyName: signed.checkpoint.origin)) != nil
        else { return .invalid }
        let anchored = signed.checkpoint.size
        let size = try tx.auditSize()
        guard anchored <= size else { return .behind(anchored: anchored, log: size) }
        guard anchored > 0 else { return .extended(size: 0) }
        guard let root = try? MerkleTree.root(size: anchored, nodes: StoredNodes(reader: tx)), root == signed.checkpoint.rootHash else {
            return .rewritten(anchored: anchored)
        }
        return .extended(size: anchored)
    }
}
