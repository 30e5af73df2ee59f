package import VaultCrypto

/// A stored node that disagrees with the node recomputed from the leaves.
package struct MerkleNodeMismatch: Sendable, Hashable {
    /// The node as recomputed from the leaf bytes.
    package var recomputed: MerkleNode
    /// The hash the store holds at the same position.
    package var stored: SHA256Digest

    /// A mismatch.
    package init(recomputed: MerkleNode, stored: SHA256Digest) {
        self.recomputed = recomputed
        self.stored = stored
    }

    /// The first leaf (sequence number) under the disagreeing node. Nodes are compared as soon as
    /// they complete, so a changed leaf is reported at level 0 with its own index.
    package var firstLeaf: UInt64 { recomputed.firstLeaf }
}
