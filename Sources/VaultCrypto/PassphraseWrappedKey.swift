package import Foundation

/// A root key kept under a passphrase: the random root sealed with AES-256-GCM under a key scrypt
/// derives from the passphrase. The root never changes with the passphrase's parameters, so a vault
/// moves to stronger scrypt parameters by sealing the same root again.
package enum PassphraseWrappedKey {
    /// Seals `root` for the vault `vaultID` under `scrypt(passphrase, parameters)`.
    package static func wrap(
        _ root: SymmetricKey,
        passphrase: some ContiguousBytes,
        parameters: ScryptParameters,
        vaultID: String,
        random: some RandomSource = SystemRandom()
    ) throws -> [UInt8] {
        let key = try Scrypt.deriveKey(passphrase: passphrase, parameters: parameters)
        return try root.withUnsafeBytes { bytes in
            try context(vaultID).withUnsafeBytes { try AES.GCM.sealCombined(bytes, using: key, authenticating: $0, random: random) }
        }
    }

    /// Opens what `wrap` sealed; a wrong passphrase fails with `authenticationFailure`.
    package static func unwrap(
        _ wrapped: [UInt8],
        passphrase: some ContiguousBytes,
        parameters: ScryptParameters,
        vaultID: String
    ) throws -> SymmetricKey {
        let key = try Scrypt.deriveKey(passphrase: passphrase, parameters: parameters)
        return try wrapped.withUnsafeBytes { wrapped in
            try context(vaultID).withUnsafeBytes { try AES.GCM.openKey(combined: wrapped, using: key, authenticating: $0) }
        }
    }

    private static func context(_ vaultID: String) -> [UInt8] {
        Array("cvault/root-under-passphrase/v1\u{0}\(vaultID)".utf8)
    }
}
