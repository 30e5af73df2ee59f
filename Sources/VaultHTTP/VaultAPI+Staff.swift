import Foundation
import HTTPTypes
import Hummingbird
import Vault

extension VaultAPI {
    /// `/v1/customers…` and `/v1/contests…`: purpose-bound reads and writes, contest review.
    var staffRoutes: [APIRoute] {
        let vault = vault
        return [
            APIRoute(.get, "/v1/customers/{id}", access: .bearerForRead, query: ["purpose", "fields"]) { call in
                let view = try await vault.readCustomer(
                    try call.parameter("id"),
                    purpose: try call.query.requiredName("purpose"),
                    fields: try call.query.names("fields"),
                    by: try call.readPrincipal
                )
                guard view.anyAllowed else { throw Problem.denied(view) }
                return JSONResponse.bytes(view.json, contentType: "application/json")
            },
            APIRoute(.get, "/v1/customers/{id}/next-best-product", query: ["purpose"]) { call in
                FacadeAnswer(
                    try await vault.nextBestProduct(
                        for: try call.parameter("id"),
                        purpose: try call.query.requiredName("purpose"),
                        by: try call.principal
                    )
                )
            },
            APIRoute(.get, "/v1/customers", query: ["email", "purpose", "fields"]) { call in
                let views = try await vault.findCustomers(
                    by: "email",
                    value: try call.query.required("email"),
                    purpose: try call.query.requiredName("purpose"),
                    fields: try call.query.names("fields"),
                    by: try call.principal
                )
                if let first = views.first, !views.contains(where: \.anyAllowed) { throw Problem.denied(first) }
                return JSONResponse.bytes(CustomerView.json(views), contentType: "application/json")
            },
            APIRoute(.patch, "/v1/customers/{id}", query: ["purpose"], body: Inputs.CustomerPatch.self) { call, body in
                let id = try call.parameter("id")
                let written = try await vault.updateCustomer(
                    id,
                    purpose: try call.query.requiredName("purpose"),
                    set: body.set,
                    by: try call.principal
                )
                return Outputs.Updated(customer: id, updated: written)
            },
            APIRoute(.get, "/v1/contests", query: ["status"]) { call in
                try await vault.listContests(status: try call.query.oneOf("status", Vault.contestFilters), by: try call.principal).map(
                    Outputs.Contest.init
                )
            },
            APIRoute(.get, "/v1/contests/{id}") { call in
                Outputs.Contest(try await vault.reviewContest(id: try call.parameter("id"), by: try call.principal))
            },
            APIRoute(.post, "/v1/contests/{id}/resolution", body: Inputs.Resolution.self) { call, body in
                let contest = try await vault.resolveContest(
                    id: try call.parameter("id"),
                    resolution: body.resolution,
                    reason: body.reason,
                    by: try call.principal
                )
                return Outputs.Contest(contest)
            },
        ]
    }
}
