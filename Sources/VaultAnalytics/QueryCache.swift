/// Earlier answers by cache key (`AggregatePlan.cacheKey(snapshot:)`), so an identical repeated query
/// gets the identical answer at no ε cost and averaging repeats learns nothing new. An in-memory
/// model of the facade's persistent cache; evicting the oldest entry is safe, as a re-asked evicted
/// query is simply charged again.
package struct QueryCache: Sendable {
    /// The most answers kept.
    package let capacity: Int
    private var answers: [String: AggregateResult] = [:]
    private var insertionOrder: [String] = []

    /// An empty cache holding at most `capacity` answers.
    package init(capacity: Int = 1024) {
        precondition(capacity > 0, "a cache must hold at least one answer")
        self.capacity = capacity
    }

    /// The earlier answer under `key`, if any.
    package func answer(for key: String) -> AggregateResult? { answers[key] }

    /// Keeps `result` under `key`, evicting the oldest answer when full; an existing answer is never replaced,
    /// so a race between two identical queries cannot swap the answer an analyst already saw.
    package mutating func store(_ result: AggregateResult, for key: String) {
        guard answers[key] == nil else { return }
        if insertionOrder.count == capacity { answers[insertionOrder.removeFirst()] = nil }
        answers[key] = result
        insertionOrder.append(key)
    }
}
