import Testing
import VaultAudit
import VaultCrypto

@Suite("Streaming recomputation")
struct CompactRangeTests {
    /// Streams `leaves` through a compact range, comparing with `stored`; returns the first mismatch.
    func firstMismatch(_ leaves: [SHA256Digest], _ stored: some MerkleNodeReader) throws -> MerkleNodeMismatch? {
        var range = MerkleCompactRange()
        for leaf in leaves {
            if let mismatch = try range.append(leafHash: leaf, comparingWith: stored) { return mismatch }
        }
        return nil
    }

    @Test func untouchedTreeMatches() throws {
        let (leaves, store) = makeTree(777)
        #expect(try firstMismatch(leaves, store) == nil)
        var range = MerkleCompactRange()
        for leaf in leaves { range.append(leafHash: leaf) }
        #expect(range.root == store.root)
        #expect(range.size == 777)
    }

    @Test(arguments: [0, 1, 2, 100, 255, 256, 776])
    func editedLeafIsNamed(index: Int) throws {
        let (leaves, store) = makeTree(777)
        var edited = leaves
        edited[index] = Reference.leafHash(Array("edited".utf8))
        let mismatch = try #require(try firstMismatch(edited, store))
        #expect(mismatch.firstLeaf == UInt64(index))
        #expect(mismatch.recomputed.level == 0)
        #expect(mismatch.stored == leaves[index])
    }

    @Test func swappedLeavesAreNamed() throws {
        let (leaves, store) = makeTree(100)
        var swapped = leaves
        swapped.swapAt(40, 41)
        #expect(try firstMismatch(swapped, store)?.firstLeaf == 40)
    }

    @Test func editedInteriorNodeIsNamed() throws {
        let (leaves, store) = makeTree(300)
        // Leaves 64…127 intact, their parent at level 6 rewritten.
        let forged = MerkleNode(level: 6, index: 1, hash: Reference.leafHash([1]))
        let tampered = TamperedReader(base: store, replaced: [forged])
        let mismatch = try #require(try firstMismatch(leaves, tampered))
        #expect(mismatch.recomputed.level == 6)
        #expect(mismatch.recomputed.index == 1)
        #expect(mismatch.firstLeaf == 64)
    }

    @Test func missingStoredNodeThrows() throws {
        let (leaves, store) = makeTree(50)
        let truncated = TamperedReader(base: store, removed: [(level: 0, index: 30)])
        #expect(throws: AuditError.missingNode(level: 0, index: 30)) { try firstMismatch(leaves, truncated) }
    }

    @Test func throwingCallbackLeavesRangeUnchanged() throws {
        struct Stop: Error {}
        let (leaves, _) = makeTree(8)
        var range = MerkleCompactRange()
        for leaf in leaves.prefix(7) { range.append(leafHash: leaf) }
        let before = range.root
        // Leaf 7 completes three parents; fail on the last one.
        #expect(throws: Stop.self) {
            try range.append(leafHash: leaves[7]) { node in if node.level == 3 { throw Stop() } }
        }
        #expect(range.size == 7)
        #expect(range.root == before)
        range.append(leafHash: leaves[7])
        #expect(range.root == Reference(leaves).mth(0..<8))
    }
}
