import Foundation
import VaultAudit
import VaultCrypto

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What one witness said about a checkpoint the vault submitted.
public struct WitnessStatus: Sendable, Codable, Equatable {
    /// How the witness answered.
    public enum State: String, Sendable, Codable {
        /// It cosigned the checkpoint: the log is consistent with everything it saw.
        case cosigned
        /// It has cosigned a larger tree than this log holds: the log was rolled back or cut short.
        case ahead
        /// It refused the checkpoint as inconsistent with what it cosigned: the log forked.
        case forked
        /// It does not watch this log (a new generation after a restore must be added to it).
        case unknownLog = "unknown_log"
        /// It could not be reached or answered something else.
        case unreachable
    }

    /// The witness's key name.
    public let name: String
    /// Where it was asked.
    public let url: String
    /// What it said.
    public let state: State
    /// The size it cosigned (for `cosigned`) or holds (for `ahead` and `forked`).
    public let size: UInt64?
    /// In words, for people.
    public let detail: String
}

/// Submits checkpoints to the configured witnesses over c2sp.org/tlog-witness and brings back
/// their cosignatures.
struct WitnessClient: Sendable {
    struct Witness: Sendable {
        let url: URL
        let key: NoteVerifierKey
    }

    let witnesses: [Witness]

    /// No witness: the log is anchored only locally.
    static let none = WitnessClient(witnesses: [])

    private init(witnesses: [Witness]) { self.witnesses = witnesses }

    init(_ configuration: [VaultMetadata.WitnessConfiguration]) throws {
        witnesses = try configuration.map { entry in
            guard let url = URL(string: entry.url), url.scheme == "http" || url.scheme == "https" else {
                throw VaultError.invalid(.badWitnessUrl, "witness URL \(entry.url) in vault.json is not an http(s) URL")
            }
            let key = try NoteVerifierKey(parsing: entry.key)
            guard key.kind == .cosignatureV1 else {
                throw VaultError.invalid(.badWitnessKey, "the key for witness \(entry.url) is not a cosignature/v1 key")
            }
            return Witness(url: url, key: key)
        }
    }

    /// One round trip: the HTTP status and body, or nil when the witness cannot be reached.
    static func post(_ body: [UInt8], to witness: Witness) async -> (Int, [UInt8])? {
        var request = URLRequest(url: witness.url.appendingPathComponent("add-checkpoint"), timeoutInterval: 3)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("text/plain; charset=utf-8", forHTTPHeaderField: "Content-Type")
        guard let (data, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return nil }
        return (http.statusCode, Array(data))
    }
}
