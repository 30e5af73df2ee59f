public import Foundation

/// The vault's source of time, injected so tests can fix it.
public protocol VaultClock: Sendable {
    /// The current time.
    func now() -> Date
}

/// The system's wall clock.
public struct SystemClock: VaultClock {
    /// The system clock.
    public init() {}
    /// `Date()`.
    public func now() -> Date { Date() }
}
