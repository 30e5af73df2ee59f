import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Vault
import VaultStore

@testable import VaultHTTP

/// The customer portal's routes: sign-in by code and by link, forms that need the visitor's form
/// token, pages that reach only the signed-in customer, and the headers every page carries.
@Suite struct PortalRouteTests {
    /// A browser's cookie jar and form token, enough to walk the portal.
    struct Browser {
        var cookies: [String: String] = [:]
        var csrf = ""

        var cookieHeader: HTTPFields {
            cookies.isEmpty ? [:] : [.cookie: cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")]
        }

        /// Takes up Set-Cookie headers and the page's form token.
        mutating func take(_ response: TestResponse) {
            for header in response.headers[values: .setCookie] {
                let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
                let name = String(pair[0])
                let value = pair.count > 1 ? String(pair[1]) : ""
                if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
            }
            if let range = response.text.range(of: #"name="csrf" value="([^"]*)""#, options: .regularExpression) {
                csrf = String(response.text[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
            }
        }

        func get(_ client: some TestClientProtocol, _ uri: String) async throws -> TestResponse {
            try await client.executeRequest(uri: uri, method: .get, headers: cookieHeader, body: nil)
        }

        func post(_ client: some TestClientProtocol, _ uri: String, _ fields: [String: String], csrf: String? = nil) async throws -> TestResponse {
            var headers = cookieHeader
            headers[.contentType] = "application/x-www-form-urlencoded"
            var all = fields
            all["csrf"] = csrf ?? self.csrf
            let body = all.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            return try await client.executeRequest(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
        }
    }

    static func email(_ customer: CustomerRecord) -> String {
        guard case .string(let email)? = customer.fields["email"] else { preconditionFailure("synthetic customers have an e-mail") }
        return email
    }

    /// The newest message in the fixture's outbox (delivery runs apart from the answer).
    static func newestMessage(_ fixture: TestVault, count: Int) async throws -> SignInMessage? {
        let folder = fixture.directory.appendingPathComponent(OutboxNotifier.folderName)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for _ in 0..<100 {
            // Only finished messages: a file being written may show under a temporary name.
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
                $0.hasSuffix(".json") && !$0.hasPrefix(".")
            }.sorted()
            if files.count >= count, let last = files.last {
                return try decoder.decode(SignInMessage.self, from: Data(contentsOf: folder.appendingPathComponent(last)))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// Signs `customer` in through the pages; returns the browser holding the session.
    static func signIn(_ client: some TestClientProtocol, _ fixture: TestVault, _ customer: CustomerRecord, messages: Int = 1) async throws -> Browser
    {
        var browser = Browser()
        browser.take(try await browser.get(client, "/portal/"))
        let asked = try await browser.post(client, "/portal/sign-in", ["address": email(customer)])
        #expect(asked.status == .ok && asked.text.contains("Enter your code"))
        browser.take(asked)
        let message = try #require(try await newestMessage(fixture, count: messages))
        let entered = try await browser.post(client, "/portal/code", ["address": email(customer), "code": message.code])
        #expect(entered.status == .seeOther && entered.headers[.location] == "/portal/profile", "\(entered.status)")
        let setCookie = entered.headers[values: .setCookie].first { $0.hasPrefix("__Host-cvault_session=") } ?? ""
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("Secure") && setCookie.contains("SameSite=Strict"), "\(setCookie)")
        browser.take(entered)
        return browser
    }

    @Test func everyPageCarriesTheSecurityHeadersAndAFormCookie() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            let page = try await client.executeRequest(uri: "/portal/", method: .get, headers: [:], body: nil)
            #expect(page.status == .ok && page.headers[.contentType] == "text/html; charset=utf-8")
            let csp = try #require(page.headers[.contentSecurityPolicy])
            #expect(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"))
            #expect(page.headers[HTTPField.Name("X-Frame-Options")!] == "DENY" && page.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(page.headers[.cacheControl] == "no-store")
            #expect(
                page.headers[values: .setCookie].contains {
                    $0.hasPrefix("__Host-cvault_form=") && $0.contains("HttpOnly") && $0.contains("SameSite=Strict")
                }
            )
            #expect(!page.text.contains("<script>") && !page.text.contains("style="), "no inline script or style")
            let css = try await client.executeRequest(uri: "/portal/static/portal.css", method: .get, headers: [:], body: nil)
            #expect(css.status == .ok && css.headers[.contentType] == "text/css; charset=utf-8")
            let script = try await client.executeRequest(uri: "/portal/static/verify.js", method: .get, headers: [:], body: nil)
            #expect(script.status == .ok && script.text.contains("crypto.subtle"))
        }
    }

    @Test func formsWithoutTheVisitorsTokenAreRefused() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            var browser = Browser()
            browser.take(try await browser.get(client, "/portal/"))
            // Another site's form: the browser sends no SameSite=Strict cookie, and the page's token is unknown.
            let stranger = Browser()
            #expect(
                try await stranger.post(client, "/portal/sign-in", ["address": Self.email(fixture.customers[0])], csrf: browser.csrf).status
                    == .forbidden
            )
            #expect(
                try await browser.post(client, "/portal/sign-in", ["address": Self.email(fixture.customers[0])], csrf: "forged").status == .forbidden
            )
            #expect(try await browser.post(client, "/portal/sign-in", ["address": Self.email(fixture.customers[0])]).status == .ok)
            // A signed-in customer's forms need the token too.
            let signedIn = try await Self.signIn(client, fixture, fixture.customers[1], messages: 2)
            let forged = try await signedIn.post(client, "/portal/consents", ["purpose": "marketing", "state": "granted"], csrf: "forged")
            #expect(forged.status == .forbidden)
            let erase = try await signedIn.post(client, "/portal/erase", ["confirm": "erase my data"], csrf: browser.csrf)
            #expect(erase.status == .forbidden, "another visitor's token does not fit this browser's cookie")
            // A form posted from another site is refused whatever it carries.
            var crossSite = signedIn.cookieHeader
            crossSite[.contentType] = "application/x-www-form-urlencoded"
            crossSite[HTTPField.Name("Sec-Fetch-Site")!] = "same-site"
            let planted = try await client.executeRequest(
                uri: "/portal/sign-out",
                method: .post,
                headers: crossSite,
                body: ByteBuffer(string: "csrf=\(signedIn.csrf)")
            )
            #expect(planted.status == .forbidden && planted.headers[.contentSecurityPolicy] != nil)
            crossSite[HTTPField.Name("Sec-Fetch-Site")!] = nil
            crossSite[HTTPField.Name("Origin")!] = "https://evil.example"
            #expect(
                try await client.executeRequest(
                    uri: "/portal/sign-out",
                    method: .post,
                    headers: crossSite,
                    body: ByteBuffer(string: "csrf=\(signedIn.csrf)")
                ).status == .forbidden
            )
        }
    }

    @Test func aCodeSignsInAndWrongExpiredOrUsedCodesDoNot() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            var browser = Browser()
            browser.take(try await browser.get(client, "/portal/"))
            let address = Self.email(fixture.customers[0])
            let unknown = try await browser.post(client, "/portal/sign-in", ["address": "nobody@example.org"])
            let known = try await browser.post(client, "/portal/sign-in", ["address": address])
            // The same page whether or not the address exists, apart from the address itself.
            #expect(unknown.text.replacingOccurrences(of: "nobody@example.org", with: "X") == known.text.replacingOccurrences(of: address, with: "X"))
            let message = try #require(try await Self.newestMessage(fixture, count: 1))
            let wrong = try await browser.post(
                client,
                "/portal/code",
                ["address": address, "code": message.code == "00000000" ? "11111111" : "00000000"]
            )
            #expect(wrong.status == .unauthorized && wrong.text.contains("does not work"))
            let right = try await browser.post(client, "/portal/code", ["address": address, "code": message.code])
            #expect(right.status == .seeOther)
            let again = try await browser.post(client, "/portal/code", ["address": address, "code": message.code])
            #expect(again.status == .unauthorized, "a code works once")
            _ = try await browser.post(client, "/portal/sign-in", ["address": address])
            let second = try #require(try await Self.newestMessage(fixture, count: 2))
            fixture.clock.advance(by: 601)
            #expect(try await browser.post(client, "/portal/code", ["address": address, "code": second.code]).status == .unauthorized, "expired")
            let bad = try await browser.post(client, "/portal/sign-in", ["address": "no address at all"])
            #expect(bad.status == .badRequest && bad.text.contains("e-mail address or phone number"))
        }
    }

    @Test func aLinkShowsAButtonAndSignsInOnce() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        let link = try await fixture.vault.portalLink(
            customerID: fixture.customers[0].id,
            linkBase: "http://127.0.0.1/portal/link/",
            by: .localOperator
        )
        let path = String(link.link.dropFirst("http://127.0.0.1".count))
        try await fixture.app.test(.router) { client in
            var browser = Browser()
            let page = try await browser.get(client, path)
            #expect(page.status == .ok && page.text.contains(#"action="/portal/link""#))
            browser.take(page)
            let secret = String(path.dropFirst("/portal/link/".count))
            #expect(try await browser.post(client, "/portal/link", ["secret": secret]).status == .seeOther)
            #expect(try await browser.post(client, "/portal/link", ["secret": secret]).status == .unauthorized)
        }
    }

    @Test func clientsCountByAddressAndIPv6ByTheirSlash64() {
        #expect(PortalSite.expandedIPv6("2001:db8::1") == ["2001", "db8", "0", "0", "0", "0", "0", "1"])
        #expect(PortalSite.expandedIPv6("::1").count == 8 && PortalSite.expandedIPv6("1::2::3").isEmpty)
        let gate = PortalGate(burst: 3, refill: .seconds(3600))
        #expect(gate.admit("a") && gate.admit("a") && gate.admit("a") && !gate.admit("a") && gate.admit("b"))
    }

    @Test func requestsAreRateLimited() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            var browser = Browser()
            browser.take(try await browser.get(client, "/portal/"))
            for _ in 0..<5 { #expect(try await browser.post(client, "/portal/sign-in", ["address": "someone@example.org"]).status == .ok) }
            let limited = try await browser.post(client, "/portal/sign-in", ["address": "someone@example.org"])
            #expect(limited.status == .tooManyRequests && limited.text.contains("too many attempts"))
        }
    }

    @Test func theSignedInCustomerSeesAndChangesOnlyTheirOwnData() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        let support = try await fixture.vault.authenticate(token: fixture.tokens["support"]!)
        _ = try await fixture.vault.updateCustomer(
            fixture.customers[0].id,
            purpose: "service",
            set: ["name": "<script>alert(1)</script> Ada"],
            by: support
        )
        let others = try await fixture.vault.openContest(
            field: "name",
            proposedValue: "X",
            reason: "typo",
            by: try await fixture.vault.authenticate(token: fixture.tokens["other"]!)
        )
        try await fixture.app.test(.router) { client in
            let browser = try await Self.signIn(client, fixture, fixture.customers[0])
            let profile = try await browser.get(client, "/portal/profile")
            #expect(profile.status == .ok && profile.text.contains("Who you are") && profile.text.contains("What you bought"))
            #expect(profile.text.contains("&lt;script&gt;alert(1)&lt;/script&gt; Ada") && !profile.text.contains("<script>alert"))
            #expect(profile.text.contains("Kept for 6 years after we collected it"))

            let log = try await browser.get(client, "/portal/log")
            #expect(log.status == .ok && log.text.contains(#"data-verifier-key=""#) && log.text.contains("/portal/static/verify.js"))
            let proofs = try await browser.get(client, "/portal/log.json")
            #expect(proofs.status == .ok && (proofs.object["entries"] as? [[String: Any]])?.isEmpty == false)

            let consents = try await browser.get(client, "/portal/consents")
            #expect(consents.status == .ok && consents.text.contains("Only with your consent."))
            var signedIn = browser
            signedIn.take(consents)
            let granted = try await signedIn.post(client, "/portal/consents", ["purpose": "personalization", "state": "granted"])
            #expect(granted.status == .ok && granted.text.contains("Your choice is saved."))
            let customer = try await fixture.vault.authenticate(token: fixture.tokens["customer"]!)
            #expect(try await fixture.vault.myConsents(by: customer).first { $0.purpose == "personalization" }?.state == "granted")

            let opened = try await signedIn.post(client, "/portal/contests", ["field": "postcode", "value": "ZZ9 9ZZ", "reason": "I moved"])
            #expect(opened.status == .ok && opened.text.contains("We have your request"))
            #expect(try await fixture.vault.myContests(by: customer).count == 1)
            // Another customer's contest is not there for this customer.
            let foreign = try await signedIn.post(client, "/portal/contests/\(others.id)", ["withdraw": "true"])
            #expect(foreign.status == .notFound)

            let export = try await browser.get(client, "/portal/export")
            #expect(
                export.status == .ok && export.headers[.contentDisposition]?.contains("attachment") == true && export.text.contains("\"signature\"")
            )

            let notConfirmed = try await signedIn.post(client, "/portal/erase", ["confirm": "yes"])
            #expect(notConfirmed.status == .unprocessableContent)
            let erased = try await signedIn.post(client, "/portal/erase", ["confirm": "Erase my data"])
            #expect(erased.status == .ok && erased.text.contains("Your data was erased") && erased.text.contains("data:application/json;base64,"))
            #expect(try await browser.get(client, "/portal/profile").status == .unauthorized, "erasure ended the session")
        }
    }

    @Test func sessionsEndWhenIdleAndAtSignOut() async throws {
        let fixture = try await TestVault.make()
        defer { fixture.remove() }
        try await fixture.app.test(.router) { client in
            var browser = try await Self.signIn(client, fixture, fixture.customers[0])
            #expect(try await browser.get(client, "/portal/profile").status == .ok)
            fixture.clock.advance(by: 1_801)
            let idle = try await browser.get(client, "/portal/profile")
            #expect(idle.status == .unauthorized && idle.text.contains("signed out"))

            browser = try await Self.signIn(client, fixture, fixture.customers[0], messages: 2)
            let page = try await browser.get(client, "/portal/profile")
            browser.take(page)
            let out = try await browser.post(client, "/portal/sign-out", [:])
            #expect(out.status == .ok && out.text.contains("You are signed out"))
            browser.take(out)
            #expect(try await browser.get(client, "/portal/profile").status == .unauthorized)
            // Without any session cookie, a personal page asks to sign in.
            #expect(try await Browser().get(client, "/portal/consents").status == .unauthorized)
        }
    }
}
