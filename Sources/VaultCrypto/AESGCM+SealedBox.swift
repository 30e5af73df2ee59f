package import Foundation

extension AES.GCM {
    /// A GCM nonce: 96 random bits for everything the vault seals.
    package struct Nonce: Sendable, Equatable {
        /// Length of the nonces the vault generates.
        package static let byteCount = 12

        /// The nonce's bytes.
        package let bytes: [UInt8]

        /// A fresh random 96-bit nonce.
        package init(using random: some RandomSource = SystemRandom()) {
            bytes = random.bytes(Self.byteCount)
        }

        /// A nonce from given bytes (any length from 1 to 128, as OpenSSL's GCM allows; the vault itself uses 12).
        package init(data: some ContiguousBytes) throws {
            let bytes = data.withUnsafeBytes { Array($0) }
            guard !bytes.isEmpty, bytes.count <= 128 else { throw CryptoError.invalidNonceSize }
            self.bytes = bytes
        }
    }

    /// A nonce, ciphertext and tag, with a self-describing combined representation.
    package struct SealedBox: Sendable {
        /// The combined format's version byte.
        package static let formatVersion: UInt8 = 1

        /// The nonce used to seal.
        package let nonce: Nonce
        /// `version ‖ nonce ‖ ciphertext ‖ tag` in one buffer, so that `combined` costs no copy.
        private let storage: [UInt8]

        /// The encrypted message, as long as the plaintext.
        package var ciphertext: [UInt8] { withParts { _, ciphertext, _ in Array(ciphertext) } }
        /// The 16-byte authentication tag.
        package var tag: [UInt8] { Array(storage.suffix(AES.GCM.tagByteCount)) }

        init(nonce: Nonce, ciphertext: [UInt8], tag: [UInt8]) {
            precondition(tag.count == AES.GCM.tagByteCount, "GCM tags here are 16 bytes")
            self.nonce = nonce
            self.storage = [Self.formatVersion] + nonce.bytes + ciphertext + tag
        }

        /// A box whose ciphertext and tag `fill` writes in place.
        init(
            nonce: Nonce,
            ciphertextCount: Int,
            fill: (_ ciphertext: UnsafeMutableRawPointer, _ tag: UnsafeMutableRawPointer) throws -> Void
        ) throws {
            let headerCount = 1 + nonce.bytes.count
            let count = headerCount + ciphertextCount + AES.GCM.tagByteCount
            self.nonce = nonce
            self.storage = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                let out = UnsafeMutableRawBufferPointer(buffer)
                out[0] = Self.formatVersion
                out.baseAddress!.advanced(by: 1).copyMemory(from: nonce.bytes, byteCount: nonce.bytes.count)
                let ciphertext = out.baseAddress! + headerCount
                try fill(ciphertext, ciphertext + ciphertextCount)
                initialized = count
            }
        }

        /// `version ‖ nonce(12) ‖ ciphertext ‖ tag(16)`.
        package var combined: [UInt8] {
            precondition(nonce.bytes.count == Nonce.byteCount, "the combined format holds 96-bit nonces only")
            return storage
        }

        /// Parses the combined representation.
        package init(combined: some ContiguousBytes) throws {
            (nonce, storage) = try combined.withUnsafeBytes { buffer in
                let parts = try Self.split(combined: buffer)
                return (try Nonce(data: parts.nonce), Array(buffer))
            }
        }

        /// Lends the nonce, ciphertext and tag without copying them.
        func withParts<R>(
            _ body: (_ nonce: UnsafeRawBufferPointer, _ ciphertext: UnsafeRawBufferPointer, _ tag: UnsafeRawBufferPointer) throws -> R
        ) rethrows -> R {
            try storage.withUnsafeBytes { buffer in
                let nonceEnd = 1 + nonce.bytes.count
                let tagStart = buffer.count - AES.GCM.tagByteCount
                return try body(
                    UnsafeRawBufferPointer(rebasing: buffer[1..<nonceEnd]),
                    UnsafeRawBufferPointer(rebasing: buffer[nonceEnd..<tagStart]),
                    UnsafeRawBufferPointer(rebasing: buffer[tagStart...])
                )
            }
        }

        static func split(
            combined buffer: UnsafeRawBufferPointer
        ) throws -> (nonce: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer) {
            let overhead = 1 + Nonce.byteCount + AES.GCM.tagByteCount
            guard buffer.count >= overhead else { throw CryptoError.invalidFormat("sealed box shorter than its header and tag") }
            guard buffer[0] == formatVersion else { throw CryptoError.unsupportedVersion(buffer[0]) }
            let nonceEnd = 1 + Nonce.byteCount
            let tagStart = buffer.count - AES.GCM.tagByteCount
            return (
                UnsafeRawBufferPointer(rebasing: buffer[1..<nonceEnd]),
                UnsafeRawBufferPointer(rebasing: buffer[nonceEnd..<tagStart]),
                UnsafeRawBufferPointer(rebasing: buffer[tagStart...])
            )
        }
    }
}
