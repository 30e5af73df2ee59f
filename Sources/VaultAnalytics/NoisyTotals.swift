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
                measure,
                .fieldSum(field),
                over: .fieldCount(field),
                factor: 1,
                bounds: Double(bounds.lowerBound)...Double(bounds.upperBound)
            )
        case .clv:
            let perCustomer = model.annualMargin
            return ratio(
                measure,
                .marginSum,
                over: .count,
                factor: marginFactor,
                bounds: (Double(perCustomer.lowerBound) * model.multiplier)...(Double(perCustomer.upperBound) * model.multiplier)
            )
        case .customerEquity:
            return linear(measure, .marginSum, factor: marginFactor)
        case .retention:
            return ratio(measure, .retained, over: .activeYearBefore, factor: 1, bounds: 0...1)
        case .shareOfWallet:
            return ratio(measure, .walletSum, over: .walletCount, factor: 1 / Double(Statistic.walletScale), bounds: 0...1)
        case .marginMean:
            let bounds = model.annualMargin
            return ratio(
                measure,
                .marginSum,
                over: .count,
                factor: 1 / Double(model.windowYears),
                bounds: Double(bounds.lowerBound)...Double(bounds.upperBound)
            )
        case .marginVariance:
            let variance = marginVariance()
            return .init(measure: measure.description, value: variance.value, noiseScale: variance.noiseScale, interval: variance.interval)
        case .marginStandardDeviation:
            // Post-processing of the variance; its noise scale by the delta method (b ÷ 2σ).
            let variance = marginVariance()
            let deviation = variance.value.squareRoot()
            return .init(
                measure: measure.description,
                value: deviation,
                noiseScale: deviation > 0 ? variance.noiseScale / (2 * deviation) : variance.noiseScale.squareRoot(),
                interval: variance.interval.lowerBound.squareRoot()...variance.interval.upperBound.squareRoot()
            )
        }
    }

    /// The variance of annual margin across the group's customers, Σ(x − c)²/n − (Σx/n − c)² with
    /// c the middle of the bounds, from three noisy totals, clamped to [0, (b − a)²/4] (no quantity
    /// in [a, b] varies more: Popoviciu).
    ///
    /// Its interval takes each total at 1 − 5 %/3 (all three hold together with probability ≥ 95 %
    /// by the union bound) and bounds the expression over that box by interval arithmetic, which
    /// is conservative; when the count's lower end is below one it is the whole of [0, (b − a)²/4].
    /// The noise scale given is the sum of squares' divided by the noisy count, the dominant term.
    private func marginVariance() -> (value: Double, noiseScale: Double, interval: ClosedRange<Double>) {
        let model = plan.configuration.lifetimeValue
        let low = Double(model.annualMargin.lowerBound)
        let high = Double(model.annualMargin.upperBound)
        let ceiling = (high - low) * (high - low) / 4
        func clamp(_ x: Double) -> Double { min(max(x, 0), ceiling) }
        let years = Double(model.windowYears)
        let (n, s, q) = (plan.position(of: .count), plan.position(of: .marginSum), plan.position(of: .marginSquareSum))
        let count = Double(max(1, values[n]))
        let centre = Double(Statistic.centre(of: model.annualMargin))
        let offset = min(max(Double(values[s]) / years / count, low), high) - centre
        let value = clamp(Double(values[q]) / count - offset * offset)
        let noiseScale = plan.noise[q].scale / count
        let width = [n, s, q].map { plan.noise[$0].halfWidth(failure: 0.05 / 3) }
        let countLow = values[n].saturatingAdd(-width[0])
        guard countLow >= 1 else { return (value, noiseScale, 0...ceiling) }
        let counts = [Double(countLow), Double(values[n].saturatingAdd(width[0]))]
        let sums = [Double(values[s].saturatingAdd(-width[1])) / years, Double(values[s].saturatingAdd(width[1])) / years]
        let squares = [Double(values[q].saturatingAdd(-width[2])), Double(values[q].saturatingAdd(width[2]))]
        let offsets = sums.flatMap { sum in counts.map { min(max(sum / $0, low), high) - centre } }
        let (offsetLow, offsetHigh) = (offsets.min()!, offsets.max()!)
        let meanSquareLow = offsetLow <= 0 && offsetHigh >= 0 ? 0 : min(offsetLow * offsetLow, offsetHigh * offsetHigh)
        let meanSquareHigh = max(offsetLow * offsetLow, offsetHigh * offsetHigh)
        let perCustomer = squares.flatMap { square in counts.map { square / $0 } }
        return (value, noiseScale, clamp(perCustomer.min()! - meanSquareHigh)...clamp(perCustomer.max()! - meanSquareLow))
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
            measure: measure.description,
            value: Double(value) * factor,
            noiseScale: plan.noise[position].scale * factor,
            interval: (Double(value.saturatingAdd(-halfWidth)) * factor)...(Double(value.saturatingAdd(halfWidth)) * factor)
        )
    }

    private func ratio(
        _ measure: Measure,
        _ numerator: Statistic,
        over denominator: Statistic,
        factor: Double,
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
            measure: measure.description,
            value: value,
            noiseScale: noiseScale,
            interval: clamp(corners.min()!)...clamp(corners.max()!)
        )
    }
}
