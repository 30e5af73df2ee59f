import Foundation
import VaultCrypto

#if canImport(Glibc)
import Glibc
#endif

/// `vault.json`: what a vault folder needs besides its database to be opened — the vault id, how
/// the root key is obtained, the key-check value and the wrapped checkpoint-signing key.
struct VaultMetadata: Codable, Sendable {
    /// How the root key is obtained.
    struct RootKey: Codable, Sendable {
        /// `file` (32 random bytes, mode 0600) or `passphrase` (scrypt).
        var kind: String
        /// The key file, relative to the vault folder unless absolute.
        var path: String?
        /// scrypt parameters and salt, for `passphrase`.
        var scrypt: ScryptParameters?
        /// Base64 of the random root sealed under scrypt(passphrase); absent in vaults whose root
        /// was scrypt's output itself (created before this was kept), until they are upgraded.
        var wrappedRoot: String?
    }

    static let fileName = "vault.json"
    /// 2: key epochs live in the key store (`epoch.keys`), not in the database.
    static let currentFormat = 2
    /// Format 1 vaults are read and upgraded when opened.
    static let readableFormats = 1...2

    var format: Int
    var vaultID: String
    var origin: String
    var createdAt: Date
    var rootKey: RootKey
    /// Base64 of the key-check value (an HMAC under a root-derived key; reveals nothing).
    var keyCheck: String
    /// Base64 of the Ed25519 seed sealed under the root's wrapping key.
    var signingKey: String
    /// Base64 of the Ed25519 public key, so verifiers need no secret.
    var publicKey: String
    var database: String
    /// How long a key epoch lives (ISO 8601 duration); nil means the default, P30D.
    var keyEpochPeriod: String?
    /// The witnesses the vault submits its checkpoints to (kept here, outside the database, so that
    /// someone who can write only the database cannot quietly drop them).
    var witnesses: [WitnessConfiguration]?

    /// One witness: where to submit, and the key its cosignatures must verify with.
    struct WitnessConfiguration: Codable, Sendable, Equatable {
        /// The submission prefix; requests go to `<url>/add-checkpoint`.
        var url: String
        /// The witness's verifier key (`name+id+base64`, type 0x04).
        var key: String
    }

    /// Whether the database is a server's (a `scheme://` URL) rather than a file in the vault folder.
    var isServerDatabase: Bool { database.contains("://") }

    static func load(from directory: URL) throws -> VaultMetadata {
        let url = directory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw VaultError(
                .notFound,
                code: .noVault,
                "no vault at \(directory.path): create one with `cvault init \(directory.path)`, or open the folder that holds vault.json"
            )
        }
        let metadata: VaultMetadata
        do {
            metadata = try JSONDecoder.vault.decode(VaultMetadata.self, from: data)
        } catch {
            throw VaultError(.integrity, code: .badMetadata, "\(url.path) is not valid vault metadata; restore it from a backup")
        }
        // A file database lives inside the vault folder: a path here could point anywhere. A
        // server's URL is checked by the backend that accepts it.
        let name = metadata.database
        let plainName = !name.isEmpty && name.utf8.count <= 255 && name != "." && name != ".." && !name.contains("/")
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }),
            metadata.isServerDatabase || plainName
        else {
            throw VaultError(
                .integrity,
                code: .badMetadata,
                "\(url.path) names a database that is not a plain file name inside the vault folder; set \"database\" to a name such as vault.sqlite"
            )
        }
        guard readableFormats.contains(metadata.format) else {
            throw VaultError(
                .unavailable,
                code: .unsupportedFormat,
                "\(url.path) has format \(metadata.format); this cvault reads formats \(readableFormats.lowerBound)–\(readableFormats.upperBound)"
            )
        }
        return metadata
    }

    /// Writes the file atomically with mode 0600.
    func write(to directory: URL) throws {
        let url = directory.appendingPathComponent(Self.fileName)
        let data = try JSONEncoder.vault.encode(self)
        let temporary = directory.appendingPathComponent(".\(Self.fileName).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw VaultError(.unavailable, code: .writeFailed, "cannot write \(temporary.path)")
        }
        // rename(2) replaces the file atomically: a crash leaves the old or the new metadata, never half.
        guard rename(temporary.path, url.path) == 0 else {
            throw VaultError(.unavailable, code: .writeFailed, "cannot move \(temporary.path) into place")
        }
    }
}

extension JSONEncoder {
    /// Sorted keys, ISO 8601 dates: stable output for files people read and diff.
    static var vault: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    /// ISO 8601 dates, matching `JSONEncoder.vault`.
    static var vault: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
