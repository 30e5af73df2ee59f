import Foundation
import HTTPTypes
import Hummingbird
import Vault

/// Turns `Authorization: Bearer <token>` into the request's principal through the vault; without
/// a usable token the request ends here with 401 and a `WWW-Authenticate: Bearer` challenge.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = VaultRequestContext

    let vault: Vault

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = Self.bearerToken(request.headers[.authorization]) else { throw Problem.missingToken }
        var context = context
        context.principal = try await vault.authenticate(token: token)
        return try await next(request, context)
    }

    /// The token of an RFC 6750 §2.1 credential; the scheme name is case-insensitive.
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
