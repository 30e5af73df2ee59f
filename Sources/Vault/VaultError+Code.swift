import VaultAnalytics
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultStore

extension VaultError {
    /// A stable, machine-readable error code, such as `consent_missing`: what HTTP clients and
    /// scripts match on, so it never changes once published.
    ///
    /// Matched like GRDB's `ResultCode`: compare with the constants (`error.code == .customerErased`)
    /// or use them as patterns (`catch VaultError.Code.vaultInUse`); never spell codes as strings.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code as clients see it, such as `customer_erased`.
        public let rawValue: String

        /// A code by its published spelling; lower layers' codes (storage, crypto, audit,
        /// analytics) pass through this way.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The code.
        public var description: String { rawValue }

        /// Whether `error` is a vault error with this code, so that `catch Code.x` works.
        public static func ~= (pattern: Self, error: any Error) -> Bool {
            (error as? VaultError)?.code == pattern
        }
    }
}

extension VaultError.Code {
    /// An aggregate was computed and kept but could not be delivered.
    public static let aggregateFailed = Self(rawValue: "aggregate_failed")
    /// The field already has a pending contest.
    public static let alreadyContested = Self(rawValue: "already_contested")
    /// The token was already revoked.
    public static let alreadyRevoked = Self(rawValue: "already_revoked")
    /// The backup's destination already exists.
    public static let backupExists = Self(rawValue: "backup_exists")
    /// The backup belongs to another vault.
    public static let backupOfAnotherVault = Self(rawValue: "backup_of_another_vault")
    /// Nothing in the backup can be decrypted any more.
    public static let backupUndecryptable = Self(rawValue: "backup_undecryptable")
    /// The backup does not prove its own audit log.
    public static let backupUnverified = Self(rawValue: "backup_unverified")
    /// An import's batch size is not a positive number of customers.
    public static let badBatchSize = Self(rawValue: "bad_batch_size")
    /// A sign-in address is neither an e-mail address nor a phone number.
    public static let badAddress = Self(rawValue: "bad_address")
    /// A customer id is not 1–128 id characters.
    public static let badCustomerId = Self(rawValue: "bad_customer_id")
    /// An expiry is not an ISO 8601 duration.
    public static let badDuration = Self(rawValue: "bad_duration")
    /// A field list repeats a field or is too long.
    public static let badFields = Self(rawValue: "bad_fields")
    /// The vault's metadata file is damaged.
    public static let badMetadata = Self(rawValue: "bad_metadata")
    /// A staff or witness name has characters or a length a name cannot have.
    public static let badName = Self(rawValue: "bad_name")
    /// An audit entry or tree size is outside the log.
    public static let badRange = Self(rawValue: "bad_range")
    /// A contest status filter is not one of the known ones.
    public static let badStatus = Self(rawValue: "bad_status")
    /// A log verifier key is malformed.
    public static let badVerifierKey = Self(rawValue: "bad_verifier_key")
    /// A witness key is not a cosignature/v1 key.
    public static let badWitnessKey = Self(rawValue: "bad_witness_key")
    /// A witness URL is not an http(s) URL.
    public static let badWitnessUrl = Self(rawValue: "bad_witness_url")
    /// The purpose does not rest on consent.
    public static let basisNotConsent = Self(rawValue: "basis_not_consent")
    /// A privacy budget is exhausted.
    public static let budgetExhausted = Self(rawValue: "budget_exhausted")
    /// A permanent action needs explicit confirmation.
    public static let confirmationRequired = Self(rawValue: "confirmation_required")
    /// The contest is already resolved or withdrawn.
    public static let contestClosed = Self(rawValue: "contest_closed")
    /// A customer changed (was erased) while the operation ran.
    public static let customerChanged = Self(rawValue: "customer_changed")
    /// The customer was erased; their data was crypto-shredded.
    public static let customerErased = Self(rawValue: "customer_erased")
    /// Customers with other content already exist.
    public static let customerExists = Self(rawValue: "customer_exists")
    /// Only a customer's token may act on its own data.
    public static let customerOnly = Self(rawValue: "customer_only")
    /// A customer token needs the customer's id.
    public static let customerRequired = Self(rawValue: "customer_required")
    /// The database already holds another vault.
    public static let databaseInUse = Self(rawValue: "database_in_use")
    /// An import repeats a customer id.
    public static let duplicateId = Self(rawValue: "duplicate_id")
    /// The token has expired.
    public static let expiredToken = Self(rawValue: "expired_token")
    /// The role may not read or write the field under any purpose.
    public static let fieldNotGranted = Self(rawValue: "field_not_granted")
    /// A file in the vault folder could not be written.
    public static let fileError = Self(rawValue: "file_error")
    /// Stored data failed an integrity check.
    public static let integrityFailure = Self(rawValue: "integrity_failure")
    /// A policy document is invalid.
    public static let invalidPolicy = Self(rawValue: "invalid_policy")
    /// A text is empty, too long or has control characters.
    public static let invalidText = Self(rawValue: "invalid_text")
    /// A value does not fit its field's type.
    public static let invalidValue = Self(rawValue: "invalid_value")
    /// The vault's root key is a key file, not a passphrase.
    public static let keyFileRequired = Self(rawValue: "key_file_required")
    /// The witness already watches this log.
    public static let logKnown = Self(rawValue: "log_known")
    /// The audit log is older than its anchor: it was rolled back.
    public static let logRolledBack = Self(rawValue: "log_rolled_back")
    /// A JSON document is malformed.
    public static let malformedJson = Self(rawValue: "malformed_json")
    /// A token does not have a token's shape.
    public static let malformedToken = Self(rawValue: "malformed_token")
    /// The newest recommendation model no longer fits the policy.
    public static let modelOutdated = Self(rawValue: "model_outdated")
    /// The vault already lives in a database server.
    public static let moveFromServer = Self(rawValue: "move_from_server")
    /// A staff token needs a staff name.
    public static let nameRequired = Self(rawValue: "name_required")
    /// The purpose rests on legitimate interest and needs no consent.
    public static let noConsentNeeded = Self(rawValue: "no_consent_needed")
    /// No recommendation model has been trained.
    public static let noModel = Self(rawValue: "no_model")
    /// The policy has no purchases field.
    public static let noPurchasesField = Self(rawValue: "no_purchases_field")
    /// Staff have not asked a question on the contest.
    public static let noQuestion = Self(rawValue: "no_question")
    /// The policy has no recommendations section.
    public static let noRecommendations = Self(rawValue: "no_recommendations")
    /// No vault is at the given folder.
    public static let noVault = Self(rawValue: "no_vault")
    /// No witness key is at the given folder.
    public static let noWitness = Self(rawValue: "no_witness")
    /// A search names a field that is not a lookup field.
    public static let notALookupField = Self(rawValue: "not_a_lookup_field")
    /// Nothing is there, or it is not visible to this actor.
    public static let notFound = Self(rawValue: "not_found")
    /// A sign-in message could not be written into the outbox.
    public static let outboxUnwritable = Self(rawValue: "outbox_unwritable")
    /// The vault's root key comes from a passphrase that was not given.
    public static let passphraseRequired = Self(rawValue: "passphrase_required")
    /// The policy is already in force.
    public static let policyUnchanged = Self(rawValue: "policy_unchanged")
    /// Recommendations are made only under the policy's recommendation purpose.
    public static let purposeNotForRecommendations = Self(rawValue: "purpose_not_for_recommendations")
    /// Too many attempts; try later.
    public static let rateLimited = Self(rawValue: "rate_limited")
    /// A contest's reason is missing or too long.
    public static let reasonRequired = Self(rawValue: "reason_required")
    /// A reply is missing or too long.
    public static let replyRequired = Self(rawValue: "reply_required")
    /// A restore goes only into a file database.
    public static let restoreNeedsFileDatabase = Self(rawValue: "restore_needs_file_database")
    /// A restore is replacing the database.
    public static let restoreRunning = Self(rawValue: "restore_running")
    /// The token was revoked.
    public static let revokedToken = Self(rawValue: "revoked_token")
    /// A copy names the database the vault already uses.
    public static let sameDatabase = Self(rawValue: "same_database")
    /// The portal session ended.
    public static let sessionEnded = Self(rawValue: "session_ended")
    /// A sign-in code or link does not work.
    public static let signInFailed = Self(rawValue: "sign_in_failed")
    /// Stored data does not have the shape the schema promises.
    public static let storageCorrupted = Self(rawValue: "storage_corrupted")
    /// The database could not be reached or written.
    public static let storageUnavailable = Self(rawValue: "storage_unavailable")
    /// No token, or one that does not authenticate.
    public static let unauthenticated = Self(rawValue: "unauthenticated")
    /// A field is not in the policy.
    public static let unknownField = Self(rawValue: "unknown_field")
    /// A purpose is not in the policy.
    public static let unknownPurpose = Self(rawValue: "unknown_purpose")
    /// A role is not in the policy.
    public static let unknownRole = Self(rawValue: "unknown_role")
    /// The token was not issued by this vault.
    public static let unknownToken = Self(rawValue: "unknown_token")
    /// The vault's format is newer or older than this cvault reads.
    public static let unsupportedFormat = Self(rawValue: "unsupported_format")
    /// The purpose rests on consent: withdraw consent instead of objecting.
    public static let useWithdraw = Self(rawValue: "use_withdraw")
    /// The folder already exists and is not empty.
    public static let vaultExists = Self(rawValue: "vault_exists")
    /// The vault is open in another process.
    public static let vaultInUse = Self(rawValue: "vault_in_use")
    /// A passphrase is too short.
    public static let weakPassphrase = Self(rawValue: "weak_passphrase")
    /// The sign-in webhook did not accept a message.
    public static let webhookFailed = Self(rawValue: "webhook_failed")
    /// The sign-in webhook does not use https.
    public static let webhookNotHttps = Self(rawValue: "webhook_not_https")
    /// The sign-in webhook's secret is too short.
    public static let webhookSecretShort = Self(rawValue: "webhook_secret_short")
    /// The witness folder already exists and is not empty.
    public static let witnessExists = Self(rawValue: "witness_exists")
    /// The vault already submits to this witness.
    public static let witnessKnown = Self(rawValue: "witness_known")
    /// An output file could not be written.
    public static let writeFailed = Self(rawValue: "write_failed")
    /// The passphrase or key file does not open this vault.
    public static let wrongRootKey = Self(rawValue: "wrong_root_key")
}

// Lower layers keep their own small error types; their codes join the facade's at its boundary.
extension VaultError.Code {
    /// A policy decision's reason, as the code of the refusal it causes.
    init(_ reason: ReasonCode) { self.init(rawValue: reason.rawValue) }
    /// A storage failure's code.
    init(_ error: StoreError) { self.init(rawValue: error.code) }
    /// An analytics failure's code.
    init(_ error: AnalyticsError) { self.init(rawValue: error.code) }
    /// A cryptographic failure's code.
    init(_ error: CryptoError) { self.init(rawValue: error.code) }
    /// An audit log failure's code.
    init(_ error: AuditError) { self.init(rawValue: error.code) }
}
