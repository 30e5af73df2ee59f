import Testing
import VaultAudit
import VaultCrypto

@Suite("Merkle tree against a literal RFC implementation")
struct MerkleTreeTests {
    @Test func everySizeUpTo300() throws {
        let (leaves, store) = makeTree(300)
        let reference = Reference(leaves)
        for n in 0...300 {
            let root = reference.mth(0..<n)
            #expect(try MerkleTree.root(size: UInt64(n), nodes: store) == root, "root at \(n)")
            for m in 0..<n {
                let proof = try MerkleTree.inclusionProof(leafIndex: UInt64(m), size: UInt64(n), nodes: store)
                #expect(proof == reference.path(m, n), "inclusion of \(m) in \(n)")
                try MerkleTree.verifyInclusion(leafHash: leaves[m], leafIndex: UInt64(m), size: UInt64(n), proof: proof, root: root)
            }
        }
    }

    @Test func consistencyForAllPairsUpTo130() throws {
        let (leaves, store) = makeTree(130)
        let reference = Reference(leaves)
        let roots = (0...130).map { reference.mth(0..<$0) }
        for n in 1...130 {
            for m in 1...n {
                let proof = try MerkleTree.consistencyProof(from: UInt64(m), to: UInt64(n), nodes: store)
                #expect(proof == reference.proof(m, n), "\(m) → \(n)")
                try MerkleTree.verifyConsistency(from: UInt64(m), to: UInt64(n), proof: proof, oldRoot: roots[m], newRoot: roots[n])
            }
        }
    }

    @Test func randomLargerSizes() throws {
        var random = SplitMix64(state: 0x5EED)
        let (leaves, store) = makeTree(5000)
        let reference = Reference(leaves)
        for _ in 0..<25 {
            let n = Int.random(in: 301...5000, using: &random)
            let root = reference.mth(0..<n)
            #expect(try MerkleTree.root(size: UInt64(n), nodes: store) == root, "root at \(n)")
            for _ in 0..<8 {
                let m = Int.random(in: 0..<n, using: &random)
                let proof = try MerkleTree.inclusionProof(leafIndex: UInt64(m), size: UInt64(n), nodes: store)
                #expect(proof == reference.path(m, n), "inclusion of \(m) in \(n)")
                try MerkleTree.verifyInclusion(leafHash: leaves[m], leafIndex: UInt64(m), size: UInt64(n), proof: proof, root: root)

                let old = Int.random(in: 1...n, using: &random)
                let consistency = try MerkleTree.consistencyProof(from: UInt64(old), to: UInt64(n), nodes: store)
                #expect(consistency == reference.proof(old, n), "\(old) → \(n)")
                try MerkleTree.verifyConsistency(
                    from: UInt64(old),
                    to: UInt64(n),
                    proof: consistency,
                    oldRoot: reference.mth(0..<old),
                    newRoot: root
                )
            }
        }
    }

    @Test func appenderAgreesWithStoreAndCompactRange() throws {
        // Build a second store purely from `nodesToAppend` and compare every node and root.
        let (leaves, store) = makeTree(300)
        let reference = Reference(leaves)
        var nodes: [MerkleNode] = []
        var range = MerkleCompactRange()
        for (index, leaf) in leaves.enumerated() {
            let appended = try MerkleTree.nodesToAppend(leafHash: leaf, size: UInt64(index), nodes: store)
            var completed: [MerkleNode] = []
            range.append(leafHash: leaf) { completed.append($0) }
            #expect(appended == completed, "nodes completed by leaf \(index)")
            #expect(appended.count == 1 + (~UInt64(index)).trailingZeroBitCount, "leaf \(index)")
            for node in appended {
                #expect(node.hash == reference.mth(Int(node.firstLeaf)..<Int(node.firstLeaf) + (1 << node.level)))
            }
            nodes += appended
            #expect(range.root == reference.mth(0..<index + 1))
        }
        // Every perfect subtree of a 300-leaf tree, each exactly once.
        let expectedCount = (0..<9).reduce(0) { $0 + 300 >> $1 }
        #expect(nodes.count == expectedCount)
        #expect(Set(nodes).count == expectedCount)
    }

    @Test func compactRangeSeededFromStorage() throws {
        let (leaves, store) = makeTree(1000)
        let reference = Reference(leaves)
        for size in [0, 1, 2, 7, 64, 100, 511, 999] {
            var range = try MerkleCompactRange(size: UInt64(size), nodes: store)
            #expect(range.size == UInt64(size))
            #expect(range.root == reference.mth(0..<size))
            for index in size..<min(size + 40, 1000) { range.append(leafHash: leaves[index]) }
            #expect(range.root == reference.mth(0..<min(size + 40, 1000)), "seeded at \(size)")
        }
    }

    @Test func nodeReadsAreLogarithmic() throws {
        let (_, store) = makeTree(2100)
        var random = SplitMix64(state: 42)
        var sizes = Array(1...300) + [511, 512, 513, 1023, 1024, 1025, 2047, 2048, 2049, 2100]
        sizes += (0..<30).map { _ in Int.random(in: 1...2100, using: &random) }
        for n in sizes {
            let size = UInt64(n)
            let log2Ceiling = size <= 1 ? 0 : 64 - (size - 1).leadingZeroBitCount
            let counter = CountingReader(store)
            _ = try MerkleTree.root(size: size, nodes: counter)
            #expect(counter.reads == size.nonzeroBitCount, "root at \(n)")

            for m in Set([0, n / 3, n / 2, n - 1]) {
                counter.reads = 0
                let proof = try MerkleTree.inclusionProof(leafIndex: UInt64(m), size: size, nodes: counter)
                // One read per perfect sibling, plus the right-edge sibling's perfect parts.
                #expect(proof.count <= log2Ceiling)
                #expect(counter.reads <= proof.count + size.nonzeroBitCount - 1, "inclusion of \(m) in \(n): \(counter.reads) reads")
                #expect(counter.reads <= 2 * log2Ceiling, "inclusion of \(m) in \(n): \(counter.reads) reads")
            }
            for m in Set([1, n / 3, n / 2, n - 1, n].filter { $0 >= 1 }) {
                counter.reads = 0
                let proof = try MerkleTree.consistencyProof(from: UInt64(m), to: size, nodes: counter)
                #expect(proof.count <= log2Ceiling + 1)
                #expect(counter.reads <= proof.count + size.nonzeroBitCount - 1 || proof.isEmpty, "\(m) → \(n): \(counter.reads) reads")
                #expect(counter.reads <= 2 * log2Ceiling + 1, "\(m) → \(n): \(counter.reads) reads")
            }
        }
    }

    @Test func appendReadsOnlyCompletedSiblings() throws {
        let (leaves, store) = makeTree(1024)
        for size in [0, 1, 2, 3, 511, 1023] {
            let counter = CountingReader(store)
            let nodes = try MerkleTree.nodesToAppend(leafHash: leaves[0], size: UInt64(size), nodes: counter)
            #expect(counter.reads == nodes.count - 1)
            #expect(counter.reads == (~UInt64(size)).trailingZeroBitCount)
        }
    }

    @Test func missingNodesAreReported() throws {
        let (_, store) = makeTree(10)
        #expect(throws: AuditError.missingNode(level: 0, index: 10)) {
            try MerkleTree.root(size: 11, nodes: store)
        }
        let truncated = TamperedReader(base: store, removed: [(level: 3, index: 0)])
        #expect(throws: AuditError.missingNode(level: 3, index: 0)) {
            try MerkleTree.inclusionProof(leafIndex: 9, size: 10, nodes: truncated)
        }
    }

    @Test func invalidArguments() throws {
        let (_, store) = makeTree(8)
        for (m, n) in [(UInt64(0), UInt64(0)), (8, 8), (9, 8)] {
            let error = #expect(throws: AuditError.self) { try MerkleTree.inclusionProof(leafIndex: m, size: n, nodes: store) }
            #expect(error?.code == "invalid_argument")
        }
        for (m, n) in [(UInt64(0), UInt64(5)), (0, 0), (6, 5)] {
            let error = #expect(throws: AuditError.self) { try MerkleTree.consistencyProof(from: m, to: n, nodes: store) }
            #expect(error?.code == "invalid_argument")
        }
        #expect(try MerkleTree.consistencyProof(from: 5, to: 5, nodes: store).isEmpty)
    }
}
