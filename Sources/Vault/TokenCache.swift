import Foundation
import Synchronization
import VaultStore

/// The tokens this process has seen, by keyed hash, so that an audited read need not look its
/// token up before it joins a batch. Never trusted alone: a read that used it confirms its token
/// (still stored, not revoked, not expired) inside the read's own transaction, under the writers'
/// lock, before anything is decided — so a revocation by any instance stops the very next read.
final class TokenCache: Sendable {
    private let rows = Mutex<[Data: TokenRow]>([:])
    /// Enough for every token a busy server sees; beyond it the cache starts over.
    private let capacity = 4096

    /// The token stored under `hash`, as last looked up.
    func row(hash: Data) -> TokenRow? {
        rows.withLock { $0[hash] }
    }

    /// Keeps `row` for the next request that presents its token.
    func remember(_ row: TokenRow) {
        rows.withLock { rows in
            if rows.count >= capacity { rows.removeAll(keepingCapacity: true) }
            rows[row.hash] = row
        }
    }

    /// Drops the token `id` (revoked, expired, or no longer stored).
    func forget(id: String) {
        rows.withLock { rows in
            if let hash = rows.first(where: { $0.value.id == id })?.key { rows[hash] = nil }
        }
    }
}
