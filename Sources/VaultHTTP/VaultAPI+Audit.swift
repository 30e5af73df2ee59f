import Foundation
import HTTPTypes
import Hummingbird
import Vault

extension VaultAPI {
    /// `/v1/audit/…`: checkpoints, entries, RFC 9162 proofs and the compliance report.
    var auditRoutes: [APIRoute] {
        let vault = vault
        return [
            APIRoute(.get, "/v1/audit/checkpoint") { call in
                let note = try await vault.checkpoint(by: try call.principal)
                let key = vault.verifierKey
                return Outputs.Checkpoint(checkpoint: note, origin: vault.origin, verifierKey: key.note, publicKey: key.publicKeyBase64)
            },
            APIRoute(.get, "/v1/audit/entries", query: ["customer", "from", "limit"]) { call in
                let limit = try call.query.unsigned("limit", in: 1...10_000).map { Int($0) } ?? 100
                let entries = try await vault.auditEntries(
                    customer: call.query.string("customer"),
                    from: try call.query.unsigned("from") ?? 0,
                    limit: limit,
                    by: try call.principal
                )
                return entries
            },
            APIRoute(.get, "/v1/audit/proofs/inclusion", query: ["entry", "size"]) { call in
                guard let entry = try call.query.unsigned("entry") else { throw Problem.invalidQuery("query parameter entry is required") }
                let proof = try await vault.inclusionProof(entry: entry, size: try call.query.unsigned("size"), by: try call.principal)
                return Outputs.InclusionProof(proof)
            },
            APIRoute(.get, "/v1/audit/proofs/consistency", query: ["from", "to"]) { call in
                guard let from = try call.query.unsigned("from") else { throw Problem.invalidQuery("query parameter from is required") }
                let proof = try await vault.consistencyProof(from: from, to: try call.query.unsigned("to"), by: try call.principal)
                return Outputs.ConsistencyProof(proof)
            },
            APIRoute(.get, "/v1/audit/report", query: ["from", "to"]) { call in
                let report = try await vault.auditReport(from: try call.query.day("from"), to: try call.query.day("to"), by: try call.principal)
                return Outputs.Report(report)
            },
        ]
    }
}
