import Foundation
import Vault
import VaultAudit
import VaultPolicy

/// Words for customers: the policy's names and codes, said the way a person would.
enum Wording {
    static func title(of section: FieldDefinition.Section) -> String {
        switch section {
        case .characteristics: "Who you are"
        case .responses: "How you respond to us"
        case .purchases: "What you bought"
        }
    }

    static func intro(of section: FieldDefinition.Section) -> String {
        switch section {
        case .characteristics: "Your name, how to reach you and where we deliver."
        case .responses: "What you told us about your preferences, and how you answered our surveys."
        case .purchases: "Your orders: when, how much, and in which product category."
        }
    }

    /// `preferred_channel` → "Preferred channel".
    static func label(_ name: String) -> String {
        let words = name.replacingOccurrences(of: "_", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    /// A fideslang category said plainly: `user.contact.email` → "contact details: email".
    static func category(_ key: String) -> String {
        let parts = key.split(separator: ".").dropFirst().map { $0.replacingOccurrences(of: "_", with: " ") }
        guard let last = parts.last else { return key }
        return parts.count > 1 ? "\(parts.dropLast().joined(separator: ", ")): \(last)" : String(last)
    }

    /// An ISO 8601 duration said plainly: `P6Y` → "6 years", `P1Y6M` → "1 year and 6 months".
    static func duration(_ text: String) -> String {
        var words: [String] = []
        var number = ""
        var inTime = false
        for character in text.dropFirst() {
            if character == "T" {
                inTime = true
                continue
            }
            if character.isNumber {
                number.append(character)
                continue
            }
            let unit: String? =
                switch (character, inTime) {
                case ("Y", false): "year"
                case ("M", false): "month"
                case ("W", false): "week"
                case ("D", false): "day"
                case ("H", true): "hour"
                case ("M", true): "minute"
                case ("S", true): "second"
                default: nil
                }
            if let unit, let count = Int(number) { words.append("\(count) \(unit)\(count == 1 ? "" : "s")") }
            number = ""
        }
        guard let last = words.popLast() else { return text }
        return words.isEmpty ? last : words.joined(separator: ", ") + " and " + last
    }

    static func value(_ value: FieldValue) -> String { value.description }

    /// `2026-11-23T10:00:00.123Z` → "2026-11-23 10:00".
    static func time(_ iso: String) -> String {
        let trimmed = iso.replacingOccurrences(of: "T", with: " ")
        return String(trimmed.prefix(16))
    }

    static func time(_ date: Date) -> String { time(date.formatted(.iso8601)) }

    static func day(_ date: Date) -> String { String(date.formatted(.iso8601).prefix(10)) }

    /// Who acted, without the token's id unless it is all there is.
    static func actor(role: String, actor: String) -> String {
        switch role {
        case "customer": actor.hasPrefix("portal:") ? "you (on this site)" : "you"
        case "support": "customer support"
        case "marketing": "marketing"
        case "analyst": "an analyst (statistics only)"
        case "auditor": "an auditor"
        case "operator": "the vault's operator"
        case "portal": "this site"
        default: "\(role) (\(actor))"
        }
    }

    static func operation(_ op: String) -> String {
        switch AuditOperation(rawValue: op) {
        case .customerRead, .selfRead: "read your data"
        case .customerFind: "looked you up"
        case .customerUpdate: "changed your data"
        case .customerImport, .customerUpsert: "imported your data"
        case .customerNextBestProduct, .selfNextBestProduct: "worked out a recommendation"
        case .consentGrant: "you gave consent"
        case .consentWithdraw: "you withdrew consent"
        case .consentObject: "you objected"
        case .consentWithdrawObjection: "you withdrew an objection"
        case .consentOverride: "an import replaced your choice"
        case .selfLog: "you looked at this log"
        case .selfExport: "you downloaded your data"
        case .portalSignIn: "sign-in"
        case .portalSignInRequest: "a sign-in code was asked for"
        case .portalSignOut: "sign-out"
        case .portalLinkIssue: "staff gave you a sign-in link"
        case .retentionSweep: "deleted values past their retention"
        default: label(op.replacingOccurrences(of: ".", with: " "))
        }
    }

    static func basis(_ basis: String) -> String {
        switch basis {
        case "consent": "Only with your consent."
        case "contract": "Needed to deliver what you bought (our contract with you)."
        case "legitimate_interest": "Our legitimate interest; you may object."
        case "legal_obligation": "Required by law."
        default: label(basis) + "."
        }
    }

    /// Where the customer stands on a purpose, in their words rather than the policy's.
    static func standing(_ consent: ConsentView) -> String {
        let since = consent.at.map { " on " + day($0) } ?? ""
        switch (consent.basis, consent.state) {
        case ("consent", "granted"): return "You gave your consent\(since); we may use your data for this."
        case ("consent", "withdrawn"): return "You withdrew your consent\(since); we do not use your data for this."
        case ("consent", _): return "You have not given your consent, so we do not use your data for this."
        case ("legitimate_interest", "objected"): return "You objected\(since); we do not use your data for this."
        case ("legitimate_interest", _): return "We use your data for this unless you object."
        default: return "We use your data for this whatever you choose here."
        }
    }

    /// The choices a customer can make about a purpose now.
    static func actions(basis: String, state: String?) -> [(state: String, label: String)] {
        switch basis {
        case "consent": state == "granted" ? [("withdrawn", "Withdraw my consent")] : [("granted", "Give my consent")]
        case "legitimate_interest": state == "objected" ? [("withdrawn", "Withdraw my objection")] : [("objected", "Object")]
        default: []
        }
    }
}
