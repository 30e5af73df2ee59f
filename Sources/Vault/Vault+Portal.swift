public import Foundation
import Logging
import VaultAudit
import VaultCrypto
public import VaultPolicy
import VaultStore

/// A signed-in portal session: `secret` goes into the customer's cookie and nowhere else.
public struct PortalSession: Sendable {
    /// The cookie's value; the vault keeps only its keyed hash.
    public let secret: String
    /// The session's public id, as audit entries name it.
    public let id: String
    /// The customer signed in.
    public let customerID: String
    /// When the session ends whatever its use.
    public let expiresAt: Date
}

/// The portal's limits: short-lived one-time codes, few guesses, sessions that end.
public struct PortalLimits: Sendable {
    /// How long a code and its link work.
    public var codeLifetime: TimeInterval = 600
    /// Wrong codes before a sign-in is given up.
    public var attemptsPerCode = 5
    /// Sign-in requests per address in `window`.
    public var requestsPerAddress = 5
    /// Sign-in requests and code entries per client in `window`.
    public var attemptsPerClient = 30
    /// The rate limits' sliding window.
    public var window: TimeInterval = 900
    /// Wrong codes per customer, across all their codes, in `lockWindow`: past it no code is
    /// issued or accepted for them (a guesser cannot go on across fresh codes).
    public var wrongCodesPerCustomer = 10
    /// The window of `wrongCodesPerCustomer`.
    public var lockWindow: TimeInterval = 86_400
    /// A session unused this long ends.
    public var sessionIdle: TimeInterval = 1_800
    /// A session ends this long after sign-in, however busy.
    public var sessionAbsolute: TimeInterval = 43_200

    /// The defaults.
    public init() {}
}

extension Vault {
    /// Digits in a sign-in code.
    static let signInCodeDigits = 8
    /// A session's last use is written at most this often (every request would be a write).
    static let sessionTouchInterval: TimeInterval = 60

    /// Starts a sign-in for whoever holds `address` (an e-mail address or a phone number the vault
    /// has for a customer): a code and a link go to that address through the notifier. The answer is
    /// the same whether or not the address matched anyone, and delivery runs apart from the answer,
    /// so neither it nor its timing tells who is a customer. Rate limited per address and per
    /// `client` (the caller's network address); every request is audited, a match under the customer.
    ///
    /// - Parameters:
    ///   - address: an e-mail address (it has an `@`) or a phone number, at most 254 bytes, of a lookup field.
    ///   - client: the caller's network address; only its keyed hash is kept, as a rate-limit bucket.
    ///   - linkBase: the URL the link's secret is appended to, such as the portal's `…/portal/link/`.
    /// - Throws: `VaultError.Code.badAddress` when it is neither, or the policy has no lookup field of its type;
    ///   `.rateLimited`, audited before it is thrown. Nothing tells whether the address matched.
    public func requestSignIn(address: String, client: String, linkBase: String) async throws {
        let policy = policy.policy
        let limits = portalLimits
        let (field, normalized) = try Self.lookupAddress(address, policy: policy)
        let digest = Data(keys.blindIndex(field: field.name, value: normalized))
        let addressBucket = Data(keys.portalHash("address", normalized))
        let clientBucket = Data(keys.portalHash("client", client))
        let now = clock.now()
        var codeDigits = Self.signInCode(random)
        var linkBytes = random.bytes(32)
        defer {
            zeroize(&codeDigits)
            zeroize(&linkBytes)
        }
        let code = String(decoding: codeDigits, as: UTF8.self)
        let linkSecret = Data(linkBytes).base64URLEncoded
        let row = SignInCodeRow(
            id: "sgn_" + random.bytes(8).hexString,
            customerID: "",
            codeHash: Data(keys.portalHash("code", code)),
            linkHash: Data(keys.portalHash("link", linkSecret)),
            createdAt: now,
            expiresAt: now.addingTimeInterval(limits.codeLifetime)
        )
        let issued: Bool = try await record { tx, audit in
            let since = now.addingTimeInterval(-limits.window)
            if try tx.portalAttempts(bucket: addressBucket, since: since) >= limits.requestsPerAddress
                || tx.portalAttempts(bucket: clientBucket, since: since) >= limits.attemptsPerClient
            {
                try audit.refuse(
                    AuditDraft(principal: .portal, fields: [field.name], op: .portalSignInRequest, decision: .deny, reason: .rateLimited),
                    Self.rateLimited
                )
            }
            try tx.recordPortalAttempt(bucket: addressBucket, at: now)
            try tx.recordPortalAttempt(bucket: clientBucket, at: now)
            var live: [String] = []
            for id in try tx.customerIDs(field: field.name, digest: digest) {
                if try tx.customer(id: id)?.erasedAt == nil { live.append(id) }
            }
            // An address two customers share signs in neither: the code would open one of them for the other.
            guard live.count == 1, let customerID = live.first else {
                try audit.append(
                    AuditDraft(
                        principal: .portal,
                        fields: [field.name],
                        op: .portalSignInRequest,
                        decision: .deny,
                        reason: live.isEmpty ? .noMatch : .ambiguousAddress
                    )
                )
                return false
            }
            // Too many wrong codes for this customer lately: no new code, and the same answer as ever.
            if try tx.portalAttempts(bucket: Data(self.keys.portalHash("wrong-code", customerID)), since: now.addingTimeInterval(-limits.lockWindow))
                >= limits.wrongCodesPerCustomer
            {
                try audit.append(
                    AuditDraft(
                        principal: .portal,
                        customer: customerID,
                        fields: [field.name],
                        op: .portalSignInRequest,
                        decision: .deny,
                        reason: .customerLocked
                    )
                )
                return false
            }
            try tx.prunePortal(before: now.addingTimeInterval(-max(limits.lockWindow, limits.sessionAbsolute)))
            var stored = row
            stored.customerID = customerID
            try tx.insertSignInCode(stored)
            try audit.append(
                AuditDraft(
                    principal: .portal,
                    customer: customerID,
                    fields: [field.name],
                    op: .portalSignInRequest,
                    decision: .allow,
                    reason: .allowedSignInSent,
                    details: ["sign_in": row.id]
                )
            )
            return true
        }
        guard issued else { return }
        let message = SignInMessage(destination: address, code: code, link: linkBase + linkSecret, expiresAt: row.expiresAt)
        let notifier = signInNotifier
        let logger = logger
        Task.detached {
            do {
                try await notifier.deliver(message)
            } catch {
                logger.error("a portal sign-in message could not be delivered", metadata: ["cause": "\(Self.describe(error))"])
            }
        }
    }

    /// Completes a sign-in with the code sent to `address`. Every failure answers alike (wrong,
    /// expired, used, given up, unknown address) and is audited; a code is given up after
    /// `attemptsPerCode` wrong guesses.
    ///
    /// - Parameters:
    ///   - address: the address the sign-in was requested for, as in `requestSignIn(address:client:linkBase:)`.
    ///   - code: the code as typed; spaces around it are ignored; only the newest pending code is accepted.
    ///   - client: the caller's network address, for the per-client rate limit.
    /// - Returns: the new session; its secret goes into the customer's cookie.
    /// - Throws: `VaultError.Code.signInFailed` for every failure, or `.rateLimited`, each audited before it is
    ///   thrown; `.badAddress` for an address that cannot be one.
    public func completeSignIn(address: String, code: String, client: String) async throws -> PortalSession {
        let policy = policy.policy
        let limits = portalLimits
        let (field, normalized) = try Self.lookupAddress(address, policy: policy)
        let digest = Data(keys.blindIndex(field: field.name, value: normalized))
        let clientBucket = Data(keys.portalHash("client", client))
        let typed = Data(keys.portalHash("code", code.trimmingCharacters(in: .whitespaces)))
        let now = clock.now()
        let session = newSession(now: now, limits: limits)
        return try await record { tx, audit in
            try self.limitClient(tx, &audit, bucket: clientBucket, now: now, limits: limits, op: .portalSignIn)
            let ids = try tx.customerIDs(field: field.name, digest: digest)
            guard ids.count == 1, let customerID = ids.first,
                let pending = try tx.signInCodes(customerID: customerID, since: now.addingTimeInterval(-limits.codeLifetime))
                    .first(where: { $0.usedAt == nil && $0.expiresAt > now })
            else {
                try audit.refuse(
                    AuditDraft(principal: .portal, fields: [field.name], op: .portalSignIn, decision: .deny, reason: .noPendingSignIn),
                    Self.signInFailed
                )
            }
            let wrongCodes = Data(self.keys.portalHash("wrong-code", customerID))
            guard try tx.portalAttempts(bucket: wrongCodes, since: now.addingTimeInterval(-limits.lockWindow)) < limits.wrongCodesPerCustomer else {
                try audit.refuse(
                    AuditDraft(
                        principal: .portal,
                        customer: customerID,
                        op: .portalSignIn,
                        decision: .deny,
                        reason: .customerLocked,
                        details: ["sign_in": pending.id]
                    ),
                    Self.signInFailed
                )
            }
            guard ConstantTime.equals(pending.codeHash, typed) else {
                try tx.recordPortalAttempt(bucket: wrongCodes, at: now)
                let attempts = pending.attempts + 1
                try tx.updateSignInCode(id: pending.id, attempts: attempts, usedAt: attempts >= limits.attemptsPerCode ? now : nil)
                try audit.refuse(
                    AuditDraft(
                        principal: .portal,
                        customer: customerID,
                        op: .portalSignIn,
                        decision: .deny,
                        reason: attempts >= limits.attemptsPerCode ? .tooManyAttempts : .wrongCode,
                        details: ["sign_in": pending.id, "attempts": String(attempts)]
                    ),
                    Self.signInFailed
                )
            }
            return try self.startSession(session, for: customerID, signIn: pending, method: "code", tx, &audit, now: now)
        }
    }

    /// Completes a sign-in with the secret of the link that was sent (or that staff handed over).
    ///
    /// - Parameters:
    ///   - secret: the link's secret, the part after its `linkBase`; it works once, within the code lifetime.
    ///   - client: the caller's network address, for the per-client rate limit.
    /// - Returns: the new session; its secret goes into the customer's cookie.
    /// - Throws: `VaultError.Code.signInFailed` (unknown, used, expired, or the customer erased) or `.rateLimited`,
    ///   each audited before it is thrown.
    public func completeSignIn(link secret: String, client: String) async throws -> PortalSession {
        let limits = portalLimits
        let clientBucket = Data(keys.portalHash("client", client))
        let hash = Data(keys.portalHash("link", secret))
        let now = clock.now()
        let session = newSession(now: now, limits: limits)
        return try await record { tx, audit in
            try self.limitClient(tx, &audit, bucket: clientBucket, now: now, limits: limits, op: .portalSignIn)
            guard let pending = try tx.signInCode(linkHash: hash), pending.usedAt == nil, pending.expiresAt > now,
                try tx.customer(id: pending.customerID)?.erasedAt == nil
            else {
                try audit.refuse(AuditDraft(principal: .portal, op: .portalSignIn, decision: .deny, reason: .linkNotValid), Self.signInFailed)
            }
            return try self.startSession(session, for: pending.customerID, signIn: pending, method: "link", tx, &audit, now: now)
        }
    }

    /// The customer principal of an open session, or `unauthenticated` once it ended, expired or
    /// went idle. Its use is recorded (at most once a minute) for the idle expiry.
    public func portalPrincipal(session secret: String) async throws -> Principal {
        let limits = portalLimits
        let hash = Data(keys.portalHash("session", secret))
        let now = clock.now()
        guard let row = try await storage.read({ tx in try tx.portalSession(secretHash: hash) }),
            row.endedAt == nil, row.expiresAt > now, row.lastSeenAt.addingTimeInterval(limits.sessionIdle) > now
        else { throw Self.sessionEnded }
        if now.timeIntervalSince(row.lastSeenAt) >= Self.sessionTouchInterval {
            try await storage.write { tx in try tx.updatePortalSession(id: row.id, lastSeenAt: now, endedAt: nil) }
        }
        return Principal(actor: "portal:\(row.id)", role: RoleName.customer.rawValue, subject: row.customerID, customerID: row.customerID)
    }

    /// Ends a session (sign-out); audited. An unknown or already ended session is not an error.
    public func signOut(session secret: String) async throws {
        let hash = Data(keys.portalHash("session", secret))
        let now = clock.now()
        try await record { tx, audit in
            guard let row = try tx.portalSession(secretHash: hash), row.endedAt == nil else { return }
            try tx.updatePortalSession(id: row.id, lastSeenAt: row.lastSeenAt, endedAt: now)
            try audit.append(
                AuditDraft(
                    principal: Principal(
                        actor: "portal:\(row.id)",
                        role: RoleName.customer.rawValue,
                        subject: row.customerID,
                        customerID: row.customerID
                    ),
                    customer: row.customerID,
                    op: .portalSignOut,
                    decision: .allow,
                    reason: .allowedSelf
                )
            )
        }
    }

    /// A one-time sign-in link for a customer, for staff to hand over (the customer has no
    /// address on file, or asked at a desk); audited. Needs the `manage_tokens` operation.
    ///
    /// - Parameters:
    ///   - customerID: the customer's id, such as `c-0000001`.
    ///   - linkBase: the URL the link's secret is appended to, as for `requestSignIn(address:client:linkBase:)`.
    ///   - principal: a role the policy grants `manage_tokens`.
    /// - Returns: the link and its expiry; its destination and code are empty, since only the link works.
    /// - Throws: `VaultError.Code.notFound` or `.customerErased` for the customer; kind `.denied` without the grant.
    public func portalLink(customerID: String, linkBase: String, by principal: Principal) async throws -> SignInMessage {
        try requireOperation(.manageTokens, principal)
        let limits = portalLimits
        let now = clock.now()
        var linkBytes = random.bytes(32)
        defer { zeroize(&linkBytes) }
        let secret = Data(linkBytes).base64URLEncoded
        // The link's row needs a code hash too: a random one nobody knows, so only the link works.
        let row = SignInCodeRow(
            id: "sgn_" + random.bytes(8).hexString,
            customerID: customerID,
            codeHash: Data(random.bytes(32)),
            linkHash: Data(keys.portalHash("link", secret)),
            createdAt: now,
            expiresAt: now.addingTimeInterval(limits.codeLifetime)
        )
        try await record { tx, audit in
            guard let customer = try tx.customer(id: customerID) else { throw VaultError.notFound("customer \(customerID)") }
            guard customer.erasedAt == nil else { throw VaultError.erased(customerID) }
            try tx.insertSignInCode(row)
            try audit.append(
                AuditDraft(
                    principal: principal,
                    customer: customerID,
                    op: .portalLinkIssue,
                    decision: .allow,
                    reason: .allowedOperator,
                    details: ["sign_in": row.id]
                )
            )
        }
        return SignInMessage(destination: "", code: "", link: linkBase + secret, expiresAt: row.expiresAt)
    }

    /// The form token for a visitor's form cookie: forms carry it and the cookie must match, so a
    /// page on another site cannot post a form as the customer (signed double-submit).
    public func portalFormToken(for cookie: String) -> String {
        Data(keys.portalHash("form", cookie)).base64URLEncoded
    }

    /// The verifier keys of the witnesses checkpoints go to, for a customer's browser to check
    /// their cosignatures with.
    public var witnessVerifierKeys: [String] { witnessClient.witnesses.map(\.key.description) }

    /// The policy in force, for pages that explain fields and purposes.
    public var policyInForce: Policy { policy.policy }

    // MARK: - Helpers

    static let signInFailed = VaultError(
        .unauthenticated,
        code: .signInFailed,
        "that code or link does not work: it may be mistyped, used or expired; ask for a new one"
    )
    static let sessionEnded = VaultError(
        .unauthenticated,
        code: .sessionEnded,
        "you are signed out (the session ended or was idle too long): sign in again"
    )
    static let rateLimited = VaultError(.rateLimited, code: .rateLimited, "too many attempts: wait a few minutes and try again")

    /// The lookup field an address belongs to (e-mail if it has an @, else phone) and its normalized form.
    static func lookupAddress(_ address: String, policy: Policy) throws -> (FieldDefinition, String) {
        let type: FieldDefinition.ValueType = address.contains("@") ? .email : .phone
        guard address.utf8.count <= 254, let field = policy.fields.first(where: { $0.lookup && $0.type == type }),
            let normalized = FieldCodec.normalizedLookup(.string(address), type: type), !normalized.isEmpty
        else {
            throw VaultError.invalid(.badAddress, "enter the e-mail address or phone number the firm has for you")
        }
        return (field, normalized)
    }

    /// `signInCodeDigits` decimal digits from the CSPRNG, each unbiased (rejection sampling).
    static func signInCode(_ random: some RandomSource) -> [UInt8] {
        var digits: [UInt8] = []
        while digits.count < signInCodeDigits {
            for byte in random.bytes(16) where byte < 250 && digits.count < signInCodeDigits {
                digits.append(UInt8(ascii: "0") + byte % 10)
            }
        }
        return digits
    }

    func newSession(now: Date, limits: PortalLimits) -> (secret: String, row: PortalSessionRow) {
        var bytes = random.bytes(32)
        defer { zeroize(&bytes) }
        let secret = Data(bytes).base64URLEncoded
        return (
            secret,
            PortalSessionRow(
                id: "ses_" + random.bytes(8).hexString,
                secretHash: Data(keys.portalHash("session", secret)),
                customerID: "",
                createdAt: now,
                lastSeenAt: now,
                expiresAt: now.addingTimeInterval(limits.sessionAbsolute)
            )
        )
    }

    func limitClient(_ tx: any StorageWriter, _ audit: inout AuditAppender, bucket: Data, now: Date, limits: PortalLimits, op: AuditOperation) throws
    {
        if try tx.portalAttempts(bucket: bucket, since: now.addingTimeInterval(-limits.window)) >= limits.attemptsPerClient {
            try audit.refuse(AuditDraft(principal: .portal, op: op, decision: .deny, reason: .rateLimited), Self.rateLimited)
        }
        try tx.recordPortalAttempt(bucket: bucket, at: now)
    }

    func startSession(
        _ session: (secret: String, row: PortalSessionRow),
        for customerID: String,
        signIn: SignInCodeRow,
        method: String,
        _ tx: any StorageWriter,
        _ audit: inout AuditAppender,
        now: Date
    ) throws -> PortalSession {
        try tx.updateSignInCode(id: signIn.id, attempts: signIn.attempts, usedAt: now)
        var row = session.row
        row.customerID = customerID
        try tx.insertPortalSession(row)
        try audit.append(
            AuditDraft(
                principal: .portal,
                customer: customerID,
                op: .portalSignIn,
                decision: .allow,
                reason: .allowedSignIn,
                details: ["sign_in": signIn.id, "session": row.id, "method": method]
            )
        )
        return PortalSession(secret: session.secret, id: row.id, customerID: customerID, expiresAt: row.expiresAt)
    }

    /// An error's kind and code only: delivery errors may carry an address.
    static func describe(_ error: any Error) -> String {
        (error as? VaultError).map { "\($0.kind.rawValue) \($0.code)" } ?? String(describing: type(of: error))
    }
}

extension Principal {
    /// The portal before anyone signed in: who asked is not known yet.
    static let portal = Principal(actor: "portal", role: "portal", subject: "portal", customerID: nil)
}
