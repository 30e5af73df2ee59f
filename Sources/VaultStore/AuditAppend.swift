public import Foundation

/// Everything one write transaction adds to the audit log, stored in one call at its end.
public struct AuditAppend: Sendable {
    /// When the entries were appended (an entry with a time of its own, as a copy has, keeps it).
    public var at: Date
    /// New entries, in sequence order from the log's size.
    public var entries: [AuditRow] = []
    /// The perfect-subtree hashes those entries complete.
    public var nodes: [(level: Int, index: UInt64, hash: Data)] = []
    /// Newly signed checkpoints, smallest first.
    public var checkpoints: [CheckpointRow] = []
    /// The size of a checkpoint the newest one replaces, to delete.
    public var replacedCheckpoint: UInt64?

    /// An empty append of entries made at `at`.
    public init(at: Date) { self.at = at }

    /// Whether there is nothing to store.
    public var isEmpty: Bool { entries.isEmpty && nodes.isEmpty && checkpoints.isEmpty && replacedCheckpoint == nil }
}
