public import VaultCrypto

/// A stored node that disagrees with the node recomputed from the leaves.
public struct MerkleNodeMismatch: Sendable, Hashable {
    /// The node as recomputed from the leaf bytes.
    public var recomputed: MerkleNode
    /// The hash the store holds at the same position.
    public var stored: SHA256Digest

    /// A mismatch.
    public init(recomputed: MerkleNode, stored: SHA256Digest) {
        self.recomputed = recomputed
        self.stored = stored
    }

    /// The first leaf (sequence number) under the disagreeing node. Nodes are compared as soon as
    /// they complete, so a changed leaf is reported at level 0 with its own index.
    public var firstLeaf: UInt64 { recomputed.firstLeaf }
}
