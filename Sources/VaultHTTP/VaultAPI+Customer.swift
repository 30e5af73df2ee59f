import Foundation
import HTTPTypes
import Hummingbird
import Vault

extension VaultAPI {
    /// `/v1/me…`: a customer token reaches its own customer only; the facade refuses other roles.
    var customerRoutes: [APIRoute] {
        let vault = vault
        return [
            APIRoute(.get, "/v1/me", access: .bearerForRead) { call in
                JSONResponse.bytes(try await vault.myProfile(by: try call.readPrincipal).json, contentType: "application/json")
            },
            APIRoute(.delete, "/v1/me", body: Inputs.Erasure.self) { call, body in
                Outputs.Erasure(try await vault.eraseMe(confirm: body.confirm, by: try call.principal))
            },
            APIRoute(.get, "/v1/me/log") { call in
                Outputs.AccessLog(try await vault.myLog(by: try call.principal))
            },
            APIRoute(.get, "/v1/me/next-best-product") { call in
                FacadeAnswer(try await vault.myNextBestProduct(by: try call.principal))
            },
            APIRoute(.get, "/v1/me/export") { call in
                // The export is a signed document: its bytes go out exactly as signed.
                JSONResponse.bytes(try await vault.exportMine(by: try call.principal), contentType: "application/json")
            },
            APIRoute(.get, "/v1/me/consents") { call in
                try await vault.myConsents(by: try call.principal)
            },
            APIRoute(.get, "/v1/me/consents/{purpose}") { call in
                let purpose = try call.nameParameter("purpose")
                let consents = try await vault.myConsents(by: try call.principal)
                guard let consent = consents.first(where: { $0.purpose == purpose }) else {
                    throw Problem(
                        status: .notFound,
                        code: .unknownPurpose,
                        detail: "the policy has no purpose \(purpose) (purposes: \(consents.map(\.purpose).joined(separator: ", ")))"
                    )
                }
                return FacadeAnswer(consent)
            },
            APIRoute(.put, "/v1/me/consents/{purpose}", body: Inputs.Consent.self) { call, body in
                try await vault.setMyConsent(purpose: try call.nameParameter("purpose"), to: body.state, by: try call.principal)
                return Response(status: .noContent)
            },
            APIRoute(.post, "/v1/me/contests", body: Inputs.Contest.self) { call, body in
                let contest = try await vault.openContest(field: body.field, proposedValue: body.value, reason: body.reason, by: try call.principal)
                return EditedResponse(status: .created, response: Outputs.Contest(contest))
            },
            APIRoute(.get, "/v1/me/contests") { call in
                try await vault.myContests(by: try call.principal).map(Outputs.Contest.init)
            },
            APIRoute(.patch, "/v1/me/contests/{id}", body: Inputs.ContestUpdate.self) { call, body in
                let contest = try await vault.updateMyContest(
                    id: try call.parameter("id"),
                    withdraw: body.withdraw,
                    reply: body.reply,
                    by: try call.principal
                )
                return Outputs.Contest(contest)
            },
        ]
    }
}
