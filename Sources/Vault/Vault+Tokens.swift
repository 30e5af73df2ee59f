public import Foundation
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultStore

/// A token as `cvault token issue` reports it; the secret is shown once and never stored.
public struct IssuedToken: Sendable {
    /// The bearer secret (`cvt_…`); only its keyed hash is stored.
    public let secret: String
    /// Public id, for revocation and logs.
    public let id: String
    /// Role it acts as.
    public let role: String
    /// Staff name or customer id.
    public let subject: String
    /// Expiry, if any.
    public let expiresAt: Date?
}

/// A token's public facts, for listings.
public struct TokenInfo: Sendable, Codable {
    /// Public id.
    public let id: String
    /// Role.
    public let role: String
    /// Staff name or customer id.
    public let subject: String
    /// Issued at.
    public let createdAt: Date
    /// Expires at.
    public let expiresAt: Date?
    /// Revoked at.
    public let revokedAt: Date?
}

extension Vault {
    static let tokenPrefix = "cvt_"

    /// Issues a bearer token for `role`, bound to a customer (customer role) or a staff name.
    ///
    /// - Parameters:
    ///   - role: a role the policy in force defines, such as `support`.
    ///   - customerID: for a `customer` token, the customer's id (live, not erased); nil for any other role.
    ///   - name: for a staff token, the staff name: 1–64 letters, digits or `- _ . @`; nil for a customer token.
    ///   - expiresIn: an ISO 8601 duration such as P30D; nil: never expires.
    ///   - principal: a role the policy grants `manage_tokens`.
    /// - Returns: the token; its secret is shown only here, as the vault keeps only a keyed hash.
    /// - Throws: `VaultError.Code.unknownRole`, `.customerRequired`, `.nameRequired`, `.badName` or `.badDuration` for
    ///   bad input; `.notFound` or `.customerErased` for the customer; kind `.denied` without `manage_tokens`.
    public func issueToken(role: String, customerID: String?, name: String?, expiresIn: String?, by principal: Principal) async throws -> IssuedToken
    {
        try requireOperation(.manageTokens, principal)
        guard let roleName = RoleName(rawValue: role), policy.policy.role(named: role) != nil else {
            throw VaultError.invalid(
                .unknownRole,
                "unknown role \(role): the policy defines \(policy.policy.roles.map(\.name.rawValue).joined(separator: ", "))"
            )
        }
        let subject: String
        switch (roleName, customerID, name) {
        case (.customer, let id?, nil):
            subject = id
        case (.customer, _, _):
            throw VaultError.invalid(.customerRequired, "a customer token needs the customer's id (and no staff name)")
        case (_, nil, let staff?):
            guard (1...64).contains(staff.count), staff.allSatisfy({ $0.isLetter || $0.isNumber || "-_.@".contains($0) }) else {
                throw VaultError.invalid(.badName, "a staff name must be 1–64 letters, digits or - _ . @")
            }
            subject = staff
        default:
            throw VaultError.invalid(.nameRequired, "a \(role) token needs a staff name (and no customer id)")
        }
        let now = clock.now()
        var expiresAt: Date?
        if let expiresIn {
            guard let duration = ISO8601Duration(expiresIn), duration.adding(to: now) > now else {
                throw VaultError.invalid(.badDuration, "the expiry \(expiresIn) is not \(ISO8601Duration.expectedForm)")
            }
            expiresAt = duration.adding(to: now)
        }
        var secretBytes = random.bytes(32)
        defer { zeroize(&secretBytes) }
        let secret = Self.tokenPrefix + Data(secretBytes).base64URLEncoded
        let id = "tok_" + random.bytes(8).hexString
        let row = TokenRow(
            id: id,
            hash: Data(keys.tokenHash(secret)),
            role: role,
            subject: subject,
            customerID: roleName == .customer ? subject : nil,
            createdAt: now,
            expiresAt: expiresAt
        )
        // `mutate`, not `record`, although analytics do not see tokens: an interrupted storage copy
        // resumes only while the data version is unchanged, and it copies the tokens table once.
        try await mutate { tx, audit in
            if let customerID = row.customerID {
                guard let customer = try tx.customer(id: customerID) else { throw VaultError.notFound("customer \(customerID)") }
                guard customer.erasedAt == nil else { throw VaultError.erased(customerID) }
            }
            try tx.insertToken(row)
            try audit.append(
                AuditDraft(
                    principal: principal,
                    customer: row.customerID,
                    op: .tokenIssue,
                    decision: .allow,
                    reason: .byOperator,
                    details: ["token": id, "role": role]
                )
            )
        }
        return IssuedToken(secret: secret, id: id, role: role, subject: subject, expiresAt: expiresAt)
    }

    /// Revokes a token by its public id or its secret.
    public func revokeToken(_ idOrSecret: String, by principal: Principal) async throws {
        try requireOperation(.manageTokens, principal)
        let hash = idOrSecret.hasPrefix(Self.tokenPrefix) ? Data(keys.tokenHash(idOrSecret)) : nil
        let now = clock.now()
        // `mutate`, not `record`, although analytics do not see tokens: an interrupted storage copy
        // resumes only while the data version is unchanged, and it copies the tokens table once.
        try await mutate { tx, audit in
            guard let row = try hash.map({ try tx.token(hash: $0) }) ?? tx.token(id: idOrSecret) else {
                throw VaultError.notFound("token")
            }
            guard try tx.revokeToken(id: row.id, at: now) else {
                throw VaultError.conflict(.alreadyRevoked, "token \(row.id) was already revoked")
            }
            try audit.append(
                AuditDraft(
                    principal: principal,
                    customer: row.customerID,
                    op: .tokenRevoke,
                    decision: .allow,
                    reason: .byOperator,
                    details: ["token": row.id]
                )
            )
            self.tokenCache.forget(id: row.id)
        }
    }

    /// Every token's public facts.
    public func listTokens(by principal: Principal) async throws -> [TokenInfo] {
        try requireOperation(.manageTokens, principal)
        return try await storage.read { tx in
            try tx.tokens().map {
                TokenInfo(id: $0.id, role: $0.role, subject: $0.subject, createdAt: $0.createdAt, expiresAt: $0.expiresAt, revokedAt: $0.revokedAt)
            }
        }
    }

    /// The principal a bearer token stands for; malformed, unknown, expired or revoked tokens fail.
    public func authenticate(token: String) async throws -> Principal {
        Self.principal(try await tokenRow(for: token))
    }

    /// The principal a bearer token stands for, from this process's token cache when it holds the
    /// token. Only the audited reads accept the result: their transaction confirms the token
    /// before deciding (`runBatch`), so a revocation by any instance takes effect at the next read.
    package func authenticateForRead(token: String) async throws -> ProvisionalPrincipal {
        if let row = tokenCache.row(hash: try tokenHash(token)) {
            if let problem = Self.tokenProblem(row, now: clock.now()) {
                tokenCache.forget(id: row.id)
                throw problem
            }
            return ProvisionalPrincipal(principal: Self.principal(row), tokenID: row.id)
        }
        let row = try await tokenRow(for: token)
        tokenCache.remember(row)
        return ProvisionalPrincipal(principal: Self.principal(row), tokenID: row.id)
    }

    /// Confirms a cached token against the database, for a path that does not run in a batch.
    func confirm(_ provisional: ProvisionalPrincipal) async throws {
        let id = provisional.tokenID
        let problem = try await storage.read { tx in try Self.tokenProblem(tx.token(id: id), id: id, now: self.clock.now()) }
        if let problem {
            tokenCache.forget(id: id)
            throw problem
        }
    }

    /// Runs a read for a cached principal; should it fail for any reason but its token, the token
    /// is confirmed first, so that a revoked one learns nothing from the failure (a wrong role, an
    /// invalid field list) and gets the token's error instead.
    func confirmingFirst<T>(_ provisional: ProvisionalPrincipal, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as VaultError where error.kind != .unauthenticated {
            try await confirm(provisional)
            throw error
        }
    }

    /// The stored token `token` names, if it is well formed, known, live and unexpired.
    private func tokenRow(for token: String) async throws -> TokenRow {
        let hash = try tokenHash(token)
        guard let row = try await storage.authenticationToken(hash: hash),
            ConstantTime.equals(Array(row.hash), Array(hash))
        else {
            throw Self.unknownToken
        }
        if let problem = Self.tokenProblem(row, now: clock.now()) { throw problem }
        return row
    }

    /// The keyed hash a token is stored under; a malformed token fails here.
    private func tokenHash(_ token: String) throws -> Data {
        let body = token.dropFirst(Self.tokenPrefix.count)
        guard token.hasPrefix(Self.tokenPrefix), body.utf8.count == 43,
            body.utf8.allSatisfy({
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || $0 == 0x2d || $0 == 0x5f
            })
        else {
            throw VaultError(
                .unauthenticated,
                code: .malformedToken,
                "malformed token: tokens look like cvt_ followed by 43 characters (from `cvault token issue`)"
            )
        }
        return Data(keys.tokenHash(token))
    }

    static let unknownToken = VaultError(.unauthenticated, code: .unknownToken, "unknown token: it was not issued by this vault")

    /// Why the token `row` no longer authenticates (gone, revoked or expired), if it does not.
    static func tokenProblem(_ row: TokenRow?, id: String, now: Date) -> VaultError? {
        guard let row else { return unknownToken }
        return tokenProblem(row, now: now)
    }

    /// Why the token `row` no longer authenticates (revoked or expired), if it does not.
    static func tokenProblem(_ row: TokenRow, now: Date) -> VaultError? {
        if let revokedAt = row.revokedAt {
            return VaultError(
                .unauthenticated,
                code: .revokedToken,
                "token \(row.id) was revoked at \(UTC.format(revokedAt)); ask an operator for a new one"
            )
        }
        if let expiresAt = row.expiresAt, expiresAt <= now {
            return VaultError(
                .unauthenticated,
                code: .expiredToken,
                "token \(row.id) expired at \(UTC.format(expiresAt)); ask an operator for a new one"
            )
        }
        return nil
    }

    private static func principal(_ row: TokenRow) -> Principal {
        Principal(actor: "token:\(row.id)", role: row.role, subject: row.subject, customerID: row.customerID)
    }

    /// Throws unless the principal's role may perform `operation` under the policy.
    func requireOperation(_ operation: RoleOperation, _ principal: Principal) throws {
        let decision = policy.policy.authorize(role: principal.role, operation: operation)
        guard decision.allowed else { throw VaultError.denied(.init(decision.code), decision.reason) }
    }
}

extension Data {
    /// Base64url without padding (RFC 4648 §5).
    package var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// UTC timestamps as people read them in messages: `2026-11-01T10:00:00Z`.
enum UTC {
    static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
