import Foundation
import HTTPTypes
import Hummingbird
import Vault

/// Turns `Authorization: Bearer <token>` into the request's principal through the vault; without
/// a usable token the request ends here with 401 and a `WWW-Authenticate: Bearer` challenge.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = VaultRequestContext

    let vault: Vault
    /// Whether the routes behind it are audited reads, which confirm a cached token themselves.
    var forReads = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = Self.bearerToken(request.headers[.authorization]) else { throw Problem.missingToken }
        var context = context
        if forReads {
            context.readPrincipal = try await vault.authenticateForRead(token: token)
        } else {
            context.principal = try await vault.authenticate(token: token)
        }
        return try await next(request, context)
    }

    /// The token of an RFC 6750 §2.1 credential; the scheme name is case-insensitive.
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        // Trailing blanks are not part of the token (Foundation's character sets cost more than
        // the rest of the header's handling).
        let token = parts[1].drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
        return token.isEmpty ? nil : String(token)
    }
}
