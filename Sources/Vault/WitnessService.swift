public import Foundation
import VaultAudit
import VaultCrypto

/// A witness (c2sp.org/tlog-witness) run apart from any vault, by someone the vault's operator does
/// not control: it cosigns a vault's checkpoints only while each is consistent with — and not
/// smaller than — the last it cosigned, so a vault whose log was rolled back or forked cannot get
/// its cosignature, and a verifier holding an older cosignature notices.
///
/// Its folder holds `witness.key` (the Ed25519 seed, mode 0600) and `witness.json` (its name and,
/// per log it watches, the log's key and the last checkpoint it cosigned). Requests are decided one
/// at a time, and the new state is on disk before the cosignature leaves.
public actor WitnessService {
    /// What `witness.json` holds.
    struct State: Codable {
        var format = 1
        var name: String
        var logs: [WitnessedLog]
    }

    /// The witness's name in cosignature lines.
    public nonisolated let name: String
    /// The key verifiers pin (`name+id+base64`, type 0x04).
    public nonisolated let verifierKey: String
    private let key: Ed25519.PrivateKey
    private let statePath: String
    /// Every process serving or changing this witness decides under it, from the state on disk.
    private let lockPath: String
    private let now: @Sendable () -> Date

    static let keyFileName = "witness.key"
    static let stateFileName = "witness.json"

    /// Creates a new witness in `directory` (which must not exist or be empty) and returns it.
    ///
    /// - Parameters:
    ///   - directory: the witness's folder, created owner-only, for its key file and state.
    ///   - name: the key name its cosignatures carry, without whitespace or `+`; nil: `cvault-witness/` and 8 hex digits.
    ///   - verifierKeys: the verifier keys of the logs to watch, as `cvault audit public-key` prints them; may be empty.
    /// - Returns: the witness, open.
    /// - Throws: `VaultError.Code.witnessExists` for a folder in use; `.badVerifierKey` for a key that is not a log's.
    public static func create(at directory: URL, name: String?, logs verifierKeys: [String]) throws -> WitnessService {
        // Everything is checked before anything is written, so a refusal leaves no half-made witness
        // (a key without its state) that the next attempt would refuse as existing.
        let logs = try verifierKeys.map(Self.log)
        if let name {
            do {
                try NoteVerifierKey.validateKeyName(name)
            } catch {
                throw VaultError.invalid(.badName, "the witness name must not be empty nor hold whitespace, '+' or control characters")
            }
        }
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: directory.path) {
            guard (try? fileManager.contentsOfDirectory(atPath: directory.path))?.isEmpty == true else {
                throw VaultError.conflict(.witnessExists, "\(directory.path) already exists and is not empty; refusing to touch it")
            }
        }
        try fileManager.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let seed = try KeyFile.create(at: directory.appendingPathComponent(keyFileName).path)
        let key = try seed.withUnsafeBytes { try Ed25519.PrivateKey(rawRepresentation: $0) }
        let chosen = name ?? "cvault-witness/" + Array(key.publicKey.rawRepresentation.prefix(4)).hexString
        _ = try NoteVerifierKey(name: chosen, publicKey: key.publicKey, kind: .cosignatureV1)
        let state = State(name: chosen, logs: logs)
        try DurableFile.replace(directory.appendingPathComponent(stateFileName).path, with: Array(try JSONEncoder.vault.encode(state)))
        return try WitnessService(directory: directory)
    }

    /// Opens the witness in `directory`.
    public init(directory: URL, now: @escaping @Sendable () -> Date = { Date() }) throws {
        let keyPath = directory.appendingPathComponent(Self.keyFileName).path
        let seed: SymmetricKey
        do {
            seed = try KeyFile.load(from: keyPath)
        } catch {
            throw VaultError(
                .unavailable,
                code: .noWitness,
                "no witness key at \(keyPath): create a witness with `cvault witness init DIR` (\(error))"
            )
        }
        key = try seed.withUnsafeBytes { try Ed25519.PrivateKey(rawRepresentation: $0) }
        statePath = directory.appendingPathComponent(Self.stateFileName).path
        lockPath = directory.appendingPathComponent("witness.lock").path
        let state = try Self.load(statePath)
        self.name = state.name
        self.verifierKey = try NoteVerifierKey(name: state.name, publicKey: key.publicKey, kind: .cosignatureV1).description
        self.now = now
    }

    /// Starts watching the log whose checkpoints `verifierKey` (from `cvault audit public-key`) signs.
    public func trust(_ verifierKey: String) throws {
        let log = try Self.log(verifierKey)
        try DurableFile.withLock(lockPath) {
            var state = try Self.load(statePath)
            guard !state.logs.contains(where: { $0.origin == log.origin }) else {
                throw VaultError.conflict(.logKnown, "this witness already watches \(log.origin)")
            }
            state.logs.append(log)
            try persist(state)
        }
    }

    /// The origins watched, with the size last cosigned.
    public var logs: [(origin: String, size: UInt64)] {
        get throws { try DurableFile.withLock(lockPath, shared: true) { try Self.load(statePath) }.logs.map { ($0.origin, $0.size) } }
    }

    /// Decides an `add-checkpoint` body: status, response body and content type. The check of the
    /// old size and the new state's save are one step under the lock, against the state on disk,
    /// so no other process serving or changing this witness can make it cosign a rollback.
    public func addCheckpoint(_ body: [UInt8]) throws -> (status: Int, body: [UInt8], contentType: String) {
        let outcome = try DurableFile.withLock(lockPath) { () throws -> WitnessOutcome in
            let state = try Self.load(statePath)
            let logs = Dictionary(uniqueKeysWithValues: state.logs.map { ($0.origin, $0) })
            let time = UInt64(max(0, now().timeIntervalSince1970.rounded(.down)))
            let outcome = WitnessRules.addCheckpoint(body, logs: logs, name: name, key: key, time: time)
            if case .cosigned(_, let log) = outcome {
                var updated = state
                updated.logs = state.logs.map { $0.origin == log.origin ? log : $0 }
                try persist(updated)
            }
            return outcome
        }
        switch outcome {
        case .cosigned(let lines, _):
            return (200, Array(lines.map(\.line).joined().utf8), "text/plain; charset=utf-8")
        case .conflict(let size):
            return (409, Array("\(size)\n".utf8), "text/x.tlog.size")
        case .unknownLog:
            return (404, Array("this witness does not watch that log\n".utf8), "text/plain; charset=utf-8")
        case .forbidden(let why), .badRequest(let why), .unprocessable(let why):
            return (outcome.status, Array("\(why)\n".utf8), "text/plain; charset=utf-8")
        }
    }

    private func persist(_ state: State) throws {
        try DurableFile.replace(statePath, with: Array(try JSONEncoder.vault.encode(state)), scrubbingOld: false)
    }

    private static func load(_ path: String) throws -> State {
        guard let bytes = try DurableFile.read(path), let state = try? JSONDecoder.vault.decode(State.self, from: Data(bytes)) else {
            throw VaultError.integrity("\(path) is missing or not a witness state file")
        }
        return state
    }

    private static func log(_ verifierKey: String) throws -> WitnessedLog {
        let key: NoteVerifierKey
        do {
            key = try NoteVerifierKey(parsing: verifierKey)
        } catch {
            throw VaultError.invalid(
                .badVerifierKey,
                "\(verifierKey.prefix(80)) is not a log verifier key (`cvault audit public-key` prints one): \(error)"
            )
        }
        guard key.kind == .ed25519 else { throw VaultError.invalid(.badVerifierKey, "that is a witness's key, not a log's") }
        return WitnessedLog(origin: key.name, verifierKey: key.description)
    }
}
