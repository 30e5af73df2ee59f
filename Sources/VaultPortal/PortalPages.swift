import Foundation
import Mustache
package import Vault
import VaultAnalytics
package import VaultPolicy

/// The customer portal's pages: server-rendered HTML from templates built into the binary, every
/// value HTML-escaped by the template engine. Pages carry no inline script or style (the portal's
/// Content-Security-Policy forbids both); only the access log loads `verify.js`.
package struct PortalPages: Sendable {
    private let library: MustacheLibrary
    /// The firm's name, shown in every page's header.
    package let firm: String

    /// Loads the templates.
    package init(firm: String = "CustomerVault") throws {
        var library = MustacheLibrary()
        for (name, bytes) in Self.templates { try library.register(String(decoding: bytes, as: UTF8.self), named: name) }
        self.library = library
        self.firm = firm
    }

    private static let templates: [(String, [UInt8])] = [
        ("layout", PackageResources.layout_mustache), ("sign-in", PackageResources.sign_in_mustache), ("code", PackageResources.code_mustache),
        ("link", PackageResources.link_mustache), ("message", PackageResources.message_mustache), ("profile", PackageResources.profile_mustache),
        ("log", PackageResources.log_mustache), ("consents", PackageResources.consents_mustache), ("contests", PackageResources.contests_mustache),
        ("erase", PackageResources.erase_mustache), ("erased", PackageResources.erased_mustache),
        ("recommendations", PackageResources.recommendations_mustache),
    ]

    /// The stylesheet (`/portal/static/portal.css`).
    package static var stylesheet: [UInt8] { PackageResources.portal_css }
    /// The icon (`/portal/static/icon.svg`).
    package static var icon: [UInt8] { PackageResources.icon_svg }
    /// The log verifier (`/portal/static/verify.js`).
    package static var verifier: [UInt8] { PackageResources.verify_js }

    /// Where the signed-in pages are, for the navigation's `aria-current`.
    package enum Section: Sendable { case none, profile, log, consents, contests, recommendations, erase }

    /// What every page shows around its content.
    package struct Frame: Sendable {
        /// The form token for this visitor.
        package var csrf: String
        /// Whether a customer is signed in (the navigation and sign-out show).
        package var signedIn: Bool
        /// The current section.
        package var section: Section
        /// A confirmation to show.
        package var notice: String?
        /// A problem to show.
        package var error: String?

        /// A frame.
        package init(csrf: String, signedIn: Bool, section: Section = .none, notice: String? = nil, error: String? = nil) {
            self.csrf = csrf
            self.signedIn = signedIn
            self.section = section
            self.notice = notice
            self.error = error
        }
    }

    /// The sign-in form.
    package func signIn(_ frame: Frame) -> String { render("sign-in", frame, Empty()) }

    /// The code form, after a sign-in was asked for `address`.
    package func code(_ frame: Frame, address: String) -> String { render("code", frame, CodeBody(address: address)) }

    /// The page a sign-in link opens: one button, so that a mail scanner's visit does not use it up.
    package func link(_ frame: Frame, secret: String) -> String { render("link", frame, LinkBody(secret: secret)) }

    /// A short message with a way on.
    package func message(_ frame: Frame, heading: String, text: String, next: String, nextLabel: String) -> String {
        render("message", frame, MessageBody(heading: heading, text: text, next: next, nextLabel: nextLabel))
    }

    /// The customer's profile by section, each field with what it is for, its kind and retention.
    package func profile(_ frame: Frame, view: CustomerView, policy: Policy) -> String {
        let sections = FieldDefinition.Section.allCases.map { section in
            ProfileSection(
                key: section.rawValue,
                title: Wording.title(of: section),
                intro: Wording.intro(of: section),
                fields: policy.fields.filter { $0.section == section }.map { field in
                    ProfileField(
                        label: Wording.label(field.name),
                        value: view.values[field.name].map(Wording.value) ?? "— (we hold nothing)",
                        about: field.description ?? "",
                        category: Wording.category(field.category),
                        retention: Wording.duration(field.retention.description)
                    )
                }
            )
        }.filter { !$0.fields.isEmpty }
        return render("profile", frame, ProfileBody(sections: sections))
    }

    /// The access log, newest first; `verify.js` checks each row against the signed log.
    package func log(_ frame: Frame, customerID: String, log: AccessLog, verifierKey: String, witnessKeys: [String]) -> String {
        let entries = log.entries.reversed().map { item in
            let entry = item.entry
            return LogRow(
                seq: String(item.seq),
                op: entry.op,
                decision: entry.decision,
                rawAt: entry.at,
                rawActor: entry.actor,
                rawRole: entry.role,
                rawPurpose: entry.purpose ?? "",
                rawFields: entry.fields.joined(separator: ","),
                rawReason: entry.reason,
                when: Wording.time(entry.at),
                who: Wording.actor(role: entry.role, actor: entry.actor),
                what: Wording.operation(entry.op),
                why: entry.purpose.map(Wording.label) ?? "—",
                fields: entry.fields.map(Wording.label).joined(separator: ", "),
                outcome: (entry.decision == "allow" ? "allowed" : "refused") + " (" + Wording.label(entry.reason) + ")"
            )
        }
        return render(
            "log",
            frame,
            LogBody(
                verifierKey: verifierKey,
                witnessKeys: witnessKeys.joined(separator: " "),
                hasWitnesses: !witnessKeys.isEmpty,
                customer: customerID,
                count: entries.count,
                entries: entries,
                verificationNote: "Your browser checks the entries when the page has loaded."
            )
        )
    }

    /// Each purpose with its basis, the customer's choice, and the buttons that change it.
    package func consents(_ frame: Frame, consents: [ConsentView]) -> String {
        let purposes = consents.map { consent in
            PurposeBox(
                name: consent.purpose,
                title: Wording.label(consent.purpose),
                description: consent.description,
                basis: Wording.basis(consent.basis),
                state: Wording.standing(consent),
                actions: Wording.actions(basis: consent.basis, state: consent.state).map {
                    PurposeAction(purpose: consent.purpose, state: $0.state, label: $0.label)
                }
            )
        }
        return render("consents", frame, ConsentsBody(purposes: purposes))
    }

    /// The correction form and the customer's requests with their status.
    package func contests(_ frame: Frame, contests: [ContestView], policy: Policy) -> String {
        let rows = contests.map { contest in
            ContestBox(
                id: contest.id,
                field: Wording.label(contest.field),
                status: Wording.label(contest.status),
                opened: Wording.day(contest.openedAt),
                deadline: Wording.day(contest.deadline),
                overdue: contest.overdue,
                proposed: contest.proposedValue.map(Wording.value),
                reason: contest.reason,
                resolution: contest.resolution,
                canReply: contest.status == "info_requested",
                canWithdraw: contest.status == "open" || contest.status == "info_requested"
            )
        }
        let fields = policy.fields.filter { $0.type != .purchases }.map { FieldChoice(name: $0.name, label: Wording.label($0.name)) }
        return render(
            "contests",
            frame,
            ContestsBody(deadline: Wording.duration(policy.contests.responseDeadline.description), fields: fields, contests: rows)
        )
    }

    /// Download and erase, with the phrase the customer must type.
    package func erase(_ frame: Frame) -> String { render("erase", frame, EraseBody(phrase: Self.erasePhrase)) }

    /// The phrase that confirms an erasure.
    package static let erasePhrase = "erase my data"

    /// After erasure: the statement and the signed receipt to download.
    package func erased(_ frame: Frame, receipt: ErasureReceipt) -> String {
        let json =
            (try? JSONSerialization.data(
                withJSONObject: ["statement": receipt.statement, "signature": receipt.signature, "public_key": receipt.publicKey],
                options: [.sortedKeys]
            )) ?? Data()
        return render(
            "erased",
            frame,
            ErasedBody(
                statement: receipt.statement,
                erasedAt: Wording.time(receipt.erasedAt),
                backupsFrom: Wording.time(receipt.backupsUndecryptableFrom),
                receiptLink: "data:application/json;base64," + json.base64EncodedString()
            )
        )
    }

    /// What the firm would recommend, or why nothing.
    package func recommendations(_ frame: Frame, answer: NextBestProduct?, note: String?) -> String {
        let items =
            answer?.recommendations.map { RecommendationItem(category: Wording.label($0.category), reasons: $0.reasons.joined(separator: "; ")) }
            ?? []
        return render(
            "recommendations",
            frame,
            RecommendationsBody(
                holds: answer?.purposeHolds == true && !items.isEmpty,
                items: items,
                note: note ?? answer?.note
            )
        )
    }

    private func render(_ name: String, _ frame: Frame, _ body: some Sendable) -> String {
        let screen = Screen(
            firm: firm,
            csrf: frame.csrf,
            signedIn: frame.signedIn,
            notice: frame.notice,
            error: frame.error,
            navProfile: frame.section == .profile,
            navLog: frame.section == .log,
            navConsents: frame.section == .consents,
            navContests: frame.section == .contests,
            navRecommendations: frame.section == .recommendations,
            navErase: frame.section == .erase,
            body: body
        )
        return library.render(screen, withTemplate: name) ?? ""
    }
}
