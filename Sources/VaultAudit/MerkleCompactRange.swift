package import VaultCrypto

/// The roots of the perfect subtrees that make up a tree of `size` leaves (one per binary digit
/// of `size`): enough to append leaves and compute the root at every size, in O(log n) memory.
///
/// Use it to recompute a log from its leaves (`cvault audit verify`):
///
///     var range = MerkleCompactRange()
///     for row in entries {                                   // in seq order, seq == range.size
///         let hash = MerkleTree.leafHash(row.leaf)
///         if let mismatch = try range.append(leafHash: hash, comparingWith: storedNodes) {
///             // mismatch.firstLeaf is the first bad sequence number
///         }
///         if range.size == checkpoint.size { /* compare range.root with checkpoint.rootHash */ }
///     }
///
/// or, seeded from storage with `init(size:nodes:)`, to append a batch without further reads.
package struct MerkleCompactRange: Sendable {
    /// Number of leaves appended so far.
    package private(set) var size: UInt64
    // Perfect-subtree roots from the left (largest) to the right (smallest).
    private var peaks: [SHA256Digest]

    /// The empty range.
    package init() {
        size = 0
        peaks = []
        peaks.reserveCapacity(64)
    }

    /// The range of the first `size` leaves of a stored tree: popcount(`size`) node reads.
    package init(size: UInt64, nodes: some MerkleNodeReader) throws {
        self.init()
        var begin: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (UInt64(1) << UInt64(level)) != 0 {
            peaks.append(try nodes.node(level: level, index: begin >> UInt64(level)))
            begin += UInt64(1) << UInt64(level)
        }
        self.size = size
    }

    /// MTH of the leaves appended so far.
    package var root: SHA256Digest {
        guard var hash = peaks.last else { return MerkleTree.emptyRoot }
        for index in peaks.indices.dropLast().reversed() {
            hash = MerkleTree.nodeHash(peaks[index], hash)
        }
        return hash
    }

    /// Appends leaf number `size`.
    package mutating func append(leafHash: SHA256Digest) {
        append(leafHash: leafHash) { _ in }
    }

    /// Appends leaf number `size`, passing `completed` each node this completes: the leaf node
    /// first, then its newly complete ancestors. If `completed` throws, the range is unchanged.
    package mutating func append(leafHash: SHA256Digest, _ completed: (MerkleNode) throws -> Void) rethrows {
        var hash = leafHash
        var level = 0
        var index = size
        var peak = peaks.count
        try completed(MerkleNode(level: 0, index: index, hash: hash))
        while index & 1 == 1 {
            peak -= 1
            hash = MerkleTree.nodeHash(peaks[peak], hash)
            level += 1
            index >>= 1
            try completed(MerkleNode(level: level, index: index, hash: hash))
        }
        peaks.removeLast(peaks.count - peak)
        peaks.append(hash)
        size += 1
    }

    /// Appends leaf number `size` and compares each node it completes with the stored one;
    /// returns the first that differs, or nil. A node the store lacks throws the reader's error.
    ///
    /// Over a whole log, `stored` is asked for each level's nodes in order, index 0, 1, 2, … (a
    /// level-ℓ node every 2^ℓ leaves), so a database reader can serve it from one forward cursor
    /// per level rather than a query per node.
    package mutating func append(
        leafHash: SHA256Digest,
        comparingWith stored: some MerkleNodeReader
    ) throws -> MerkleNodeMismatch? {
        var mismatch: MerkleNodeMismatch?
        try append(leafHash: leafHash) { node in
            guard mismatch == nil else { return }
            let storedHash = try stored.node(level: node.level, index: node.index)
            if storedHash != node.hash { mismatch = MerkleNodeMismatch(recomputed: node, stored: storedHash) }
        }
        return mismatch
    }
}
