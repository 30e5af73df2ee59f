import Testing
import VaultAudit
import VaultCrypto

@Suite("Verifiers reject altered proofs")
struct ProofRejectionTests {
    let leaves: [SHA256Digest]
    let store: MerkleNodeStore

    init() { (leaves, store) = makeTree(40) }

    func root(_ n: UInt64) -> SHA256Digest { try! MerkleTree.root(size: n, nodes: store) }

    func rejectsInclusion(
        _ leaf: SHA256Digest,
        _ index: UInt64,
        _ size: UInt64,
        _ proof: [SHA256Digest],
        _ root: SHA256Digest,
        code: String = "invalid_proof",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: AuditError.self, sourceLocation: sourceLocation) {
            try MerkleTree.verifyInclusion(leafHash: leaf, leafIndex: index, size: size, proof: proof, root: root)
        }
        #expect(error?.code == code, sourceLocation: sourceLocation)
    }

    func rejectsConsistency(
        _ m: UInt64,
        _ n: UInt64,
        _ proof: [SHA256Digest],
        _ oldRoot: SHA256Digest,
        _ newRoot: SHA256Digest,
        code: String = "invalid_proof",
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: AuditError.self, sourceLocation: sourceLocation) {
            try MerkleTree.verifyConsistency(from: m, to: n, proof: proof, oldRoot: oldRoot, newRoot: newRoot)
        }
        #expect(error?.code == code, sourceLocation: sourceLocation)
    }

    @Test(arguments: [(UInt64(5), UInt64(8)), (0, 1), (2, 3), (17, 40), (39, 40), (31, 32)])
    func inclusionBitFlips(index: UInt64, size: UInt64) throws {
        let proof = try MerkleTree.inclusionProof(leafIndex: index, size: size, nodes: store)
        let root = root(size)
        let leaf = leaves[Int(index)]
        try MerkleTree.verifyInclusion(leafHash: leaf, leafIndex: index, size: size, proof: proof, root: root)
        for position in proof.indices {
            for bit in 0..<256 {
                var altered = proof
                altered[position] = altered[position].flipping(bit: bit)
                rejectsInclusion(leaf, index, size, altered, root)
            }
        }
        for bit in 0..<256 {
            rejectsInclusion(leaf.flipping(bit: bit), index, size, proof, root)
            rejectsInclusion(leaf, index, size, proof, root.flipping(bit: bit))
        }
    }

    @Test func inclusionShapeChanges() throws {
        for size in UInt64(1)...40 {
            let root = root(size)
            for index in 0..<size {
                let proof = try MerkleTree.inclusionProof(leafIndex: index, size: size, nodes: store)
                let leaf = leaves[Int(index)]
                if !proof.isEmpty {
                    rejectsInclusion(leaf, index, size, Array(proof.dropLast()), root)
                    rejectsInclusion(leaf, index, size, Array(proof.dropFirst()), root)
                }
                if proof.count > 1 { rejectsInclusion(leaf, index, size, proof.reversed(), root) }
                rejectsInclusion(leaf, index, size, proof + [leaf], root)
                rejectsInclusion(leaf, index, size, [root] + proof, root)
                // The same proof for a neighbouring position, or for another tree size with that
                // size's root. (A size paired with another size's root proves nothing either way:
                // the verifier can only bind size and root as a signed checkpoint delivers them.)
                if index + 1 < size { rejectsInclusion(leaf, index + 1, size, proof, root) }
                if index > 0 { rejectsInclusion(leaf, index - 1, size, proof, root) }
                if size < 40 { rejectsInclusion(leaf, index, size + 1, proof, self.root(size + 1)) }
                if index + 1 < size { rejectsInclusion(leaf, index, size - 1, proof, self.root(size - 1)) }
                // Another leaf's hash at this position.
                rejectsInclusion(leaves[Int((index + 1) % 40)], index, size, proof, root)
            }
        }
    }

    @Test func inclusionOutOfRange() {
        rejectsInclusion(leaves[0], 8, 8, [], root(8), code: "invalid_argument")
        rejectsInclusion(leaves[0], 0, 0, [], MerkleTree.emptyRoot, code: "invalid_argument")
        rejectsInclusion(leaves[0], .max, 8, [], root(8), code: "invalid_argument")
    }

    @Test(arguments: [(UInt64(1), UInt64(8)), (6, 8), (3, 40), (32, 40), (17, 33), (7, 9), (2, 5)])
    func consistencyBitFlips(m: UInt64, n: UInt64) throws {
        let proof = try MerkleTree.consistencyProof(from: m, to: n, nodes: store)
        let oldRoot = root(m)
        let newRoot = root(n)
        try MerkleTree.verifyConsistency(from: m, to: n, proof: proof, oldRoot: oldRoot, newRoot: newRoot)
        for position in proof.indices {
            for bit in 0..<256 {
                var altered = proof
                altered[position] = altered[position].flipping(bit: bit)
                rejectsConsistency(m, n, altered, oldRoot, newRoot)
            }
        }
        for bit in 0..<256 {
            rejectsConsistency(m, n, proof, oldRoot.flipping(bit: bit), newRoot)
            rejectsConsistency(m, n, proof, oldRoot, newRoot.flipping(bit: bit))
        }
    }

    @Test func consistencyShapeChanges() throws {
        for n in UInt64(1)...40 {
            for m in UInt64(1)...n {
                let proof = try MerkleTree.consistencyProof(from: m, to: n, nodes: store)
                let oldRoot = root(m)
                let newRoot = root(n)
                if m < n {
                    rejectsConsistency(m, n, proof, newRoot, oldRoot)
                    rejectsConsistency(m, n, Array(proof.dropLast()), oldRoot, newRoot)
                    rejectsConsistency(m, n, Array(proof.dropFirst()), oldRoot, newRoot)
                    rejectsConsistency(m, n, [], oldRoot, newRoot)
                    if proof.count > 1 { rejectsConsistency(m, n, proof.reversed(), oldRoot, newRoot) }
                    if m > 1 { rejectsConsistency(m - 1, n, proof, root(m - 1), newRoot) }
                    if m + 1 < n { rejectsConsistency(m + 1, n, proof, root(m + 1), newRoot) }
                    if n < 40 { rejectsConsistency(m, n + 1, proof, oldRoot, root(n + 1)) }
                } else {
                    // Equal sizes: an empty proof, and the roots must match.
                    #expect(proof.isEmpty)
                    rejectsConsistency(m, n, proof, oldRoot, root(n == 1 ? 2 : n - 1))
                }
                rejectsConsistency(m, n, proof + [oldRoot], oldRoot, newRoot)
                rejectsConsistency(m, n, [newRoot] + proof, oldRoot, newRoot)
            }
        }
    }

    @Test func consistencyInvalidSizes() {
        rejectsConsistency(0, 8, [], MerkleTree.emptyRoot, root(8), code: "invalid_argument")
        rejectsConsistency(0, 0, [], MerkleTree.emptyRoot, MerkleTree.emptyRoot, code: "invalid_argument")
        rejectsConsistency(9, 8, [], root(8), root(8), code: "invalid_argument")
    }
}
