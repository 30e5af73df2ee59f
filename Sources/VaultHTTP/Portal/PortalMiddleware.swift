import Foundation
import HTTPTypes
import Hummingbird
import Vault
import VaultCrypto

/// Every portal response: no inline script or style, no framing, no referrer, no caching of
/// personal pages, and a form cookie for the signed double-submit form token.
struct PortalMiddleware: RouterMiddleware {
    typealias Context = VaultRequestContext

    /// `__Host-`: set only by this host, over a secure channel, for Path=/ (see `PortalSite.sessionCookie`).
    static let formCookie = "__Host-cvault_form"
    static let securityHeaders: [(HTTPField.Name, String)] = [
        (
            .contentSecurityPolicy,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; "
                + "frame-ancestors 'none'; base-uri 'none'"
        ),
        (HTTPField.Name("X-Frame-Options")!, "DENY"),
        (HTTPField.Name("Referrer-Policy")!, "no-referrer"),
        (HTTPField.Name("X-Content-Type-Options")!, "nosniff"),
        (HTTPField.Name("Cross-Origin-Opener-Policy")!, "same-origin"),
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let sent = request.cookies[Self.formCookie]?.value
        let cookie = sent.flatMap { $0.utf8.count == 43 ? $0 : nil } ?? Data(SystemRandom().bytes(32)).base64URLEncoded
        context.portalFormCookie = cookie
        var response: Response
        do {
            response = try await next(request, context)
        } catch let problem as Problem {
            // Refused forms get the same protective headers as pages.
            response = problem.response()
        }
        for (name, value) in Self.securityHeaders { response.headers[name] = value }
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if sent != cookie {
            response.setCookie(Cookie(name: Self.formCookie, value: cookie, path: "/", secure: true, httpOnly: true, sameSite: .strict))
        }
        return response
    }
}
