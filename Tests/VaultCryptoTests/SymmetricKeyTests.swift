import Testing

@testable import VaultCrypto

/// Keys never print their bytes; secrets compare in constant time.
struct SymmetricKeyTests {
    @Test("description, debug description and dump show the size only")
    func description() {
        let bytes = SystemRandom().bytes(32)
        let key = SymmetricKey(data: bytes)
        var dumped = ""
        dump(key, to: &dumped)
        for text in [String(describing: key), String(reflecting: key), "\(key)", dumped] {
            #expect(!Secret(bytes).appears(in: text), "\(text)")
        }
        #expect(String(describing: key) == "SymmetricKey(256 bits)")
    }

    @Test("keys compare by value")
    func equality() {
        let bytes = SystemRandom().bytes(32)
        #expect(SymmetricKey(data: bytes) == SymmetricKey(data: bytes))
        #expect(SymmetricKey(data: bytes) != SymmetricKey(data: bytes.flippingBit(255)))
        #expect(SymmetricKey(data: bytes) != SymmetricKey(data: bytes.prefix(16)))
        #expect(SymmetricKey(byteCount: 16).byteCount == 16)
        #expect(SymmetricKey() != SymmetricKey())
    }

    @Test("ConstantTime.equals: same bytes, a difference anywhere, lengths, empties")
    func constantTime() {
        let a: [UInt8] = Array(0..<64)
        #expect(ConstantTime.equals(a, a))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        #expect(!ConstantTime.equals(a, a.flippingBit(0)))
        #expect(!ConstantTime.equals(a, a.flippingBit(64 * 8 - 1)))
        #expect(!ConstantTime.equals(a, Array(a.prefix(63))))
        #expect(!ConstantTime.equals(Array(a.prefix(63)), a))
        #expect(!ConstantTime.equals(a, [UInt8]()))
    }
}
