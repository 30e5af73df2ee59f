/// An error from the storage layer; never contains SQL, statement arguments or stored values.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    private enum Internal: Equatable, Sendable {
        case duplicate(String)
        case notFound(String)
        case conflict(String)
        case corrupted(String)
        case unavailable(String)
    }

    private let value: Internal
    private init(_ value: Internal) { self.value = value }

    /// A row with the same key already exists (`what` names the kind of row, never its values).
    public static func duplicate(_ what: String) -> Self { .init(.duplicate(what)) }
    /// The row the operation needs does not exist.
    public static func notFound(_ what: String) -> Self { .init(.notFound(what)) }
    /// The operation would break a rule the schema enforces.
    public static func conflict(_ what: String) -> Self { .init(.conflict(what)) }
    /// Stored data does not have the shape the schema promises.
    public static func corrupted(_ what: String) -> Self { .init(.corrupted(what)) }
    /// The database could not be opened, read or written.
    public static func unavailable(_ what: String) -> Self { .init(.unavailable(what)) }

    /// What kind of failure this is, for callers that answer each kind differently.
    public enum Kind: Sendable {
        /// A row with the same key exists.
        case duplicate
        /// The row is not there.
        case notFound
        /// A schema rule refused the change.
        case conflict
        /// Stored data is damaged.
        case corrupted
        /// The database cannot be reached or written now; trying again later may work.
        case unavailable
    }

    /// The kind of failure.
    public var kind: Kind {
        switch value {
        case .duplicate: .duplicate
        case .notFound: .notFound
        case .conflict: .conflict
        case .corrupted: .corrupted
        case .unavailable: .unavailable
        }
    }

    /// A stable, machine-readable code.
    public var code: String {
        switch value {
        case .duplicate: "duplicate"
        case .notFound: "not_found"
        case .conflict: "conflict"
        case .corrupted: "corrupted"
        case .unavailable: "storage_unavailable"
        }
    }

    /// What went wrong, for people.
    public var description: String {
        switch value {
        case .duplicate(let what): "\(what) already exists"
        case .notFound(let what): "\(what) not found"
        case .conflict(let what): "conflict: \(what)"
        case .corrupted(let what): "stored data is corrupted: \(what)"
        case .unavailable(let what): "storage unavailable: \(what)"
        }
    }
}
