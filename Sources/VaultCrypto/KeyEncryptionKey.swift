package import Foundation

/// A versioned key-encryption key: it wraps customer DEKs and is itself stored wrapped under the root.
package struct KeyEncryptionKey: Sendable {
    /// The version every blob wrapped under this key names.
    package let version: UInt32
    let key: SymmetricKey

    /// A fresh random KEK for `version`.
    package static func generate(version: UInt32, using random: some RandomSource = SystemRandom()) -> KeyEncryptionKey {
        KeyEncryptionKey(version: version, key: SymmetricKey(byteCount: 32, using: random))
    }

    init(version: UInt32, key: SymmetricKey) {
        self.version = version
        self.key = key
    }

    /// Wraps a customer's DEK; the associated data binds the customer id and this KEK's version.
    package func wrap(_ dek: SymmetricKey, customerID: String, random: some RandomSource = SystemRandom()) throws -> WrappedKey {
        // `unwrap` accepts 256-bit keys only: refuse now what could never be unwrapped.
        guard dek.byteCount == Self.dekByteCount else {
            throw CryptoError.invalidKeySize(expected: Self.dekByteCount, actual: dek.byteCount)
        }
        let sealed = try dek.withUnsafeBytes { dek in
            try Self.associatedData(customerID: customerID, version: version).withUnsafeBytes { associatedData in
                try AES.GCM.sealCombined(dek, using: key, authenticating: associatedData, random: random)
            }
        }
        return WrappedKey(kekVersion: version, sealed: sealed)
    }

    /// Unwraps a customer's DEK; fails with `authenticationFailure` for another customer or version.
    package func unwrap(_ wrapped: WrappedKey, customerID: String) throws -> SymmetricKey {
        guard wrapped.kekVersion == version else { throw CryptoError.authenticationFailure }
        let dek = try wrapped.sealed.withUnsafeBytes { sealed in
            try Self.associatedData(customerID: customerID, version: version).withUnsafeBytes { associatedData in
                try AES.GCM.openKey(combined: sealed, using: key, authenticating: associatedData)
            }
        }
        guard dek.byteCount == Self.dekByteCount else { throw CryptoError.authenticationFailure }
        return dek
    }

    private static let dekByteCount = 32
    private static let dekContext = Array("cvault/dek/v1\u{0}".utf8)

    static func associatedData(customerID: String, version: UInt32) -> [UInt8] {
        // Fixed-length fields first, the variable-length id last: no two inputs encode alike.
        var out: [UInt8] = []
        out.reserveCapacity(dekContext.count + 4 + customerID.utf8.count)
        out += dekContext
        out += version.bigEndianBytes
        out += customerID.utf8
        return out
    }
}

/// A key wrapped under a KEK: `format(1) ‖ KEK version (4, big-endian) ‖ AES-GCM combined box`.
package struct WrappedKey: Sendable, Equatable {
    /// The serialisation's format byte.
    package static let formatVersion: UInt8 = 1

    /// The KEK version that wrapped this key.
    package let kekVersion: UInt32
    let sealed: [UInt8]

    init(kekVersion: UInt32, sealed: [UInt8]) {
        self.kekVersion = kekVersion
        self.sealed = sealed
    }

    /// Parses a stored blob.
    package init(serialized bytes: some ContiguousBytes) throws {
        (kekVersion, sealed) = try bytes.withUnsafeBytes { buffer in
            guard buffer.count > 5 else { throw CryptoError.invalidFormat("wrapped key too short") }
            guard buffer[0] == Self.formatVersion else { throw CryptoError.unsupportedVersion(buffer[0]) }
            let version = UInt32(buffer[1]) << 24 | UInt32(buffer[2]) << 16 | UInt32(buffer[3]) << 8 | UInt32(buffer[4])
            return (version, Array(buffer[5...]))
        }
    }

    /// The bytes to store.
    package var serialized: [UInt8] { [Self.formatVersion] + kekVersion.bigEndianBytes + sealed }
}

extension UInt32 {
    /// Four bytes, most significant first.
    package var bigEndianBytes: [UInt8] { [UInt8(self >> 24), UInt8(self >> 16 & 0xff), UInt8(self >> 8 & 0xff), UInt8(self & 0xff)] }
}
