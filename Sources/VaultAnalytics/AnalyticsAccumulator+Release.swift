package import VaultCrypto

extension AnalyticsAccumulator {
    /// Adds fresh noise to every total and releases the groups whose noisy count reaches the plan's
    /// threshold. Call it once per charged query: each call is a new draw and costs the query's ε.
    ///
    /// Group discovery: only cells with at least one customer are candidates, and a candidate is shown
    /// only through its noisy count, so a cell whose customers are fewer than k appears with
    /// probability ≤ δ, and one customer's presence changes the shown set with probability ≤ δ: the
    /// release is (ε, δ)-differentially private. `suppressedGroups` counts the public domain's cells
    /// that are not shown, a function of the shown set alone; it reveals nothing about which cells
    /// are empty. Releasing every cell of the domain, empty ones included, would be purely ε-DP, but
    /// would show groups nobody is in whenever noise alone crosses the threshold; with δ at 10⁻⁹ and
    /// the threshold set from it, the data-driven set is the sounder promise to an analyst.
    package func release(using random: some RandomSource) -> AggregateResult {
        var bits = RandomBits(random)
        var released: [AggregateResult.Group] = []
        for (cell, exact) in groups {
            let count = exact[exact.startIndex].saturatingAdd(plan.noise[0].sample(from: &bits))
            guard count >= plan.suppressionThreshold else { continue }
            var noisy = [count]
            for offset in 1..<plan.statistics.count {
                noisy.append(exact[exact.startIndex + offset].saturatingAdd(plan.noise[offset].sample(from: &bits)))
            }
            let totals = NoisyTotals(plan: plan, values: noisy)
            released.append(.init(key: plan.key(ofCell: cell), values: plan.query.measures.map(totals.value(of:))))
        }
        return AggregateResult(
            query: plan.query.canonicalForm,
            epsilon: plan.query.epsilon,
            groups: released,
            suppressedGroups: plan.domainSize - released.count,
            suppressionThreshold: plan.suppressionThreshold,
            asOf: plan.configuration.asOf
        )
    }
}
