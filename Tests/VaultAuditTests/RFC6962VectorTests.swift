import Testing
import VaultAudit
import VaultCrypto

@Suite("RFC 6962 reference vectors")
struct RFC6962VectorTests {
    let vectors: RFC6962Vectors
    let store: MerkleNodeStore

    init() throws {
        vectors = try RFC6962Vectors.load()
        var store = MerkleNodeStore()
        for input in vectors.leafInputsHex { store.append(leafHash: MerkleTree.leafHash(Hex.decode(input))) }
        self.store = store
    }

    @Test func leafHashes() {
        #expect(vectors.leafHashes.count == 8)
        for (input, expected) in zip(vectors.leafInputsHex, vectors.leafHashes) {
            #expect(MerkleTree.leafHash(Hex.decode(input)) == Hex.digest(expected))
        }
    }

    @Test func rootsAtEverySize() throws {
        #expect(vectors.rootsBySize.count == 9)
        #expect(MerkleTree.emptyRoot == vectors.root(0))
        var range = MerkleCompactRange()
        #expect(range.root == vectors.root(0))
        for size in UInt64(0)...8 {
            #expect(try MerkleTree.root(size: size, nodes: store) == vectors.root(size), "size \(size)")
            if size > 0 {
                range.append(leafHash: Hex.digest(vectors.leafHashes[Int(size) - 1]))
                #expect(range.root == vectors.root(size), "compact range at size \(size)")
            }
        }
    }

    @Test func inclusionProofs() throws {
        #expect(vectors.inclusionProofs.count == 5)
        for vector in vectors.inclusionProofs {
            // The store holds 8 leaves; a smaller tree is a prefix of it.
            let proof = try MerkleTree.inclusionProof(leafIndex: vector.index, size: vector.size, nodes: store)
            #expect(proof == vector.path.map(Hex.digest), "leaf \(vector.index) of \(vector.size)")
            try MerkleTree.verifyInclusion(
                leafHash: Hex.digest(vectors.leafHashes[Int(vector.index)]),
                leafIndex: vector.index,
                size: vector.size,
                proof: vector.path.map(Hex.digest),
                root: vectors.root(vector.size)
            )
        }
    }

    @Test func consistencyProofs() throws {
        #expect(vectors.consistencyProofs.count == 5)
        for vector in vectors.consistencyProofs {
            let proof = try MerkleTree.consistencyProof(from: vector.from, to: vector.to, nodes: store)
            #expect(proof == vector.path.map(Hex.digest), "\(vector.from) → \(vector.to)")
            try MerkleTree.verifyConsistency(
                from: vector.from,
                to: vector.to,
                proof: vector.path.map(Hex.digest),
                oldRoot: vectors.root(vector.from),
                newRoot: vectors.root(vector.to)
            )
        }
    }
}
