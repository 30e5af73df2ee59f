import Testing

@testable import VaultCrypto

/// Key storage whose filling fails is released exactly once (a double free corrupts the heap).
struct SecureBytesTests {
    struct Failure: Error {}

    @Test("a throwing initialiser releases the storage once, and later allocations stay sound")
    func throwingInitialiser() {
        for round in 0..<2000 {
            #expect(throws: Failure.self) { _ = try SecureBytes(count: 32 + round % 7) { _ in throw Failure() } }
        }
        let keys = (0..<100).map { _ in SymmetricKey() }
        #expect(Set(keys.map { $0.withUnsafeBytes { Array($0) } }).count == 100)
        #expect(keys.map(\.storage.id).count == Set(keys.map(\.storage.id)).count)
    }
}
