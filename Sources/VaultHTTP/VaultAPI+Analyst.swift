import Foundation
import HTTPTypes
import Hummingbird
import Vault

extension VaultAPI {
    /// `/v1/aggregates` and `/v1/budget`: noisy aggregates under a privacy budget, never a row.
    var analystRoutes: [APIRoute] {
        let vault = vault
        return [
            APIRoute(.post, "/v1/aggregates", query: ["format"], body: Inputs.Aggregate.self) { call, body in
                let format = try call.query.oneOf("format", ["json", "svg"]) ?? "json"
                let answer = try await vault.aggregate(body.request, by: try call.principal)
                guard format == "svg" else { return Outputs.Aggregate(answer) }
                return JSONResponse.bytes(Array(AggregateChart.svg(for: answer).utf8), contentType: "image/svg+xml")
            },
            APIRoute(.get, "/v1/budget") { call in
                Outputs.BudgetPeriod(try await vault.budgetStatus(by: try call.principal))
            },
        ]
    }
}
