/// An error from a vault use case: a stable code, a kind that maps to an exit code or HTTP status,
/// and a message that never contains a customer's values.
public struct VaultError: Error, Equatable, Sendable, CustomStringConvertible {
    /// How the failure should surface: CLI exit 1 for all of them, HTTP status per kind.
    public enum Kind: String, Sendable {
        /// The request itself is wrong (400).
        case invalidRequest
        /// No or a bad credential (401).
        case unauthenticated
        /// The policy refused (403).
        case denied
        /// Nothing there, or not visible to this actor (404).
        case notFound
        /// The customer was erased (410).
        case gone
        /// The state does not allow it now (409).
        case conflict
        /// A privacy budget is exhausted (429).
        case budgetExhausted
        /// Too many attempts from one client or for one address; try later (429).
        case rateLimited
        /// Stored data failed an integrity check (500, and an alarm).
        case integrity
        /// Something outside the request failed (500/503).
        case unavailable
    }

    /// The kind of failure.
    public let kind: Kind
    /// A stable, machine-readable code (e.g. `.customerErased`).
    public let code: Code
    /// What was wrong, where, and what to do. Never holds personal values.
    public let message: String

    /// Creates an error.
    package init(_ kind: Kind, code: Code, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }

    static func invalid(_ code: Code, _ message: String) -> Self { .init(.invalidRequest, code: code, message) }
    static func denied(_ code: Code, _ message: String) -> Self { .init(.denied, code: code, message) }
    static func notFound(_ what: String) -> Self { .init(.notFound, code: .notFound, "\(what) not found") }
    static func conflict(_ code: Code, _ message: String) -> Self { .init(.conflict, code: code, message) }
    static func integrity(_ message: String) -> Self { .init(.integrity, code: .integrityFailure, message) }
    static var unauthenticated: Self {
        .init(
            .unauthenticated,
            code: .unauthenticated,
            "missing or invalid token: present a token issued by `cvault token issue`"
        )
    }
    static func erased(_ customerID: String) -> Self {
        .init(.gone, code: .customerErased, "customer \(customerID) was erased: their data was crypto-shredded and cannot be read")
    }
}
