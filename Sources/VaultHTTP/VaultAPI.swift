import Foundation
import HTTPTypes
import Hummingbird
import Vault
import VaultPolicy

/// The API's route table over one open vault. Every handler only translates: HTTP in, a facade
/// call, a DTO out. Policy, storage and audit stay behind `Vault`.
struct VaultAPI: Sendable {
    let vault: Vault

    /// Every route, in the order `openapi.yaml` lists them.
    var routes: [APIRoute] {
        customerRoutes + staffRoutes + auditRoutes + analystRoutes + openRoutes
    }

    /// The router: request log outermost, then problem details (which answers a known path's
    /// other methods with 405 and `Allow`), then bearer authentication for the routes that need it.
    func router(portal: PortalSite? = nil) -> Router<VaultRequestContext> {
        let router = Router(context: VaultRequestContext.self)
        let table = routes
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: ProblemMiddleware(paths: PathMethods(table)))
        let authenticated = router.group().add(middleware: BearerAuthMiddleware(vault: vault))
        let reads = router.group().add(middleware: BearerAuthMiddleware(vault: vault, forReads: true))
        for route in table {
            switch route.access {
            case .open: router.on(RouterPath(route.path), method: route.method, responder: route.responder)
            case .bearer: authenticated.on(RouterPath(route.path), method: route.method, responder: route.responder)
            case .bearerForRead: reads.on(RouterPath(route.path), method: route.method, responder: route.responder)
            }
        }
        portal?.add(to: router)
        return router
    }

    private var openRoutes: [APIRoute] {
        [
            APIRoute(.get, "/healthz", access: .open) { _ in Outputs.Health(status: "ok") },
            APIRoute(.get, "/openapi.yaml", access: .open) { _ in
                JSONResponse.bytes(PackageResources.openapi_yaml, contentType: "application/yaml")
            },
        ]
    }
}

extension Problem {
    /// A staff read the policy allowed no field of: 403 with every field's reason.
    static func denied(_ view: CustomerView) -> Problem {
        let denials = view.decisions.filter { !$0.allowed }.map(Outputs.Denial.init)
        return Problem(
            status: .forbidden,
            code: VaultError.Code(rawValue: denials.first?.code ?? "denied"),
            detail: "the policy allows none of the requested fields" + (view.purpose.map { " for purpose \($0)" } ?? "")
                + "; `denied` gives each field's reason",
            denied: denials
        )
    }
}
