/// Where the audit log stands when a write transaction starts, loaded in one call.
public struct AuditHead: Sendable, Equatable {
    /// Number of entries (the Merkle tree's size).
    public var size: UInt64
    /// The newest checkpoint.
    public var latestCheckpoint: CheckpointRow?
    /// The log size from which every checkpoint at a multiple of the history interval is kept.
    public var checkpointHistoryStart: UInt64

    /// A head as loaded.
    public init(size: UInt64, latestCheckpoint: CheckpointRow?, checkpointHistoryStart: UInt64) {
        self.size = size
        self.latestCheckpoint = latestCheckpoint
        self.checkpointHistoryStart = checkpointHistoryStart
    }
}
