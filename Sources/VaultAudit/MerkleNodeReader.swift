package import VaultCrypto

/// Read access to the stored hashes of a log's perfect subtrees.
///
/// Node (`level`, `index`) is MTH(D[index·2^level, (index+1)·2^level)) in RFC 9162 terms: the
/// hash of a complete, aligned block of 2^level leaves. Level 0 holds the leaf hashes. These are
/// the only nodes a log stores; every root and proof is assembled from O(log n) of them.
///
/// The storage layer implements this over its `audit_node` table; throw
/// `AuditError.missingNode(level:index:)` (or a storage error) when a node is absent.
package protocol MerkleNodeReader {
    /// The hash of the perfect subtree at `level` and `index`.
    func node(level: Int, index: UInt64) throws -> SHA256Digest
}

/// One stored perfect-subtree hash.
package struct MerkleNode: Sendable, Hashable {
    /// Height above the leaves: 0 for a leaf hash.
    package var level: Int
    /// Position among the nodes of this level, from the left.
    package var index: UInt64
    /// MTH of the 2^level leaves this node covers.
    package var hash: SHA256Digest

    /// A node.
    package init(level: Int, index: UInt64, hash: SHA256Digest) {
        self.level = level
        self.index = index
        self.hash = hash
    }

    /// The first leaf this node covers.
    package var firstLeaf: UInt64 { index << UInt64(level) }
}
