import Foundation
import Synchronization

/// An in-memory limit on portal form posts per client, checked before any database work: a flood
/// of sign-in attempts would otherwise be a flood of write transactions and audit entries. Each
/// client may post `burst` forms, refilled at one per `refill`; per instance, so the limits kept
/// in the database remain the rule across instances.
final class PortalGate: Sendable {
    private struct Bucket {
        var tokens: Double
        var at: ContinuousClock.Instant
    }
    private let buckets = Mutex<[String: Bucket]>([:])
    private let burst: Double
    private let refill: Duration

    init(burst: Int = 60, refill: Duration = .seconds(10)) {
        self.burst = Double(burst)
        self.refill = refill
    }

    /// Whether `client` may post now (and takes one token if so).
    func admit(_ client: String) -> Bool {
        let now = ContinuousClock.now
        return buckets.withLock { buckets in
            // Forget full buckets now and then, so that the table cannot grow without bound.
            if buckets.count > 100_000 { buckets = buckets.filter { now - $0.value.at < refill * Int(burst) } }
            var bucket = buckets[client] ?? Bucket(tokens: burst, at: now)
            let elapsed = Double((now - bucket.at).components.seconds) + Double((now - bucket.at).components.attoseconds) / 1e18
            let perSecond = 1 / (Double(refill.components.seconds) + Double(refill.components.attoseconds) / 1e18)
            bucket.tokens = min(burst, bucket.tokens + elapsed * perSecond)
            bucket.at = now
            guard bucket.tokens >= 1 else {
                buckets[client] = bucket
                return false
            }
            bucket.tokens -= 1
            buckets[client] = bucket
            return true
        }
    }
}
