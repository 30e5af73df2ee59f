import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Vault
import VaultPolicy
import VaultStore

@testable import VaultHTTP

/// Every route answers its role with the facade's data, in the documented shape.
@Suite struct RouteTests {
    @Test func customerRoutesServeTheirOwnCustomer() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        let me = fixture.customers[0]
        let token = fixture.tokens["customer"]!
        try await fixture.app.test(.router) { client in
            let profile = try await client.call(.get, "/v1/me", token: token)
            #expect(profile.status == .ok)
            #expect(profile.headers[.contentType] == "application/json")
            #expect(profile.object["customer"] as? String == me.id)
            let values = try #require(profile.object["values"] as? [String: Any])
            #expect(values["email"] as? String == me.fields["email"].flatMap { if case .string(let s) = $0 { s } else { nil } })
            #expect((profile.object["denied"] as? [Any])?.isEmpty == true)

            let consent = try await client.call(.get, "/v1/me/consents/marketing", token: token)
            #expect(consent.status == .ok)
            #expect(consent.object["purpose"] as? String == "marketing")
            #expect(consent.object["basis"] as? String == "consent")

            let put = try await client.call(.put, "/v1/me/consents/marketing", token: token, json: #"{"state":"granted"}"#)
            #expect(put.status == .noContent)
            let after = try await client.call(.get, "/v1/me/consents/marketing", token: token)
            #expect(after.object["state"] as? String == "granted")
            #expect(after.object["holds"] as? Bool == true)

            let opened = try await client.call(
                .post,
                "/v1/me/contests",
                token: token,
                json: #"{"field":"postcode","value":"ZZ9 9ZZ","reason":"I moved"}"#
            )
            #expect(opened.status == .created)
            #expect(opened.object["field"] as? String == "postcode")
            #expect(opened.object["status"] as? String == "open")
            #expect(opened.object["proposed_value"] as? String == "ZZ9 9ZZ")
            #expect(opened.object["opened_at"] is String)

            let contests = try await client.call(.get, "/v1/me/contests", token: token)
            #expect(contests.status == .ok)
            #expect(contests.array.map { $0["field"] as? String } == ["postcode"])
            let everyPurpose = try await client.call(.get, "/v1/me/consents", token: token)
            #expect(everyPurpose.status == .ok && everyPurpose.array.count >= 6)
            let contestID = try #require(opened.object["id"] as? String)
            let withdrawn = try await client.call(.patch, "/v1/me/contests/\(contestID)", token: token, json: #"{"withdraw":true}"#)
            #expect(withdrawn.object["status"] as? String == "withdrawn")
            let both = try await client.call(.patch, "/v1/me/contests/\(contestID)", token: token, json: #"{"withdraw":true,"reply":"x"}"#)
            #expect(both.status == .badRequest)

            let log = try await client.call(.get, "/v1/me/log", token: token)
            #expect(log.status == .ok)
            #expect(log.object["all_verified"] as? Bool == true)
            let entries = try #require(log.object["entries"] as? [[String: Any]])
            #expect(entries.contains { ($0["entry"] as? [String: Any])?["op"] as? String == "contest.open" })

            let export = try await client.call(.get, "/v1/me/export", token: token)
            #expect(export.status == .ok)
            let verification = Vault.verifyExport(Data(export.text.utf8), pinnedPublicKey: fixture.vault.verifierKey.publicKeyBase64)
            #expect(verification.ok, "\(verification.problems)")
            #expect(verification.customer == me.id)

            let erased = try await client.call(.delete, "/v1/me", token: token, json: #"{"confirm":true}"#)
            #expect(erased.status == .ok)
            #expect((erased.object["statement"] as? String)?.contains(me.id) == true)
            #expect(erased.object["public_key"] is String)
            // Erasure revokes the customer's tokens.
            #expect(try await client.call(.get, "/v1/me", token: token).status == .unauthorized)
        }
    }

    @Test func staffRoutesReadUpdateFindAndResolve() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        let target = fixture.customers[2]
        let support = fixture.tokens["support"]!
        try await fixture.app.test(.router) { client in
            let read = try await client.call(.get, "/v1/customers/\(target.id)?purpose=service&fields=name,email,birth_year", token: support)
            #expect(read.status == .ok)
            #expect(read.object["purpose"] as? String == "service")
            let values = try #require(read.object["values"] as? [String: Any])
            #expect(Set(values.keys) == ["name", "email"])
            let denied = try #require(read.object["denied"] as? [[String: Any]])
            #expect(denied.map { $0["field"] as? String } == ["birth_year"])
            #expect((denied.first?["reason"] as? String)?.isEmpty == false)

            let email = try #require(values["email"] as? String)
            let encoded = email.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let found = try await client.call(.get, "/v1/customers?email=\(encoded)&purpose=service&fields=name", token: support)
            #expect(found.status == .ok)
            #expect(found.array.map { $0["customer"] as? String } == [target.id])

            let patched = try await client.call(
                .patch,
                "/v1/customers/\(target.id)?purpose=service",
                token: support,
                json: #"{"set":{"postcode":"AB1 2CD","preferred_channel":"sms"}}"#
            )
            #expect(patched.status == .ok)
            #expect(patched.object["updated"] as? [String] == ["postcode", "preferred_channel"])
            let reread = try await client.call(.get, "/v1/customers/\(target.id)?purpose=service&fields=postcode", token: support)
            #expect((reread.object["values"] as? [String: Any])?["postcode"] as? String == "AB1 2CD")

            let customer = fixture.tokens["customer"]!
            let contest = try await client.call(
                .post,
                "/v1/me/contests",
                token: customer,
                json: #"{"field":"name","value":"Ada Lovelace","reason":"typo"}"#
            )
            let contestID = try #require(contest.object["id"] as? String)
            let listed = try await client.call(.get, "/v1/contests?status=open", token: support)
            #expect(listed.status == .ok)
            #expect(listed.array.map { $0["id"] as? String } == [contestID])
            #expect(listed.array.first?["proposed_value"] == nil, "staff lists do not show values")
            let reviewed = try await client.call(.get, "/v1/contests/\(contestID)", token: support)
            #expect(reviewed.status == .ok)
            #expect(reviewed.object["proposed_value"] as? String == "Ada Lovelace", "opening one contest shows the proposal (audited)")

            let resolved = try await client.call(
                .post,
                "/v1/contests/\(contestID)/resolution",
                token: support,
                json: #"{"resolution":"accept","reason":"checked the passport"}"#
            )
            #expect(resolved.status == .ok)
            #expect(resolved.object["status"] as? String == "accepted")
            let name = try await client.call(.get, "/v1/me", token: customer)
            #expect((name.object["values"] as? [String: Any])?["name"] as? String == "Ada Lovelace")
        }
    }

    @Test func auditRoutesServeCheckpointsEntriesProofsAndReport() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        let auditor = fixture.tokens["auditor"]!
        try await fixture.app.test(.router) { client in
            let checkpoint = try await client.call(.get, "/v1/audit/checkpoint", token: auditor)
            #expect(checkpoint.status == .ok)
            let note = try #require(checkpoint.object["checkpoint"] as? String)
            #expect(note.hasPrefix(fixture.vault.origin + "\n"))
            #expect(checkpoint.object["verifier_key"] as? String == fixture.vault.verifierKey.note)
            let size = try #require(UInt64(note.split(separator: "\n")[1]))

            let entries = try await client.call(.get, "/v1/audit/entries?from=0&limit=3", token: auditor)
            #expect(entries.status == .ok)
            #expect(entries.array.map { $0["seq"] as? Int } == [0, 1, 2])
            #expect((entries.array.first?["entry"] as? [String: Any])?["op"] as? String == "vault.create")

            let inclusion = try await client.call(.get, "/v1/audit/proofs/inclusion?entry=1&size=\(size)", token: auditor)
            #expect(inclusion.status == .ok)
            #expect(inclusion.object["verified"] as? Bool == true)
            #expect(inclusion.object["leaf_hash"] is String)

            let consistency = try await client.call(.get, "/v1/audit/proofs/consistency?from=1&to=\(size)", token: auditor)
            #expect(consistency.status == .ok)
            #expect(consistency.object["verified"] as? Bool == true)
            #expect(consistency.object["from_root"] is String)

            let report = try await client.call(.get, "/v1/audit/report?from=2020-01-01", token: auditor)
            #expect(report.status == .ok)
            #expect((report.object["reads_without_consent"] as? [Any])?.isEmpty == true)
            #expect((report.object["entries"] as? Int ?? 0) > 0)
        }
    }

    @Test func analystRoutesAnswerAggregatesAndBudget() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        let analyst = fixture.tokens["analyst"]!
        try await fixture.app.test(.router) { client in
            let answer = try await client.call(
                .post,
                "/v1/aggregates",
                token: analyst,
                json: #"{"measures":["count"],"group_by":["region"],"epsilon":0.5}"#
            )
            #expect(answer.status == .ok)
            #expect(answer.object["epsilon_charged"] as? Double == 0.5)
            #expect(answer.object["cached"] as? Bool == false)
            #expect((answer.object["budget"] as? [String: Any])?["analyst_spent"] as? Double == 0.5)

            let budget = try await client.call(.get, "/v1/budget", token: analyst)
            #expect(budget.status == .ok)
            #expect(budget.object["analyst"] as? String != nil)
            #expect((budget.object["budget"] as? [String: Any])?["analyst_remaining"] as? Double == 4.5)
        }
    }

    @Test func nextBestProductIsAConsentGatedRead() async throws {
        let fixture = try await TestVault.make(customers: 60)
        defer { fixture.remove() }
        let marketing = fixture.tokens["marketing"]!
        let consenting = try #require(fixture.customers.first { $0.consents["personalization"] == .granted })
        let withdrawn = try #require(fixture.customers.first { $0.consents["personalization"] != .granted })
        try await fixture.app.test(.router) { client in
            let early = try await client.call(.get, "/v1/customers/\(consenting.id)/next-best-product?purpose=personalization", token: marketing)
            #expect(early.status == .conflict && early.object["code"] as? String == "no_model")
            _ = try await fixture.vault.trainModel(epsilon: nil, by: .localOperator)
            let answer = try await client.call(.get, "/v1/customers/\(consenting.id)/next-best-product?purpose=personalization", token: marketing)
            #expect(answer.status == .ok && answer.object["model_version"] as? Int == 1 && answer.object["purpose_holds"] as? Bool == true)
            let items = try #require(answer.object["recommendations"] as? [[String: Any]])
            #expect(items.count == 3 && items.allSatisfy { ($0["reasons"] as? [String])?.isEmpty == false && $0["category"] is String })
            let refused = try await client.call(.get, "/v1/customers/\(withdrawn.id)/next-best-product?purpose=personalization", token: marketing)
            #expect(refused.status == .forbidden && (refused.object["code"] as? String)?.hasPrefix("consent_") == true)
            let wrongPurpose = try await client.call(.get, "/v1/customers/\(consenting.id)/next-best-product?purpose=marketing", token: marketing)
            #expect(wrongPurpose.status == .unprocessableContent && wrongPurpose.object["code"] as? String == "purpose_not_for_recommendations")
            let missingPurpose = try await client.call(.get, "/v1/customers/\(consenting.id)/next-best-product", token: marketing)
            #expect(missingPurpose.status == .badRequest)
            let mine = try await client.call(.get, "/v1/me/next-best-product", token: fixture.tokens["customer"]!)
            #expect(mine.status == .ok && mine.object["customer_id"] as? String == fixture.customers[0].id)
            #expect((mine.object["purpose_holds"] as? Bool) == (fixture.customers[0].consents["personalization"] == .granted))
            let staffOnMe = try await client.call(.get, "/v1/me/next-best-product", token: marketing)
            #expect(staffOnMe.status == .forbidden)
        }
    }

    @Test func portfolioAnswersWithTheEfficientSet() async throws {
        // Enough customers that every segment clears the suppression threshold at ε = 1.
        let fixture = try await TestVault.make(customers: 1_200)
        defer { fixture.remove() }
        let analyst = fixture.tokens["analyst"]!
        try await fixture.app.test(.router) { client in
            let answer = try await client.call(
                .post,
                "/v1/aggregates",
                token: analyst,
                json: #"{"measures":[],"group_by":["segment"],"epsilon":1,"portfolio":true}"#
            )
            #expect(answer.status == .ok)
            let set = try #require(answer.object["efficient_set"] as? [String: Any])
            let groups = try #require(set["groups"] as? [[String: Any]])
            let frontier = try #require(set["frontier"] as? [[String: Any]])
            #expect(groups.count == (answer.object["groups"] as? [Any])?.count)
            #expect(!frontier.isEmpty && frontier.allSatisfy { $0["efficient"] as? Bool == true })
            for point in groups {
                let variance = try #require(point["variance"] as? Double)
                let deviation = try #require(point["standard_deviation"] as? Double)
                #expect(abs(variance.squareRoot() - deviation) < 1e-6 && point["mean"] is Double && point["key"] is [String: Any])
            }
            let plain = try await client.call(.post, "/v1/aggregates", token: analyst, json: #"{"measures":["count"],"epsilon":0.5}"#)
            #expect(plain.status == .ok && plain.object["efficient_set"] == nil)
            let empty = try await client.call(.post, "/v1/aggregates", token: analyst, json: #"{"measures":[],"epsilon":0.5}"#)
            #expect(empty.status.code / 100 == 4)
            let chart = try await client.call(
                .post,
                "/v1/aggregates?format=svg",
                token: analyst,
                json: #"{"measures":[],"group_by":["segment"],"epsilon":1,"portfolio":true}"#
            )
            #expect(chart.status == .ok && chart.headers[.contentType] == "image/svg+xml" && chart.text.hasPrefix("<svg"))
            #expect(chart.text.contains(#"class="efficient-group""#))
            let badFormat = try await client.call(.post, "/v1/aggregates?format=png", token: analyst, json: #"{"measures":["count"],"epsilon":0.5}"#)
            #expect(badFormat.status == .badRequest)
        }
    }

    @Test func openRoutesNeedNoToken() async throws {
        let fixture = try await TestVault.make(customers: 2)
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let health = try await client.call(.get, "/healthz")
            #expect(health.status == .ok)
            #expect(health.object["status"] as? String == "ok")
            let document = try await client.call(.get, "/openapi.yaml")
            #expect(document.status == .ok)
            #expect(document.headers[.contentType] == "application/yaml")
            #expect(document.text == String(decoding: PackageResources.openapi_yaml, as: UTF8.self))
            #expect(document.text.hasPrefix("openapi: 3.1"))
        }
    }
}
