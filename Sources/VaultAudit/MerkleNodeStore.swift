package import VaultCrypto

/// An in-memory perfect-subtree store: 32 bytes per node in one flat buffer per level. For tests,
/// benchmarks and recomputation; the vault itself keeps its nodes in the database.
package struct MerkleNodeStore: MerkleNodeReader, Sendable {
    private var levels: [[UInt8]] = []

    /// An empty tree.
    package init() {}

    /// Number of leaves.
    package var size: UInt64 { levels.isEmpty ? 0 : UInt64(levels[0].count / SHA256.byteCount) }

    /// MTH at the current size.
    package var root: SHA256Digest {
        // Every node a root needs is stored, by construction.
        try! MerkleTree.root(size: size, nodes: self)
    }

    /// The stored hash, or `AuditError.missingNode`.
    package func node(level: Int, index: UInt64) throws -> SHA256Digest {
        guard level >= 0, level < levels.count else { throw AuditError.missingNode(level: level, index: index) }
        let count = UInt64(levels[level].count / SHA256.byteCount)
        guard index < count else { throw AuditError.missingNode(level: level, index: index) }
        let start = Int(index) * SHA256.byteCount
        return SHA256Digest(bytes: Array(levels[level][start..<start + SHA256.byteCount]))!
    }

    /// Appends one leaf by its hash, storing every node it completes.
    package mutating func append(leafHash: SHA256Digest) {
        // Appending reads only nodes this store already holds, and an in-memory tree never fills.
        let nodes = try! MerkleTree.nodesToAppend(leafHash: leafHash, size: size, nodes: self)
        for node in nodes {
            if node.level == levels.count { levels.append([]) }
            levels[node.level].append(contentsOf: node.hash.bytes)
        }
    }
}
