package import Foundation
package import VaultCrypto

/// The RFC 9162 (RFC 6962) Merkle tree of the audit log, over stored perfect-subtree hashes.
///
/// Leaf hash = SHA-256(0x00 ‖ leaf bytes), interior node = SHA-256(0x01 ‖ left ‖ right), a range
/// of n > 1 leaves splits at the largest power of two strictly below n, and odd nodes are never
/// duplicated. Every function here reads O(log n) nodes through a `MerkleNodeReader`.
///
/// Storage-layer use, inside the write transaction that appends the entry with `seq` = current size:
///
///     let leaf = entry.leafBytes                       // the row stores exactly these bytes
///     let nodes = try MerkleTree.nodesToAppend(leafHash: MerkleTree.leafHash(leaf), size: entry.seq, nodes: reader)
///     // insert the row and every node in `nodes`; at the end of the transaction or batch:
///     let root = try MerkleTree.root(size: newSize, nodes: reader)   // then sign a Checkpoint
///
/// (For a batch, `MerkleCompactRange(size:nodes:)` appends any number of leaves with no further
/// reads and gives the new root directly.)
///
/// Proofs for readers: `inclusionProof(leafIndex:size:nodes:)`, `consistencyProof(from:to:nodes:)`;
/// verifiers need no store: `verifyInclusion(...)`, `verifyConsistency(...)`.
package enum MerkleTree {
    /// MTH of the empty tree: SHA-256 of no bytes.
    package static let emptyRoot = SHA256.hash(data: [UInt8]())

    /// SHA-256(0x00 ‖ `leaf`): the hash of one log entry's exact bytes.
    package static func leafHash(_ leaf: some ContiguousBytes) -> SHA256Digest {
        leaf.withUnsafeBytes { bytes in
            withUnsafeBytes(of: UInt8(0x00)) { prefix in SHA256.hash(parts: [prefix, bytes]) }
        }
    }

    /// SHA-256(0x01 ‖ `left` ‖ `right`): an interior node.
    package static func nodeHash(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        left.bytes.withUnsafeBytes { l in
            right.bytes.withUnsafeBytes { r in
                withUnsafeBytes(of: UInt8(0x01)) { prefix in SHA256.hash(parts: [prefix, l, r]) }
            }
        }
    }

    /// The tree head (MTH) at `size` leaves; popcount(`size`) node reads.
    package static func root(size: UInt64, nodes: some MerkleNodeReader) throws -> SHA256Digest {
        size == 0 ? emptyRoot : try rangeHash(from: 0, to: size, nodes: nodes)
    }

    /// The nodes to store when the leaf with `leafHash` becomes leaf number `size` (0-based): the
    /// leaf node, then every parent it completes. Reads one stored node per parent.
    package static func nodesToAppend(
        leafHash: SHA256Digest,
        size: UInt64,
        nodes: some MerkleNodeReader
    ) throws -> [MerkleNode] {
        guard size < UInt64.max else { throw AuditError.invalidArgument("the tree is full") }
        var result = [MerkleNode(level: 0, index: size, hash: leafHash)]
        var hash = leafHash
        var level = 0
        var index = size
        // An odd index is a right child: its left sibling is complete, so the parent is too.
        while index & 1 == 1 {
            hash = nodeHash(try nodes.node(level: level, index: index - 1), hash)
            level += 1
            index >>= 1
            result.append(MerkleNode(level: level, index: index, hash: hash))
        }
        return result
    }

    /// MTH(D[`begin`:`end`]) for a range the RFC recursion produces (`begin` is a multiple of the
    /// largest power of two not above the range's length), from its perfect subtrees.
    ///
    /// The recursion MTH(D[a:b]) = H(MTH(D[a:a+k]), MTH(D[a+k:b])) peels off one perfect subtree
    /// per binary digit of b − a, largest first; folding them from the right reproduces it.
    static func rangeHash(from begin: UInt64, to end: UInt64, nodes: some MerkleNodeReader) throws -> SHA256Digest {
        precondition(begin < end, "empty range")
        var remaining = end - begin
        var cursor = end
        var hash: SHA256Digest?
        while remaining != 0 {
            let level = remaining.trailingZeroBitCount
            let width = UInt64(1) << UInt64(level)
            cursor -= width
            assert(cursor % width == 0, "unaligned range")
            let subtree = try nodes.node(level: level, index: cursor >> UInt64(level))
            hash = hash.map { nodeHash(subtree, $0) } ?? subtree
            remaining -= width
        }
        return hash!
    }

    /// The stored node covering the perfect range [`begin`, `begin` + `width`).
    static func perfectNode(from begin: UInt64, width: UInt64, nodes: some MerkleNodeReader) throws -> SHA256Digest {
        let level = width.trailingZeroBitCount
        return try nodes.node(level: level, index: begin >> UInt64(level))
    }

    /// The largest power of two strictly below `n` (n > 1).
    static func splitPoint(_ n: UInt64) -> UInt64 {
        UInt64(1) << UInt64(63 - (n - 1).leadingZeroBitCount)
    }
}
