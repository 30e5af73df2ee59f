package import VaultCrypto

extension MerkleTree {
    /// PATH(`leafIndex`, D[`size`]) of RFC 6962 §2.1.1 (RFC 9162 §2.1.3.1): sibling hashes from
    /// the leaf up to the root. At most 2·⌈log2 size⌉ node reads: one per perfect sibling, plus
    /// popcount reads for the single sibling that covers the tree's ragged right edge.
    package static func inclusionProof(leafIndex: UInt64, size: UInt64, nodes: some MerkleNodeReader) throws -> [SHA256Digest] {
        guard leafIndex < size else {
            throw AuditError.invalidArgument("leaf \(leafIndex) is not in a tree of \(size) leaves")
        }
        // Walk the RFC recursion top-down and reverse: the RFC lists the deepest sibling first.
        var path: [SHA256Digest] = []
        path.reserveCapacity(64)
        var begin: UInt64 = 0
        var end = size
        while end - begin > 1 {
            let k = splitPoint(end - begin)
            if leafIndex < begin + k {
                path.append(try rangeHash(from: begin + k, to: end, nodes: nodes))
                end = begin + k
            } else {
                path.append(try perfectNode(from: begin, width: k, nodes: nodes))
                begin += k
            }
        }
        path.reverse()
        return path
    }

    /// PROOF(`oldSize`, D[`newSize`]) of RFC 6962 §2.1.2 (RFC 9162 §2.1.4.1): the hashes that
    /// show the tree at `oldSize` is a prefix of the tree at `newSize`. Empty when the sizes are
    /// equal; `oldSize` must be at least 1 (the empty tree is a prefix of every tree, with no proof).
    package static func consistencyProof(from oldSize: UInt64, to newSize: UInt64, nodes: some MerkleNodeReader) throws -> [SHA256Digest] {
        guard oldSize > 0 else {
            throw AuditError.invalidArgument("a consistency proof starts from a non-empty tree; every tree extends the empty one")
        }
        guard oldSize <= newSize else {
            throw AuditError.invalidArgument("old size \(oldSize) is larger than new size \(newSize)")
        }
        var path: [SHA256Digest] = []
        path.reserveCapacity(64)
        var begin: UInt64 = 0
        var end = newSize
        // SUBPROOF's flag: true while the range is the old tree's own root path, whose hash the
        // verifier already holds.
        var isOldRoot = true
        while true {
            let count = end - begin
            let target = oldSize - begin
            if target == count {
                if !isOldRoot { path.append(try rangeHash(from: begin, to: end, nodes: nodes)) }
                break
            }
            let k = splitPoint(count)
            if target <= k {
                path.append(try rangeHash(from: begin + k, to: end, nodes: nodes))
                end = begin + k
            } else {
                path.append(try perfectNode(from: begin, width: k, nodes: nodes))
                begin += k
                isOldRoot = false
            }
        }
        path.reverse()
        return path
    }
}
