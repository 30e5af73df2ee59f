import VaultAudit
import VaultCrypto

/// RFC 6962 §2.1 written out literally (recursion over leaf hashes, hashes built from explicit
/// byte concatenation), as an oracle that shares no code with VaultAudit's tree. MTH values are
/// memoized so that checking every proof of a 300-leaf tree stays fast.
final class Reference {
    let d: [SHA256Digest]
    private var cache: [Range<Int>: SHA256Digest] = [:]

    init(_ leaves: [SHA256Digest]) { d = leaves }

    static func leafHash(_ bytes: [UInt8]) -> SHA256Digest { SHA256.hash(data: [0x00] + bytes) }

    static func nodeHash(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        SHA256.hash(data: [0x01] + left.bytes + right.bytes)
    }

    /// The largest power of two strictly less than n.
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH(D[range]).
    func mth(_ range: Range<Int>) -> SHA256Digest {
        if let cached = cache[range] { return cached }
        let hash: SHA256Digest
        switch range.count {
        case 0: hash = SHA256.hash(data: [UInt8]())
        case 1: hash = d[range.lowerBound]
        default:
            let k = Self.split(range.count)
            hash = Self.nodeHash(mth(range.lowerBound..<range.lowerBound + k), mth(range.lowerBound + k..<range.upperBound))
        }
        cache[range] = hash
        return hash
    }

    /// PATH(m, D[n]).
    func path(_ m: Int, _ n: Int) -> [SHA256Digest] { path(m, 0..<n) }

    private func path(_ m: Int, _ range: Range<Int>) -> [SHA256Digest] {
        guard range.count > 1 else { return [] }
        let k = Self.split(range.count)
        let left = range.lowerBound..<range.lowerBound + k
        let right = range.lowerBound + k..<range.upperBound
        if m < k { return path(m, left) + [mth(right)] }
        return path(m - k, right) + [mth(left)]
    }

    /// PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
    func proof(_ m: Int, _ n: Int) -> [SHA256Digest] { subproof(m, 0..<n, true) }

    private func subproof(_ m: Int, _ range: Range<Int>, _ b: Bool) -> [SHA256Digest] {
        if m == range.count { return b ? [] : [mth(range)] }
        let k = Self.split(range.count)
        let left = range.lowerBound..<range.lowerBound + k
        let right = range.lowerBound + k..<range.upperBound
        if m <= k { return subproof(m, left, b) + [mth(right)] }
        return subproof(m - k, right, false) + [mth(left)]
    }
}
