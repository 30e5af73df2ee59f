public import Foundation
import Logging
import VaultAudit
import VaultCrypto
public import VaultPolicy
import VaultStore

extension Vault {
    /// How a new vault gets its root key.
    public enum NewRootKey: Sendable {
        /// A new random key file (mode 0600) at this path; nil puts `root.key` in the vault folder.
        case keyFile(String?)
        /// A key derived from this passphrase with scrypt.
        case passphrase(String)
    }

    /// The default policy shipped inside the binary (built from `policies/default.yaml`).
    public static var defaultPolicyText: String { String(decoding: PackageResources.default_yaml, as: UTF8.self) }

    /// Creates a vault in `directory` (which must not exist or be empty) with the given policy.
    ///
    /// Order matters for failure: the policy is validated and keys are made before anything is
    /// written, and a half-created folder is removed again.
    public static func create(
        at directory: URL,
        rootKey: NewRootKey = .keyFile(nil),
        policyText: String? = nil,
        policyFileName: String = "default.yaml",
        keyEpochPeriod: ISO8601Duration = Vault.defaultEpochPeriod,
        database: String = "vault.sqlite",
        options: VaultOptions
    ) async throws -> Vault {
        let fileManager = FileManager.default
        // Which backend takes the database is settled before anything is written.
        let backend = try options.backends.backend(for: database)
        var isDirectory: ObjCBool = false
        let existed = fileManager.fileExists(atPath: directory.path, isDirectory: &isDirectory)
        if existed {
            guard isDirectory.boolValue, (try? fileManager.contentsOfDirectory(atPath: directory.path))?.isEmpty == true else {
                throw VaultError.conflict(
                    .vaultExists,
                    "\(directory.path) already exists and is not an empty folder; refusing to touch it (choose a new folder)"
                )
            }
        }
        let policy = try parsePolicy(policyText ?? defaultPolicyText, fileName: policyFileName)

        do {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let vaultID = options.random.bytes(16).hexString
            let root: SymmetricKey
            let rootDescriptor: VaultMetadata.RootKey
            switch rootKey {
            case .keyFile(let path):
                let keyPath = path ?? directory.appendingPathComponent("root.key").path
                root = try KeyFile.create(at: keyPath, using: options.random)
                rootDescriptor = .init(kind: "file", path: path ?? "root.key", scrypt: nil, wrappedRoot: nil)
            case .passphrase(let passphrase):
                guard passphrase.utf8.count >= 12 else {
                    throw VaultError.invalid(.weakPassphrase, "the passphrase must be at least 12 characters long")
                }
                let parameters = ScryptParameters.recommended(using: options.random)
                root = SymmetricKey(byteCount: KeyFile.byteCount, using: options.random)
                let wrapped = try PassphraseWrappedKey.wrap(
                    root,
                    passphrase: Array(passphrase.utf8),
                    parameters: parameters,
                    vaultID: vaultID,
                    random: options.random
                )
                rootDescriptor = .init(kind: "passphrase", path: nil, scrypt: parameters, wrappedRoot: Data(wrapped).base64EncodedString())
            }
            let keys = try KeyHierarchy(root: root, vaultID: vaultID)
            let signingKey = try Ed25519.PrivateKey(using: options.random)
            let metadata = VaultMetadata(
                format: VaultMetadata.currentFormat,
                vaultID: vaultID,
                origin: "customervault.local/\(vaultID.prefix(16))",
                createdAt: options.clock.now(),
                rootKey: rootDescriptor,
                keyCheck: Data(keys.keyCheckValue).base64EncodedString(),
                signingKey: Data(try keys.wrap(signingKey, random: options.random)).base64EncodedString(),
                publicKey: Data(signingKey.publicKey.rawRepresentation).base64EncodedString(),
                database: database,
                keyEpochPeriod: keyEpochPeriod.description
            )
            try metadata.write(to: directory)

            let storage = try await backend.open(metadata.database, in: directory, durability: options.durability)
            // A server database may already hold a vault (a file database here is always new).
            if let other = try await storage.read({ tx in try tx.vaultID() }) {
                try? storage.close()
                throw VaultError.conflict(
                    .databaseInUse,
                    "the database \(database) already holds the vault \(other); give each vault its own, empty database"
                )
            }
            let now = options.clock.now()
            // The first key epoch goes to the key store, outside the database, before anything uses it.
            let kek = KeyEncryptionKey.generate(version: 1, using: options.random)
            let wrappedKEK = try keys.wrapEpoch(kek, random: options.random)
            try EpochKeyStore(directory: directory).update(vaultID: vaultID) { contents in
                contents.epochs = [.init(version: 1, createdAt: now, wrapped: Data(wrappedKEK).base64EncodedString())]
            }
            let policyText = policyText ?? defaultPolicyText
            let vault = Vault(
                directory: directory,
                metadata: metadata,
                storage: storage,
                keys: keys,
                signingKey: signingKey,
                keyring: Keyring([kek]),
                policy: ActivePolicy(policy: policy, fileName: policyFileName),
                openLock: try lock(directory, exclusive: false),
                options: options
            )
            try await vault.mutate { tx, audit in
                try tx.setVaultID(vaultID)
                try tx.insertKEK(KEKRow(version: 1, createdAt: now))
                try tx.insertPolicy(PolicyRow(hash: policy.hash, text: policyText, fileName: policyFileName, appliedAt: now))
                try audit.append(
                    AuditDraft(
                        principal: .localOperator,
                        op: .vaultCreate,
                        decision: .allow,
                        reason: .byOperator,
                        details: ["kek_version": "1", "policy_file": policyFileName]
                    )
                )
            }
            options.logger.info("vault created", metadata: ["vault": "\(vaultID)"])
            return vault
        } catch {
            if !existed {
                try? fileManager.removeItem(at: directory)
            } else {
                for item in (try? fileManager.contentsOfDirectory(atPath: directory.path)) ?? [] {
                    try? fileManager.removeItem(at: directory.appendingPathComponent(item))
                }
            }
            throw error
        }
    }

    /// Opens the vault in `directory`; a wrong root key fails before anything is written.
    public static func open(at directory: URL, options: VaultOptions) async throws -> Vault {
        let metadata = try VaultMetadata.load(from: directory)
        let (keys, signingKey) = try unlock(metadata, in: directory, options: options)
        _ = try WitnessClient(metadata.witnesses ?? [])
        let openLock = try lock(directory, exclusive: false)
        let storage = try await options.backends.backend(for: metadata.database)
            .open(metadata.database, in: directory, durability: options.durability)
        let (storedID, kekRows, policyRow, generations) = try await storage.read { tx in
            (try tx.vaultID(), try tx.keks(), try tx.activePolicy(), try tx.logGenerations())
        }
        guard storedID == metadata.vaultID else {
            throw VaultError.integrity("the database in \(directory.path) belongs to another vault than vault.json")
        }
        let keyStore = EpochKeyStore(directory: directory)
        var keks = try keyStore.keys(vaultID: metadata.vaultID, hierarchy: keys)
        let legacy = try keyStore.load(vaultID: metadata.vaultID) == nil && kekRows.contains { !$0.wrapped.isEmpty }
        if legacy {
            // A vault from before key epochs: its KEKs are in the database, sealed under the root.
            keks = try kekRows.map { row in
                do {
                    return try keys.unwrapKEK(Array(row.wrapped), version: row.version)
                } catch {
                    throw VaultError.integrity("KEK version \(row.version) failed its integrity check")
                }
            }
        } else if keks.isEmpty {
            throw VaultError.integrity(
                "the key store \(keyStore.path) is missing or empty: without it no customer can be decrypted; put back this vault's key store (it is never inside the database or its backups)"
            )
        }
        guard let policyRow else { throw VaultError.integrity("the database lacks its policy; restore it from a backup") }
        let policy = try parsePolicy(policyRow.text, fileName: policyRow.fileName, stored: true)
        guard policy.hash == policyRow.hash else { throw VaultError.integrity("the stored policy does not match its recorded hash") }
        let vault = Vault(
            directory: directory,
            metadata: metadata,
            storage: storage,
            keys: keys,
            signingKey: signingKey,
            keyring: Keyring(keks),
            policy: ActivePolicy(policy: policy, fileName: policyRow.fileName),
            generations: generations,
            openLock: openLock,
            options: options
        )
        try await vault.checkAnchor(refuse: !options.inspectOnly)
        if !options.inspectOnly {
            if legacy {
                try await vault.moveKEKsOutOfTheDatabase(keks)
            } else if kekRows.contains(where: { !$0.wrapped.isEmpty }) {
                // An upgrade that stopped between writing the key store and clearing the database.
                try await vault.record { tx, _ in try tx.clearStoredKEKs() }
                try await vault.storage.compact()
            }
            // A vault from before checkpoints at every commit may end in entries no checkpoint covers.
            _ = try await vault.checkpoint()
            // Finishes a roll's destruction that a crash interrupted, so no retired epoch lingers.
            try await vault.destroyRetiredEpochs(by: .keySchedule)
        }
        return vault
    }

    /// Upgrades a vault from before key epochs: its KEKs move into the key store and out of the
    /// database. Backups taken before this still hold them, sealed under the root key.
    private func moveKEKsOutOfTheDatabase(_ keks: [KeyEncryptionKey]) async throws {
        let now = clock.now()
        let rows = try await storage.read { tx in try tx.keks() }
        try keyStore.update(vaultID: metadata.vaultID) { contents in
            contents.epochs = try keks.map { kek in
                .init(
                    version: kek.version,
                    createdAt: rows.first { $0.version == kek.version }?.createdAt ?? now,
                    wrapped: Data(try keys.wrapEpoch(kek, random: random)).base64EncodedString()
                )
            }
        }
        try await record { tx, audit in
            try tx.clearStoredKEKs()
            try audit.append(
                AuditDraft(
                    principal: .localOperator,
                    op: .keysMigrate,
                    decision: .allow,
                    reason: .byOperator,
                    details: ["kek_versions": keks.map { String($0.version) }.joined(separator: ",")]
                )
            )
        }
        try await storage.compact()
        var upgraded = metadata
        upgraded.format = VaultMetadata.currentFormat
        try upgraded.write(to: directory)
        logger.warning(
            "moved the key-encryption keys out of the database into the key store; backups taken before still hold them under the root key, so destroy those backups",
            metadata: ["key_store": "\(keyStore.path)"]
        )
    }

    /// Holds the database to the checkpoint kept outside it: a log that was rolled back, cut short
    /// or rewritten is refused (unless only inspecting); a missing anchor is started from the log.
    func checkAnchor(refuse: Bool) async throws {
        let note = try anchor.read()
        let (state, latest) = try await storage.read { [publicKey, origins] tx in
            (try Self.anchorState(note, in: tx, publicKey: publicKey, origins: origins), try tx.latestCheckpoint())
        }
        switch state {
        case .absent:
            if let latest {
                try anchor.reset(to: latest.note)
                logger.notice("started keeping the newest checkpoint outside the database", metadata: ["path": "\(anchor.path)"])
            }
        case .extended:
            break
        case .behind, .rewritten, .invalid:
            let problem = state.problem(path: anchor.path) ?? ""
            logger.critical("the audit log failed its check against the checkpoint kept outside the database")
            if refuse {
                throw VaultError(
                    .integrity,
                    code: .logRolledBack,
                    "refusing to open \(directory.path): \(problem). Run `cvault audit verify` for details; to return to an older database on purpose, use `cvault restore`, which records the rollback"
                )
            }
        }
    }

    /// The root key's hierarchy and the checkpoint-signing key, checked against `vault.json`.
    static func unlock(_ metadata: VaultMetadata, in directory: URL, options: VaultOptions) throws -> (KeyHierarchy, Ed25519.PrivateKey) {
        let root: SymmetricKey
        switch (options.keySource, metadata.rootKey.kind) {
        case (.passphrase(let passphrase), "passphrase"):
            guard let parameters = metadata.rootKey.scrypt else { throw VaultError.integrity("vault.json lacks the scrypt parameters") }
            if let wrappedText = metadata.rootKey.wrappedRoot {
                guard let wrapped = Data(base64Encoded: wrappedText) else {
                    throw VaultError.integrity("vault.json has a malformed wrapped root key")
                }
                guard
                    let opened = try? PassphraseWrappedKey.unwrap(
                        Array(wrapped),
                        passphrase: Array(passphrase.utf8),
                        parameters: parameters,
                        vaultID: metadata.vaultID
                    )
                else {
                    throw VaultError(
                        .unauthenticated,
                        code: .wrongRootKey,
                        "wrong passphrase: it does not open the vault at \(directory.path); nothing was read or written (check CVAULT_PASSPHRASE)"
                    )
                }
                root = opened
            } else {
                root = try Scrypt.deriveKey(passphrase: Array(passphrase.utf8), parameters: parameters)
            }
        case (.recorded, "passphrase"), (.keyFile, "passphrase"):
            throw VaultError(.unauthenticated, code: .passphraseRequired, "this vault's root key comes from a passphrase: set CVAULT_PASSPHRASE")
        case (.passphrase, _):
            throw VaultError(
                .unauthenticated,
                code: .keyFileRequired,
                "this vault's root key is a key file, not a passphrase: give the key file, not CVAULT_PASSPHRASE"
            )
        case (.keyFile(let path), _):
            root = try loadKeyFile(path)
        case (.recorded, _):
            guard let path = metadata.rootKey.path else { throw VaultError.integrity("vault.json names no key file") }
            root = try loadKeyFile(path.hasPrefix("/") ? path : directory.appendingPathComponent(path).path)
        }

        let keys = try KeyHierarchy(root: root, vaultID: metadata.vaultID)
        guard let keyCheck = Data(base64Encoded: metadata.keyCheck) else { throw VaultError.integrity("vault.json has a malformed key check") }
        do {
            try keys.verify(keyCheckValue: Array(keyCheck))
        } catch {
            throw VaultError(
                .unauthenticated,
                code: .wrongRootKey,
                "wrong root key: it does not open the vault at \(directory.path); nothing was read or written (check the key file or CVAULT_PASSPHRASE)"
            )
        }
        guard let wrappedSigningKey = Data(base64Encoded: metadata.signingKey),
            let signingKey = try? keys.unwrapSigningKey(Array(wrappedSigningKey))
        else { throw VaultError.integrity("the vault's signing key in vault.json failed its integrity check") }
        if case .passphrase(let passphrase) = options.keySource,
            metadata.rootKey.wrappedRoot == nil || metadata.rootKey.scrypt?.isBelowRecommendation == true
        {
            try upgradePassphraseProtection(metadata, root: root, passphrase: passphrase, in: directory, options: options)
        }
        return (keys, signingKey)
    }

    /// Seals the same root again under today's scrypt parameters: a vault created with weaker ones
    /// (or whose root was scrypt's output itself) keeps every key it has, and a stolen vault.json
    /// from now on costs an attacker today's price per guess.
    private static func upgradePassphraseProtection(
        _ metadata: VaultMetadata,
        root: SymmetricKey,
        passphrase: String,
        in directory: URL,
        options: VaultOptions
    ) throws {
        let parameters = ScryptParameters.recommended(using: options.random)
        let wrapped = try PassphraseWrappedKey.wrap(
            root,
            passphrase: Array(passphrase.utf8),
            parameters: parameters,
            vaultID: metadata.vaultID,
            random: options.random
        )
        var upgraded = metadata
        upgraded.rootKey = .init(kind: "passphrase", path: nil, scrypt: parameters, wrappedRoot: Data(wrapped).base64EncodedString())
        try upgraded.write(to: directory)
        options.logger.notice(
            "sealed the root key again under today's scrypt parameters",
            metadata: ["N": "\(parameters.cost)", "r": "\(parameters.blockSize)"]
        )
    }

    private static func loadKeyFile(_ path: String) throws -> SymmetricKey {
        do {
            return try KeyFile.load(from: path)
        } catch let error as CryptoError {
            throw VaultError(.unauthenticated, code: .init(error), error.description)
        }
    }

    /// Parses a new policy, or (`stored`) one the vault applied earlier, which keeps opening even
    /// if it predates a check.
    static func parsePolicy(_ text: String, fileName: String, stored: Bool = false) throws -> Policy {
        do {
            return try stored ? Policy.parse(stored: text, fileName: fileName) : Policy.parse(yaml: text, fileName: fileName)
        } catch {
            throw VaultError.invalid(.invalidPolicy, "the policy is invalid:\n" + error.description)
        }
    }
}

extension Array where Element == UInt8 {
    /// Lower-case hex.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
