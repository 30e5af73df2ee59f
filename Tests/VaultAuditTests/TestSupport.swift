import Foundation
import Testing
import VaultAudit
import VaultCrypto

enum Hex {
    static func decode(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = text.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            bytes.append(UInt8(String([high, low]), radix: 16)!)
        }
        return bytes
    }

    static func digest(_ text: String) -> SHA256Digest { SHA256Digest(bytes: decode(text))! }
}

/// The RFC 6962 reference values in Vectors/rfc6962.json.
struct RFC6962Vectors: Decodable {
    struct Inclusion: Decodable {
        var index: UInt64
        var size: UInt64
        var path: [String]
    }

    struct Consistency: Decodable {
        var from: UInt64
        var to: UInt64
        var path: [String]
    }

    var leafInputsHex: [String]
    var rootsBySize: [String: String]
    var leafHashes: [String]
    var inclusionProofs: [Inclusion]
    var consistencyProofs: [Consistency]

    enum CodingKeys: String, CodingKey {
        case leafInputsHex = "leaf_inputs_hex"
        case rootsBySize = "roots_by_size"
        case leafHashes = "leaf_hashes"
        case inclusionProofs = "inclusion_proofs"
        case consistencyProofs = "consistency_proofs"
    }

    static func load() throws -> RFC6962Vectors {
        let url = try #require(Bundle.module.url(forResource: "rfc6962", withExtension: "json", subdirectory: "Vectors"))
        return try JSONDecoder().decode(RFC6962Vectors.self, from: Data(contentsOf: url))
    }

    func root(_ size: UInt64) -> SHA256Digest { Hex.digest(rootsBySize[String(size)]!) }
}

/// Counts node reads through another reader.
final class CountingReader<Base: MerkleNodeReader>: MerkleNodeReader {
    let base: Base
    var reads = 0

    init(_ base: Base) { self.base = base }

    func node(level: Int, index: UInt64) throws -> SHA256Digest {
        reads += 1
        return try base.node(level: level, index: index)
    }
}

/// A stored tree with some nodes replaced or removed, as an attacker with database access might.
struct TamperedReader: MerkleNodeReader {
    var base: MerkleNodeStore
    var replaced: [MerkleNode] = []
    var removed: [(level: Int, index: UInt64)] = []

    func node(level: Int, index: UInt64) throws -> SHA256Digest {
        if removed.contains(where: { $0.level == level && $0.index == index }) {
            throw AuditError.missingNode(level: level, index: index)
        }
        if let node = replaced.first(where: { $0.level == level && $0.index == index }) { return node.hash }
        return try base.node(level: level, index: index)
    }
}

/// A deterministic generator, so a failing random case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Leaf hashes of n distinct synthetic leaves, and the in-memory store holding them.
func makeTree(_ n: Int) -> (leaves: [SHA256Digest], store: MerkleNodeStore) {
    var store = MerkleNodeStore()
    var leaves: [SHA256Digest] = []
    leaves.reserveCapacity(n)
    for index in 0..<n {
        let hash = Reference.leafHash(Array("leaf \(index)".utf8))
        leaves.append(hash)
        store.append(leafHash: hash)
    }
    return (leaves, store)
}

extension SHA256Digest {
    /// The digest with one bit flipped.
    func flipping(bit: Int) -> SHA256Digest {
        var bytes = self.bytes
        bytes[bit / 8] ^= 1 << UInt8(bit % 8)
        return SHA256Digest(bytes: bytes)!
    }
}
