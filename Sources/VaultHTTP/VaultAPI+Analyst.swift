import Foundation
import HTTPTypes
import Hummingbird
import Vault

extension VaultAPI {
    /// `/v1/aggregates` and `/v1/budget`: noisy aggregates under a privacy budget, never a row.
    var analystRoutes: [APIRoute] {
        let vault = vault
        return [
            APIRoute(.post, "/v1/aggregates", body: Inputs.Aggregate.self) { call, body in
                try JSONResponse.make(Outputs.Aggregate(try await vault.aggregate(body.request, by: try call.principal)))
            },
            APIRoute(.get, "/v1/budget") { call in
                try JSONResponse.make(Outputs.BudgetPeriod(try await vault.budgetStatus(by: try call.principal)))
            },
        ]
    }
}
