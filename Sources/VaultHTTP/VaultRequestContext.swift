import Foundation
import HTTPTypes
import Hummingbird
import Vault

/// Hummingbird's per-request storage plus the principal the bearer token stands for.
///
/// The principal is set only by `BearerAuthMiddleware`, from the token: nothing in a request's
/// path, query or body can name a role or a subject.
struct VaultRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// Who is acting; nil on the open routes (`/healthz`, `/openapi.yaml`).
    var principal: Principal?
    /// Who is acting on an audited-read route: from the token cache, confirmed by the read itself.
    /// Only those routes' handlers look here, so no other call can act on an unconfirmed token.
    var readPrincipal: ProvisionalPrincipal?
    /// The peer's address, for the portal's rate limits; nil where the channel has none (tests).
    let remoteAddress: String?
    /// The portal visitor's form cookie (set by `PortalMiddleware`, new if the browser sent none).
    var portalFormCookie: String?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The API's one configured encoder, which encodes every value a handler returns.
    var responseEncoder: APIResponseEncoder { APIResponseEncoder() }

    /// Bodies are read through `JSONBody`, which enforces the same limit.
    var maxUploadSize: Int { JSONBody.limit }

    /// The principal of an authenticated route; the router only sends such routes through the
    /// middleware that sets it, so a nil here is a wiring bug answered as 401, never as access.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw Problem.missingToken }
        return principal
    }
}
