import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Vault
import VaultCrypto
import VaultPolicy
import VaultPortal
import VaultStore

/// The customer portal at `/portal/`: HTML pages over the same facade use cases as `/v1/me`.
/// Nothing here decides policy or touches storage; it translates forms and cookies into facade
/// calls and their answers into pages.
struct PortalSite: Sendable {
    let vault: Vault
    let pages: PortalPages
    /// Where sign-in links point (the configured address, never the request's Host header, which a
    /// caller chooses: a link to their own host would carry a customer's one-time secret to them).
    let publicURL: String
    /// Whether a proxy in front adds the client's address as the last `X-Forwarded-For` entry
    /// (`cvault serve --behind-proxy`); otherwise every client behind it would share one limit.
    let behindProxy: Bool
    /// Refuses floods before they reach the database (every sign-in attempt is a write and an
    /// audit entry); the limits in the database stay the rule across instances.
    let gate = PortalGate()

    /// `__Host-`: only ever set by this host over a secure channel with Path=/, so a sibling
    /// subdomain cannot plant or shadow it.
    static let sessionCookie = "__Host-cvault_session"
    /// Form bodies are small; anything larger is refused before it is read.
    static let formLimit = 16 * 1024

    init(vault: Vault, publicURL: String, behindProxy: Bool = false) throws {
        self.vault = vault
        self.pages = try PortalPages()
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.behindProxy = behindProxy
    }

    /// The origin forms must come from (`scheme://host[:port]` of the public URL).
    var origin: String {
        guard let url = URL(string: publicURL), let scheme = url.scheme, let host = url.host else { return publicURL }
        return "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }

    var linkBase: String { publicURL + "/portal/link/" }

    /// Adds the portal's routes under `/portal`.
    func add(to router: Router<VaultRequestContext>) {
        let site = self
        let portal = router.group("portal").add(middleware: PortalMiddleware())
        portal.get("/") { request, context in
            if let session = request.cookies[Self.sessionCookie]?.value, (try? await site.vault.portalPrincipal(session: session)) != nil {
                return Self.redirect("/portal/profile")
            }
            return Self.html(site.pages.signIn(site.frame(context)))
        }
        portal.get("static/portal.css") { _, _ in Self.asset(PortalPages.stylesheet, type: "text/css; charset=utf-8") }
        portal.get("static/icon.svg") { _, _ in Self.asset(PortalPages.icon, type: "image/svg+xml") }
        portal.get("static/verify.js") { _, _ in Self.asset(PortalPages.verifier, type: "text/javascript; charset=utf-8") }
        portal.post("sign-in") { request, context in try await site.requestSignIn(request, context) }
        portal.post("code") { request, context in try await site.enterCode(request, context) }
        portal.get("link/{secret}") { _, context in
            Self.html(site.pages.link(site.frame(context), secret: context.parameters.get("secret") ?? ""))
        }
        portal.post("link") { request, context in try await site.followLink(request, context) }
        portal.post("sign-out") { request, context in try await site.signOut(request, context) }
        portal.get("profile") { request, context in
            try await site.signedIn(request, context, .profile) { principal, frame in
                Self.html(site.pages.profile(frame, view: try await site.vault.myProfile(by: principal), policy: site.vault.policyInForce))
            }
        }
        portal.get("log") { request, context in
            try await site.signedIn(request, context, .log) { principal, frame in
                Self.html(
                    site.pages.log(
                        frame,
                        customerID: principal.customerID ?? "",
                        log: try await site.vault.myLog(by: principal),
                        verifierKey: site.vault.verifierKey.note,
                        witnessKeys: site.vault.witnessVerifierKeys
                    )
                )
            }
        }
        portal.get("log.json") { request, context in
            try await site.signedIn(request, context, .log) { principal, _ in
                try Outputs.AccessLog(try await site.vault.myLog(by: principal)).response(from: request, context: context)
            }
        }
        portal.get("consents") { request, context in
            try await site.signedIn(request, context, .consents) { principal, frame in
                Self.html(site.pages.consents(frame, consents: try await site.vault.myConsents(by: principal)))
            }
        }
        portal.post("consents") { request, context in try await site.changeConsent(request, context) }
        portal.get("contests") { request, context in
            try await site.signedIn(request, context, .contests) { principal, frame in
                Self.html(site.pages.contests(frame, contests: try await site.vault.myContests(by: principal), policy: site.vault.policyInForce))
            }
        }
        portal.post("contests") { request, context in try await site.openContest(request, context) }
        portal.post("contests/{id}") { request, context in try await site.updateContest(request, context) }
        portal.get("recommendations") { request, context in
            try await site.signedIn(request, context, .recommendations) { principal, frame in
                do {
                    return Self.html(site.pages.recommendations(frame, answer: try await site.vault.myNextBestProduct(by: principal), note: nil))
                } catch let error as VaultError where error.kind == .conflict {
                    return Self.html(site.pages.recommendations(frame, answer: nil, note: "We make no recommendations at the moment."))
                }
            }
        }
        portal.get("export") { request, context in
            try await site.signedIn(request, context, .erase) { principal, _ in
                var response = JSONResponse.bytes(try await site.vault.exportMine(by: principal), contentType: "application/json")
                response.headers[.contentDisposition] = "attachment; filename=\"my-data.json\""
                return response
            }
        }
        portal.get("erase") { request, context in
            try await site.signedIn(request, context, .erase) { _, frame in Self.html(site.pages.erase(frame)) }
        }
        portal.post("erase") { request, context in try await site.erase(request, context) }
    }

    // MARK: - Signing in and out

    private func requestSignIn(_ request: Request, _ context: VaultRequestContext) async throws -> Response {
        let form = try await checkedForm(SignInForm.self, request, context)
        do {
            try await vault.requestSignIn(address: form.address, client: client(request, context), linkBase: linkBase)
        } catch let error as VaultError where error.kind == .rateLimited || error.kind == .invalidRequest {
            return Self.html(pages.signIn(frame(context, error: error.message)), status: error.kind == .rateLimited ? .tooManyRequests : .badRequest)
        }
        return Self.html(pages.code(frame(context), address: form.address))
    }

    private func enterCode(_ request: Request, _ context: VaultRequestContext) async throws -> Response {
        let form = try await checkedForm(CodeForm.self, request, context)
        do {
            return started(try await vault.completeSignIn(address: form.address, code: form.code, client: client(request, context)))
        } catch let error as VaultError where [.unauthenticated, .rateLimited, .invalidRequest].contains(error.kind) {
            return Self.html(pages.code(frame(context, error: error.message), address: form.address), status: Self.status(error))
        }
    }

    private func followLink(_ request: Request, _ context: VaultRequestContext) async throws -> Response {
        let form = try await checkedForm(LinkForm.self, request, context)
        do {
            return started(try await vault.completeSignIn(link: form.secret, client: client(request, context)))
        } catch let error as VaultError where error.kind == .unauthenticated || error.kind == .rateLimited {
            return Self.html(pages.signIn(frame(context, error: error.message)), status: Self.status(error))
        }
    }

    /// The session cookie, then the profile.
    private func started(_ session: PortalSession) -> Response {
        var response = Self.redirect("/portal/profile")
        response.setCookie(
            Cookie(
                name: Self.sessionCookie,
                value: session.secret,
                maxAge: Int(session.expiresAt.timeIntervalSinceNow.rounded(.down)),
                path: "/",
                secure: true,
                httpOnly: true,
                sameSite: .strict
            )
        )
        return response
    }

    private func signOut(_ request: Request, _ context: VaultRequestContext) async throws -> Response {
        _ = try await checkedForm(CSRFForm.self, request, context)
        if let session = request.cookies[Self.sessionCookie]?.value { try await vault.signOut(session: session) }
        var response = Self.html(
            pages.message(
                frame(context),
                heading: "You are signed out",
                text: "Your session has ended on this device.",
                next: "/portal/",
                nextLabel: "Sign in again"
            )
        )
        response.setCookie(Self.expired(Self.sessionCookie))
        return response
    }

    // MARK: - Pages that change something

    private func changeConsent(_ request: Request, _ context: VaultRequestContext) async throws -> Response {
        let form = try await checkedForm(ConsentForm.self, request, context)
        return try await signedIn(request, context, .consents) { principal, frame in
            guard let state = ConsentRecord.Status(rawValue: form.state) else {
                return Self.html(
                    pages.message(
                        frame,
                        heading: "That choice is not known",
                        text: "Go back and use one of the buttons.",
                        next: "/portal/consents",
                        nextLabel: "Your choices"
                    ),
                    status: .badRequest
                )
            }
            try await vault.setMyConsent(purpose: form.purpose, to: state, by: principal)
            var changed = frame
            changed.notice = "Your choice is saved."
            return Self.html(pages.consents(changed, consents: try await vault.myConsents(by: principal)))
        }
    }

    private func openContest(_ request: Request, _ context: VaultRequestContext) async throws -> Response {
        let form = try await checkedForm(ContestForm.self, request, context)
        return try await changeContests(request, context, done: "We have your request and will answer by the date shown.") { principal in
            _ = try await vault.openContest(field: form.field, proposedValue: form.value, reason: form.reason, by: principal)
        }
    }

    private func updateContest(_ request: Request, _ context: VaultRequestContext) async throws -> Response {
        let form = try await checkedForm(ContestUpdateForm.self, request, context)
        let id = context.parameters.get("id") ?? ""
        let withdraw = form.withdraw == "true"
        return try await changeContests(request, context, done: withdraw ? "Your request is withdrawn." : "We have your answer.") { principal in
            _ = try await vault.updateMyContest(id: id, withdraw: withdraw, reply: form.reply, by: principal)
        }
    }

    /// Runs a change to the customer's contests, then shows them with what happened.
    private func changeContests(
        _ request: Request,
        _ context: VaultRequestContext,
        done: String,
        _ change: (Principal) async throws -> Void
    ) async throws -> Response {
        try await signedIn(request, context, .contests) { principal, frame in
            var after = frame
            do {
                try await change(principal)
                after.notice = done
            } catch let error as VaultError where error.kind == .invalidRequest || error.kind == .conflict {
                after.error = error.message
            }
            let page = pages.contests(after, contests: try await vault.myContests(by: principal), policy: vault.policyInForce)
            return Self.html(page, status: after.error == nil ? .ok : .unprocessableContent)
        }
    }

    private func erase(_ request: Request, _ context: VaultRequestContext) async throws -> Response {
        let form = try await checkedForm(EraseForm.self, request, context)
        return try await signedIn(request, context, .erase) { principal, frame in
            guard form.confirm.trimmingCharacters(in: .whitespaces).lowercased() == PortalPages.erasePhrase else {
                var retry = frame
                retry.error = "Type “\(PortalPages.erasePhrase)” exactly to confirm; nothing was erased."
                return Self.html(pages.erase(retry), status: .unprocessableContent)
            }
            let receipt = try await vault.eraseMe(confirm: true, by: principal)
            var response = Self.html(pages.erased(PortalPages.Frame(csrf: frame.csrf, signedIn: false), receipt: receipt))
            response.setCookie(Self.expired(Self.sessionCookie))
            return response
        }
    }

    // MARK: - Helpers

    /// Runs `body` for the signed-in customer; without a live session, the sign-in page.
    private func signedIn(
        _ request: Request,
        _ context: VaultRequestContext,
        _ section: PortalPages.Section,
        _ body: (Principal, PortalPages.Frame) async throws -> Response
    ) async throws -> Response {
        guard let secret = request.cookies[Self.sessionCookie]?.value else {
            return Self.html(pages.signIn(frame(context, error: "Please sign in first.")), status: .unauthorized)
        }
        let principal: Principal
        do {
            principal = try await vault.portalPrincipal(session: secret)
        } catch let error as VaultError where error.kind == .unauthenticated {
            var response = Self.html(pages.signIn(frame(context, error: error.message)), status: .unauthorized)
            response.setCookie(Self.expired(Self.sessionCookie))
            return response
        }
        do {
            return try await body(principal, frame(context, signedIn: true, section: section))
        } catch let error as VaultError {
            let page = pages.message(
                frame(context, signedIn: error.kind != .gone, section: section),
                heading: "That did not work",
                text: error.kind == .integrity ? "Something is wrong on our side; please try again later." : error.message,
                next: "/portal/profile",
                nextLabel: "Back to your profile"
            )
            return Self.html(page, status: Self.status(error))
        }
    }

    private func frame(
        _ context: VaultRequestContext,
        signedIn: Bool = false,
        section: PortalPages.Section = .none,
        error: String? = nil
    ) -> PortalPages.Frame {
        PortalPages.Frame(csrf: vault.portalFormToken(for: context.portalFormCookie ?? ""), signedIn: signedIn, section: section, error: error)
    }

    /// Decodes a form and checks its token against the visitor's form cookie (constant time).
    private func checkedForm<Form: Decodable & PortalForm>(_ type: Form.Type, _ request: Request, _ context: VaultRequestContext) async throws -> Form
    {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            throw Problem.unsupportedMediaType
        }
        // A browser says where a form came from: anything but this site's own pages is refused.
        // `Sec-Fetch-Site` decides where the browser sends it; `Origin` otherwise ("null" is what a
        // page under `Referrer-Policy: no-referrer` sends, and tells nothing).
        let fetchSite = request.headers[HTTPField.Name("Sec-Fetch-Site")!]
        let sentOrigin = request.headers[HTTPField.Name("Origin")!]
        let sameOrigin = fetchSite.map { $0 == "same-origin" } ?? (sentOrigin == nil || sentOrigin == "null" || sentOrigin == origin)
        guard sameOrigin else {
            throw Problem(status: .forbidden, code: .crossSiteForm, detail: "this form was not sent from the portal's own pages")
        }
        guard gate.admit(client(request, context)) else {
            throw Problem(status: .tooManyRequests, code: .rateLimited, detail: "too many attempts: wait a few minutes and try again")
        }
        let body = try await request.body.collect(upTo: Self.formLimit)
        let form: Form
        do {
            form = try URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))
        } catch {
            throw Problem(status: .badRequest, code: .badForm, detail: "the form is incomplete or malformed: reload the page and try again")
        }
        let expected = vault.portalFormToken(for: context.portalFormCookie ?? "")
        guard request.cookies[PortalMiddleware.formCookie] != nil, ConstantTime.equals(Array(form.csrf.utf8), Array(expected.utf8)) else {
            throw Problem(
                status: .forbidden,
                code: .formToken,
                detail: "the form's token does not match this browser: reload the page and try again"
            )
        }
        return form
    }

    /// Who is asking, for the rate limits: the peer's address (or, behind a trusted proxy, the last
    /// address it added); an IPv6 address counts by its /64, which one party usually holds whole.
    func client(_ request: Request, _ context: VaultRequestContext) -> String {
        var address = context.remoteAddress ?? "unknown"
        if behindProxy,
            let forwarded = request.headers[values: HTTPField.Name("X-Forwarded-For")!].last?
                .split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !forwarded.isEmpty
        {
            address = forwarded
        }
        guard address.contains(":") else { return address }
        let groups = Self.expandedIPv6(address)
        return groups.count == 8 ? groups.prefix(4).joined(separator: ":") + "::/64" : address
    }

    /// The eight groups of an IPv6 address (`::` expanded); empty if it is not one.
    static func expandedIPv6(_ address: String) -> [String] {
        let halves = address.components(separatedBy: "::")
        guard halves.count <= 2 else { return [] }
        let head = halves[0].split(separator: ":").map(String.init)
        let tail = halves.count == 2 ? halves[1].split(separator: ":").map(String.init) : []
        let missing = 8 - head.count - tail.count
        guard missing >= 0, halves.count == 2 || missing == 0 else { return [] }
        return head + Array(repeating: "0", count: missing) + tail
    }

    static func status(_ error: VaultError) -> HTTPResponse.Status { Problem(error).status }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ path: String) -> Response {
        Response(status: .seeOther, headers: [.location: path])
    }

    static func asset(_ bytes: [UInt8], type: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: "public, max-age=3600"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    static func expired(_ name: String) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: "/", secure: true, httpOnly: true, sameSite: .strict)
    }
}

/// A portal form: every one carries the form token.
protocol PortalForm { var csrf: String { get } }
struct CSRFForm: Decodable, PortalForm { let csrf: String }
struct SignInForm: Decodable, PortalForm {
    let csrf: String
    let address: String
}
struct CodeForm: Decodable, PortalForm {
    let csrf: String
    let address: String
    let code: String
}
struct LinkForm: Decodable, PortalForm {
    let csrf: String
    let secret: String
}
struct ConsentForm: Decodable, PortalForm {
    let csrf: String
    let purpose: String
    let state: String
}
struct ContestForm: Decodable, PortalForm {
    let csrf: String
    let field: String
    let value: String
    let reason: String
}
struct ContestUpdateForm: Decodable, PortalForm {
    let csrf: String
    let reply: String?
    let withdraw: String?
}
struct EraseForm: Decodable, PortalForm {
    let csrf: String
    let confirm: String
}
