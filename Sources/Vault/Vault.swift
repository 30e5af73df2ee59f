public import Foundation
public import Logging
import Synchronization
import VaultAudit
public import VaultCrypto
public import VaultPolicy
public import VaultStore

/// An open vault: the one entry point of the CLI and the HTTP server.
///
/// Every use case runs policy decision → crypto → store → audit entry, and commits the data
/// change with its audit entry in one transaction.
public final class Vault: Sendable {
    /// The vault folder.
    public let directory: URL
    /// The checkpoint origin line of the log's current generation (`customervault.local/<vault id>`,
    /// with `/gen<N>` after a restore).
    public let origin: String
    /// Every generation's origin with the tree size above which it signs, oldest first.
    let generations: [(fromSize: UInt64, origin: String)]
    /// The Ed25519 key that verifies checkpoints, receipts and exports.
    public let publicKey: Ed25519.PublicKey

    let metadata: VaultMetadata
    let storage: any VaultStorage
    let keys: KeyHierarchy
    let signingKey: Ed25519.PrivateKey
    let keyring: Keyring
    let policyState: Mutex<ActivePolicy>
    let clock: any VaultClock
    let random: ErasedRandom
    let logger: Logger
    let peerRefreshWait: Duration
    /// The newest checkpoint, kept outside the database.
    let anchor: LocalAnchor
    /// The live key epochs' KEKs, outside the database.
    let keyStore: EpochKeyStore
    /// Tags of customers erased while an epoch a backup may need still lives.
    let erasureLedger: ErasureLedger
    /// How long a key epoch lives before the vault rolls to the next and destroys it.
    let epochPeriod: ISO8601Duration
    /// Shared among the processes that have the vault open; a restore needs it exclusively.
    let openLock: FileLock?
    /// The witnesses checkpoints go to, as `vault.json` names them (re-read by `refresh()`).
    let witnessClientState: Mutex<WitnessClient>
    var witnessClient: WitnessClient { witnessClientState.withLock { $0 } }
    /// The audit tree's right edge as of this process's last commit.
    let frontier = Mutex<MerkleCompactRange?>(nil)
    /// The kinds of database this program can open (backups are opened through them).
    let backends: [any StorageBackend]
    /// Batches concurrent audited reads into shared transactions.
    let readBatcher = ReadBatcher()
    /// Tokens seen, for the reads that confirm theirs in their own transaction.
    let tokenCache = TokenCache()
    /// Where portal sign-in codes and links go.
    let signInNotifier: any SignInNotifier
    /// The portal's limits.
    let portalLimits: PortalLimits

    init(
        directory: URL,
        metadata: VaultMetadata,
        storage: any VaultStorage,
        keys: KeyHierarchy,
        signingKey: Ed25519.PrivateKey,
        keyring: Keyring,
        policy: ActivePolicy,
        generations: [LogGenerationRow] = [],
        anchor: LocalAnchor? = nil,
        witnessClient: WitnessClient? = nil,
        openLock: FileLock? = nil,
        options: VaultOptions
    ) {
        self.directory = directory
        self.openLock = openLock
        self.metadata = metadata
        self.generations = [(0, metadata.origin)] + generations.map { ($0.fromSize, $0.origin) }
        self.origin = self.generations.last!.origin
        self.storage = storage is FacadeStorage ? storage : FacadeStorage(base: storage)
        self.keys = keys
        self.signingKey = signingKey
        self.publicKey = signingKey.publicKey
        self.keyring = keyring
        self.policyState = Mutex(policy)
        self.clock = options.clock
        self.random = ErasedRandom(base: options.random)
        self.logger = options.logger
        self.peerRefreshWait = options.peerRefreshWait
        self.backends = options.backends
        self.anchor = anchor ?? LocalAnchor(path: directory.appendingPathComponent(LocalAnchor.fileName).path, logger: options.logger)
        self.keyStore = EpochKeyStore(directory: directory)
        self.erasureLedger = ErasureLedger(directory: directory)
        self.epochPeriod = metadata.keyEpochPeriod.flatMap(ISO8601Duration.init) ?? Vault.defaultEpochPeriod
        self.portalLimits = options.portalLimits
        self.signInNotifier = options.signInNotifier ?? OutboxNotifier(folder: directory.appendingPathComponent(OutboxNotifier.folderName))
        // `open` has already refused a vault.json whose witnesses do not parse.
        self.witnessClientState = Mutex(witnessClient ?? (try? WitnessClient(metadata.witnesses ?? [])) ?? WitnessClient.none)
    }

    /// The policy in force.
    var policy: ActivePolicy { policyState.withLock { $0 } }

    /// The text and hash of the policy in force.
    public var policyInfo: (hash: String, fileName: String) {
        let active = policy
        return (active.policy.hash, active.fileName)
    }
}

extension Vault {
    /// The lock file every process that opens the vault shares, and a restore takes alone.
    static let lockFileName = "vault.lock"

    /// Takes the vault's lock: shared for everyone who opens it, exclusive for a restore; refuses
    /// rather than waits, since the other side may be a server that never lets go.
    static func lock(_ directory: URL, exclusive: Bool) throws -> FileLock {
        let lock = try FileLock(path: directory.appendingPathComponent(lockFileName).path)
        guard lock.tryLock(exclusive: exclusive) else {
            throw exclusive
                ? VaultError.conflict(
                    .vaultInUse,
                    "the vault at \(directory.path) is open in another process (`cvault serve`, or a command still running): stop it first, then restore; nothing was changed"
                )
                : VaultError.conflict(.restoreRunning, "a restore is replacing the database of \(directory.path): try again when it has finished")
        }
        return lock
    }

    /// Closes the vault: its database, and its share of the vault's lock. Later calls fail.
    public func close() throws {
        try storage.close()
        openLock?.unlock()
    }

    /// Every origin the log has signed under.
    var origins: Set<String> { Set(generations.map(\.origin)) }

    /// The origin a checkpoint of a tree of `size` must carry: a generation signs the trees larger
    /// than the size it started from (the first, every tree).
    static func origin(forSize size: UInt64, in generations: [(fromSize: UInt64, origin: String)]) -> String {
        generations.last { $0.fromSize < size || $0.fromSize == 0 }!.origin
    }

    /// A key epoch's life unless `vault.json` says otherwise: shorter than backups are usually kept.
    public static let defaultEpochPeriod = ISO8601Duration(days: 30)!
}

/// A parsed policy with where it came from.
struct ActivePolicy: Sendable {
    let policy: Policy
    let fileName: String
}

/// How to open or create a vault.
public struct VaultOptions: Sendable {
    /// Where the root key comes from when opening (overrides what `vault.json` records).
    public enum KeySource: Sendable {
        /// The key file `vault.json` names (default).
        case recorded
        /// A key file at this path.
        case keyFile(String)
        /// A passphrase (for vaults created with one).
        case passphrase(String)
    }

    /// The root key's source.
    public var keySource: KeySource = .recorded
    /// Time source.
    public var clock: any VaultClock = SystemClock()
    /// Randomness for keys, nonces, ids and noise.
    public var random: any RandomSource = SystemRandom()
    /// Where portal sign-in codes and links go; nil: files in `outbox/` inside the vault folder.
    public var signInNotifier: (any SignInNotifier)?
    /// The portal's code lifetime, guess limit, rate limits and session expiry.
    public var portalLimits = PortalLimits()
    /// Where log lines go; they never carry personal data.
    public var logger = Logger(label: "cvault")
    /// Commit durability.
    public var durability: StorageDurability = .full
    /// The kinds of database this program can open; the vault uses the first that accepts the
    /// database its `vault.json` names (the facade itself names none).
    public var backends: [any StorageBackend]
    /// Opens a vault whose database fails its checks against the checkpoint kept outside it (rolled
    /// back, cut short or rewritten), so that `audit verify` can say what is wrong. Nothing else
    /// should: such a database must not be served.
    public var inspectOnly = false
    /// How long `rotateKeys` waits after publishing a new KEK before wrapping customer keys under
    /// it, so that a running server (which calls `refresh()` every `Vault.refreshInterval`) knows
    /// the KEK before any customer needs it.
    public var peerRefreshWait: Duration = Vault.refreshInterval * 2

    /// Defaults: recorded key, system clock and CSPRNG, full durability, over `backends`.
    public init(backends: [any StorageBackend]) {
        self.backends = backends
    }
}

/// The injected random source behind a concrete type, so generic crypto calls can take it.
struct ErasedRandom: RandomSource {
    let base: any RandomSource

    func fill(_ buffer: UnsafeMutableRawBufferPointer) { base.fill(buffer) }
}

extension Vault {
    /// Sends log lines to standard error at `level` (the CLI's default is `warning`): logs are for
    /// operators, never carry personal data, and must not mix with command output.
    package static func bootstrapLogging(levelName: String?) {
        let level = levelName.flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
