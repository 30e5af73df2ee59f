import COpenSSL
package import Foundation

/// A secret key whose bytes are wiped from memory when the last copy is released.
package struct SymmetricKey: Sendable, Equatable {
    let storage: SecureBytes

    /// The key's length in bytes.
    package var byteCount: Int { storage.count }

    /// Copies `data` into a new key; wipe your own copy afterwards.
    package init(data: some ContiguousBytes) {
        storage = data.withUnsafeBytes { SecureBytes(copying: $0) }
    }

    /// Draws a new random key of `byteCount` bytes from `random`.
    package init(byteCount: Int = 32, using random: some RandomSource = SystemRandom()) {
        storage = SecureBytes(count: byteCount) { random.fill($0) }
    }

    init(storage: SecureBytes) { self.storage = storage }

    /// Lends the key bytes to `body`; do not let them escape.
    package func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes(body)
    }

    /// Constant-time comparison of two keys.
    package static func == (lhs: SymmetricKey, rhs: SymmetricKey) -> Bool {
        lhs.storage.withUnsafeBytes { l in rhs.storage.withUnsafeBytes { r in ConstantTime.equals(l, r) } }
    }
}

extension SymmetricKey: CustomStringConvertible {
    /// Never prints the key bytes.
    package var description: String { "SymmetricKey(\(byteCount * 8) bits)" }
}
