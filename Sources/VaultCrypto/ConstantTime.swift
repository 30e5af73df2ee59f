import COpenSSL
package import Foundation

/// Comparisons of secrets whose running time does not depend on where the inputs differ.
package enum ConstantTime {
    /// Whether `lhs` and `rhs` hold the same bytes; only their lengths may leak through timing.
    package static func equals(_ lhs: some ContiguousBytes, _ rhs: some ContiguousBytes) -> Bool {
        lhs.withUnsafeBytes { l in
            rhs.withUnsafeBytes { r in
                guard l.count == r.count else { return false }
                guard l.count > 0 else { return true }
                return CRYPTO_memcmp(l.baseAddress, r.baseAddress, l.count) == 0
            }
        }
    }
}
