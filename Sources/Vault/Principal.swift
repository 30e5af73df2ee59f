import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who is acting: the role and subject come from a token (or, for the operator holding the root
/// key, from possession of it), never from the request.
public struct Principal: Sendable, Equatable {
    /// The audit log's name for the actor (`token:<id>`, or `operator:<OS user>` for the operator at
    /// the console): an id, never a value.
    public let actor: String
    /// The policy role.
    public let role: String
    /// The staff name or the customer id the token was issued for.
    public let subject: String
    /// For customer tokens: the only customer this principal reaches.
    public let customerID: String?

    package init(actor: String, role: String, subject: String, customerID: String?) {
        self.actor = actor
        self.role = role
        self.subject = subject
        self.customerID = customerID
    }

    /// The operator at the console: whoever holds the root key can administer the vault anyway, and
    /// the audit log records which local user that was (through `sudo`, the user who ran it).
    public static let localOperator: Principal = {
        let user = LocalUser.name
        return Principal(actor: "operator:\(user)", role: "operator", subject: user, customerID: nil)
    }()

    /// The vault itself, keeping its key-epoch schedule.
    static let keySchedule = Principal(actor: "vault:key-schedule", role: "operator", subject: "key-schedule", customerID: nil)

    /// The vault itself, deleting values past their retention.
    static let retentionSchedule = Principal(actor: "vault:retention-schedule", role: "operator", subject: "retention-schedule", customerID: nil)
}

/// The operating-system user running this process, as the audit log names it.
enum LocalUser {
    /// The login name of the effective user (or, under `sudo`, of the user who ran it), reduced to
    /// letters, digits and `-_.@` so it is safe in an audit entry; the numeric id when it has none.
    static let name: String = {
        let uid = geteuid()
        let environment = ProcessInfo.processInfo.environment
        var name: String?
        if uid == 0, let sudoUser = environment["SUDO_USER"], !sudoUser.isEmpty {
            name = "\(sudoUser)(sudo)"
        } else if let entry = getpwuid(uid), let login = entry.pointee.pw_name {
            name = String(cString: login)
        }
        let cleaned = (name ?? "").unicodeScalars.filter {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.@()".unicodeScalars.contains($0))
        }
        return cleaned.isEmpty ? "uid\(uid)" : String(String.UnicodeScalarView(cleaned.prefix(64)))
    }()
}

/// A principal taken from the token cache (`Vault.authenticateForRead`): good only for the audited
/// reads that confirm its token against the database in their own transaction, so no other
/// facade call accepts one.
package struct ProvisionalPrincipal: Sendable {
    /// Who the token stood for when it was last looked up; not for the vault's users, who could
    /// otherwise pass it to a call that does not confirm the token.
    let principal: Principal
    /// The token the read's transaction confirms.
    let tokenID: String
}
