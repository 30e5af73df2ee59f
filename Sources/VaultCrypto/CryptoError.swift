/// An error from VaultCrypto; its description never contains key or plaintext bytes.
package struct CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    private enum Internal: Equatable, Sendable {
        case authenticationFailure
        case invalidKeySize(expected: Int, actual: Int)
        case invalidNonceSize
        case invalidFormat(String)
        case unsupportedVersion(UInt8)
        case wrongRootKey
        case keyFile(String)
        case openSSL(function: String)
    }

    private let value: Internal
    private init(_ value: Internal) { self.value = value }

    /// A sealed box, signature-less blob or wrapped key did not authenticate. Deliberately vague.
    package static var authenticationFailure: Self { .init(.authenticationFailure) }
    /// The root key does not match the vault's key-check value.
    package static var wrongRootKey: Self { .init(.wrongRootKey) }

    static func invalidKeySize(expected: Int, actual: Int) -> Self {
        .init(.invalidKeySize(expected: expected, actual: actual))
    }
    static var invalidNonceSize: Self { .init(.invalidNonceSize) }
    static func invalidFormat(_ what: String) -> Self { .init(.invalidFormat(what)) }
    static func unsupportedVersion(_ version: UInt8) -> Self { .init(.unsupportedVersion(version)) }
    static func keyFile(_ message: String) -> Self { .init(.keyFile(message)) }
    static func openSSL(_ function: String) -> Self {
        // The OpenSSL error queue is per thread; clear it so a later call does not report it.
        ERRClear.clear()
        return .init(.openSSL(function: function))
    }

    /// A stable, machine-readable code for the kind of failure.
    package var code: String {
        switch value {
        case .authenticationFailure: "authentication_failure"
        case .invalidKeySize: "invalid_key_size"
        case .invalidNonceSize: "invalid_nonce_size"
        case .invalidFormat: "invalid_format"
        case .unsupportedVersion: "unsupported_version"
        case .wrongRootKey: "wrong_root_key"
        case .keyFile: "key_file"
        case .openSSL: "openssl_failure"
        }
    }

    /// A message for people: what went wrong and what to do, never secret bytes.
    package var description: String {
        switch value {
        case .authenticationFailure:
            "authentication failed: the data was altered, or belongs to another key or context"
        case .invalidKeySize(let expected, let actual):
            "invalid key size: expected \(expected) bytes, got \(actual)"
        case .invalidNonceSize:
            "invalid nonce size: an AES-GCM nonce is 1 to 128 bytes (the vault seals with 12)"
        case .invalidFormat(let what):
            "invalid format: \(what)"
        case .unsupportedVersion(let version):
            "unsupported format version \(version): upgrade cvault to read this data"
        case .wrongRootKey:
            "wrong root key: this key (or passphrase) does not open this vault; nothing was changed"
        case .keyFile(let message):
            message
        case .openSSL(let function):
            "OpenSSL call \(function) failed"
        }
    }
}
