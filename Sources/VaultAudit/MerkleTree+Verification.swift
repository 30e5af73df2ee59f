package import VaultCrypto

extension MerkleTree {
    /// Checks an inclusion proof as RFC 9162 §2.1.3.2 specifies; throws `invalid_proof` (or
    /// `invalid_argument` when `leafIndex` ≥ `size`) unless `leafHash` is leaf `leafIndex` of the
    /// tree of `size` leaves whose root is `root`.
    ///
    /// `size` and `root` must come together from one verified checkpoint: like every RFC 6962
    /// verifier, this one cannot tell whether `root` really belongs to `size`.
    package static func verifyInclusion(
        leafHash: SHA256Digest,
        leafIndex: UInt64,
        size: UInt64,
        proof: [SHA256Digest],
        root: SHA256Digest
    ) throws {
        guard leafIndex < size else {
            throw AuditError.invalidArgument("leaf \(leafIndex) is not in a tree of \(size) leaves")
        }
        let expected = inclusionProofLength(leafIndex: leafIndex, size: size)
        guard proof.count == expected else {
            throw AuditError.invalidProof(
                "an inclusion proof for leaf \(leafIndex) in a tree of \(size) has \(expected) hashes, this one has \(proof.count)"
            )
        }
        var fn = leafIndex
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { throw AuditError.invalidProof("the inclusion proof is too long") }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw AuditError.invalidProof("the inclusion proof is too short") }
        guard r == root else {
            throw AuditError.invalidProof("leaf \(leafIndex) with this proof does not lead to the root of the tree of \(size)")
        }
    }

    /// Checks a consistency proof as RFC 9162 §2.1.4.2 specifies; throws unless the tree of
    /// `oldSize` leaves with root `oldRoot` is a prefix of the tree of `newSize` leaves with root
    /// `newRoot`. Equal sizes need an empty proof and equal roots; `oldSize` 0 is rejected as an
    /// invalid argument (compare such a root with `emptyRoot` instead: no proof exists or is needed).
    package static func verifyConsistency(
        from oldSize: UInt64,
        to newSize: UInt64,
        proof: [SHA256Digest],
        oldRoot: SHA256Digest,
        newRoot: SHA256Digest
    ) throws {
        guard oldSize > 0 else {
            throw AuditError.invalidArgument("a consistency proof starts from a non-empty tree; every tree extends the empty one")
        }
        guard oldSize <= newSize else {
            throw AuditError.invalidArgument("old size \(oldSize) is larger than new size \(newSize)")
        }
        let expected = consistencyProofLength(from: oldSize, to: newSize)
        guard proof.count == expected else {
            throw AuditError.invalidProof("a consistency proof from \(oldSize) to \(newSize) has \(expected) hashes, this one has \(proof.count)")
        }
        if oldSize == newSize {
            guard oldRoot == newRoot else {
                throw AuditError.invalidProof("two trees of \(oldSize) leaves have different roots")
            }
            return
        }
        // RFC 9162 step 2 prepends the old root when the old tree is a perfect subtree; starting
        // from it directly avoids copying the proof.
        var remaining = proof[...]
        let seed: SHA256Digest
        if oldSize & (oldSize - 1) == 0 {
            seed = oldRoot
        } else {
            seed = remaining.removeFirst()
        }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = seed
        var sr = seed
        for c in remaining {
            guard sn != 0 else { throw AuditError.invalidProof("the consistency proof is too long") }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw AuditError.invalidProof("the consistency proof is too short") }
        guard fr == oldRoot else {
            throw AuditError.invalidProof("the proof does not reproduce the root of the tree of \(oldSize)")
        }
        guard sr == newRoot else {
            throw AuditError.invalidProof("the proof does not reproduce the root of the tree of \(newSize)")
        }
    }

    /// Hashes in PATH(`leafIndex`, D[`size`]): the levels below the point where the paths to
    /// `leafIndex` and to the last leaf part, plus one per left sibling above it.
    static func inclusionProofLength(leafIndex: UInt64, size: UInt64) -> Int {
        let inner = 64 - (leafIndex ^ (size - 1)).leadingZeroBitCount
        return inner + (leafIndex >> UInt64(inner)).nonzeroBitCount
    }

    /// Hashes in PROOF(`oldSize`, D[`newSize`]) for 0 < `oldSize` ≤ `newSize`.
    static func consistencyProofLength(from oldSize: UInt64, to newSize: UInt64) -> Int {
        guard oldSize < newSize else { return 0 }
        // The inclusion path of the old tree's last leaf, minus the levels inside the old tree's
        // rightmost perfect subtree, plus that subtree's hash unless it is the whole old tree.
        let shift = oldSize.trailingZeroBitCount
        let own = oldSize == UInt64(1) << UInt64(shift) ? 0 : 1
        return own + inclusionProofLength(leafIndex: oldSize - 1, size: newSize) - shift
    }
}
