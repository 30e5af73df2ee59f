/// One group's noisy totals, turned into measures: post-processing only, so floating point is safe here.
///
/// Intervals: a total with noise half-width h (|noise| ≤ h with probability ≥ 95 %) is reported as
/// value ± h. A ratio (means, CLV, retention, share of wallet) = noisy numerator ÷ max(1, noisy
/// denominator), clamped to the measure's bounds; its interval takes each total at 97.5 % (so both
/// hold together with probability ≥ 95 % by the union bound), spans the ratios at the corners of
/// that rectangle, and is clipped to the bounds; when the denominator's lower end is below one the
/// interval is the whole of the bounds, since nothing better can be said.
struct NoisyTotals {
    let plan: AggregatePlan
    let values: [Int64]

    func value(of measure: Measure) -> AggregateResult.Value {
        let configuration = plan.configuration
        let model = configuration.lifetimeValue
        // A window's margin sum is worth multiplier ÷ years in lifetime value.
        let marginFactor = model.multiplier / Double(model.windowYears)
        switch measure {
        case .count, .rfm:
            return linear(measure, .count, factor: 1)
        case .sum(let name):
            return linear(measure, .fieldSum(field(name)), factor: 1)
        case .mean(let name):
            let field = field(name)
            let bounds = configuration.fields[field].bounds
            return ratio(
                measure, .fieldSum(field), over: .fieldCount(field), factor: 1,
                bounds: Double(bounds.lowerBound)...Double(bounds.upperBound))
        case .clv:
            let perCustomer = model.annualMargin
            return ratio(
                measure, .marginSum, over: .count, factor: marginFactor,
                bounds: (Double(perCustomer.lowerBound) * model.multiplier)...(Double(perCustomer.upperBound) * model.multiplier))
        case .customerEquity:
            return linear(measure, .marginSum, factor: marginFactor)
        case .retention:
            return ratio(measure, .retained, over: .activeYearBefore, factor: 1, bounds: 0...1)
        case .shareOfWallet:
            return ratio(measure, .walletSum, over: .walletCount, factor: 1 / Double(Statistic.walletScale), bounds: 0...1)
        }
    }

    private func field(_ name: String) -> Int {
        guard let field = plan.configuration.fields.firstIndex(where: { $0.name == name }) else {
            preconditionFailure("the plan checked every measure field")
        }
        return field
    }

    private func linear(_ measure: Measure, _ statistic: Statistic, factor: Double) -> AggregateResult.Value {
        let position = plan.position(of: statistic)
        let value = values[position]
        let halfWidth = plan.halfWidth95[position]
        return .init(
            measure: measure.description, value: Double(value) * factor,
            noiseScale: plan.noise[position].scale * factor,
            interval: (Double(value.saturatingAdd(-halfWidth)) * factor)...(Double(value.saturatingAdd(halfWidth)) * factor))
    }

    private func ratio(
        _ measure: Measure, _ numerator: Statistic, over denominator: Statistic, factor: Double,
        bounds: ClosedRange<Double>
    ) -> AggregateResult.Value {
        func clamp(_ x: Double) -> Double { min(max(x, bounds.lowerBound), bounds.upperBound) }
        let top = plan.position(of: numerator)
        let bottom = plan.position(of: denominator)
        let divisor = Double(max(1, values[bottom]))
        let value = clamp(Double(values[top]) * factor / divisor)
        let noiseScale = plan.noise[top].scale * factor / divisor
        let bottomLow = values[bottom].saturatingAdd(-plan.halfWidth975[bottom])
        guard bottomLow >= 1 else {
            return .init(measure: measure.description, value: value, noiseScale: noiseScale, interval: bounds)
        }
        let bottomHigh = Double(values[bottom].saturatingAdd(plan.halfWidth975[bottom]))
        let topLow = Double(values[top].saturatingAdd(-plan.halfWidth975[top])) * factor
        let topHigh = Double(values[top].saturatingAdd(plan.halfWidth975[top])) * factor
        let corners = [topLow / Double(bottomLow), topLow / bottomHigh, topHigh / Double(bottomLow), topHigh / bottomHigh]
        return .init(
            measure: measure.description, value: value, noiseScale: noiseScale,
            interval: clamp(corners.min()!)...clamp(corners.max()!))
    }
}
