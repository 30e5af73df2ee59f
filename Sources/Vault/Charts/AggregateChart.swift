import Foundation
public import VaultAnalytics

/// Charts of released aggregates, drawn as SVG by the vault from the released numbers only.
public enum AggregateChart {
    /// The chart of an answer: the portfolio plane for a portfolio request, error bars otherwise.
    public static func svg(for answer: AggregateAnswer) -> String {
        answer.efficientSet.map { portfolioSVG($0, result: answer.result) } ?? svg(answer.result)
    }

    /// One panel per measure: each released group's noisy value with its 95 % interval as an error
    /// bar, and a caption stating ε, the suppression threshold and what the bars mean.
    public static func svg(_ result: AggregateResult, unit: (String) -> ChartUnit = ChartUnit.of) -> String {
        let measures = result.groups.first?.values.map(\.measure) ?? []
        let panelHeight = 230.0
        let top = 50.0
        let left = 100.0
        let width = 760.0
        var canvas = SVGCanvas(width: width, height: top + Double(max(1, measures.count)) * panelHeight + 80)
        canvas.text(left, 26, "Aggregate: \(result.query)", size: 14, weight: "bold", role: "heading")
        if result.groups.isEmpty {
            canvas.text(left, top + 40, "No group cleared the suppression threshold: nothing to draw.", role: "empty")
        }
        for (index, measure) in measures.enumerated() {
            let unit = unit(measure)
            let points = result.groups.map { group -> (label: String, value: Double, low: Double, high: Double) in
                let value = group.values.first { $0.measure == measure }
                return (
                    label(group.key), (value?.value ?? 0) / unit.divisor,
                    (value?.interval.lowerBound ?? 0) / unit.divisor, (value?.interval.upperBound ?? 0) / unit.divisor
                )
            }
            let plot = ChartPlot(x: left, y: top + Double(index) * panelHeight + 20, width: width - left - 30, height: panelHeight - 80)
            let range = padded(min(0, points.map(\.low).min() ?? 0)...max(points.map(\.high).max() ?? 1, 0))
            canvas.text(plot.x, plot.y - 8, unit.name.isEmpty ? measure : "\(measure) (\(unit.name))", weight: "bold", role: "panel-title")
            plot.yAxis(&canvas, range: range)
            let slot = plot.width / Double(max(1, points.count))
            for (position, point) in points.enumerated() {
                let x = plot.x + slot * (Double(position) + 0.5)
                let (yValue, yLow, yHigh) = (plot.yPosition(point.value, range), plot.yPosition(point.low, range), plot.yPosition(point.high, range))
                canvas.line(x, yLow, x, yHigh, stroke: "#1f4e79", width: 1.5, role: "error-bar")
                canvas.line(x - 6, yLow, x + 6, yLow, stroke: "#1f4e79", width: 1.5)
                canvas.line(x - 6, yHigh, x + 6, yHigh, stroke: "#1f4e79", width: 1.5)
                canvas.circle(
                    x,
                    yValue,
                    radius: 4,
                    fill: "#1f4e79",
                    role: "value",
                    title: "\(point.label): \(format(point.value)) (95 % interval \(format(point.low)) to \(format(point.high)))"
                )
                canvas.text(x, plot.y + plot.height + 16, shortened(point.label), anchor: .middle, size: 10, role: "group-label")
            }
        }
        canvas.caption(
            "Noisy values released with ε = \(result.epsilon) (discrete Laplace noise); each bar is a 95 % interval for the noise alone. "
                + "A group is shown only if its noisy count is at least \(result.suppressionThreshold); "
                + "\(result.suppressedGroups) group(s) of the domain are not shown (suppressed or empty). As of \(DayNumber.isoDate(result.asOf)).",
            x: left,
            y: canvas.height - 60
        )
        return canvas.document(title: "Aggregate \(result.query)", description: "Noisy group values with 95 % intervals, ε = \(result.epsilon)")
    }

    /// The released groups in the plane of variance (x) and mean (y) of annual margin per
    /// customer, the efficient ones filled, and the efficient frontier through its corners.
    public static func portfolioSVG(_ set: EfficientSet, result: AggregateResult) -> String {
        let (left, width, height) = (100.0, 760.0, 560.0)
        var canvas = SVGCanvas(width: width, height: height)
        canvas.text(left, 26, "Customer portfolio: mean and variance of annual margin per customer", size: 14, weight: "bold", role: "heading")
        let plot = ChartPlot(x: left, y: 50, width: width - left - 90, height: height - 200)
        let xs = set.groups.map { $0.variance / ChartUnit.moneySquared.divisor }
        let ys = set.groups.map { $0.mean / ChartUnit.money.divisor }
        // The groups' own ranges, not from zero: what matters is how they lie against each other.
        let xRange = padded((xs.min() ?? 0)...(xs.max() ?? 1))
        let yRange = padded((ys.min() ?? 0)...(ys.max() ?? 1))
        plot.yAxis(&canvas, range: yRange)
        plot.xAxis(&canvas, range: xRange)
        canvas.text(
            plot.x + plot.width / 2,
            plot.y + plot.height + 38,
            "variance of annual margin per customer (currency units²)",
            anchor: .middle,
            role: "axis-title"
        )
        canvas.text(
            plot.x - 70,
            plot.y + plot.height / 2,
            "mean annual margin per customer (currency units)",
            anchor: .middle,
            rotate: true,
            role: "axis-title"
        )
        let corners = set.frontier.map {
            (plot.xPosition($0.variance / ChartUnit.moneySquared.divisor, xRange), plot.yPosition($0.mean / ChartUnit.money.divisor, yRange))
        }
        if corners.count > 1 { canvas.polyline(corners, stroke: "#b35900", width: 2.5, role: "frontier") }
        for (group, (x, y)) in zip(set.groups, zip(xs, ys)) {
            let (px, py) = (plot.xPosition(x, xRange), plot.yPosition(y, yRange))
            canvas.circle(
                px,
                py,
                radius: 5,
                fill: group.efficient ? "#b35900" : "#8c8c8c",
                role: group.efficient ? "efficient-group" : "group",
                title: "\(label(group.key)): mean \(format(y)), variance \(format(x))\(group.efficient ? ", on the efficient set" : "")"
            )
            canvas.text(px + 8, py - 6, shortened(label(group.key)), size: 10, role: "group-label")
        }
        canvas.caption(
            "Each point is a released group (noisy, ε = \(result.epsilon); groups need a noisy count of at least \(result.suppressionThreshold)). "
                + "The orange line is the efficient set: the highest mean margin per customer for each variance, reached by mixing the "
                + "two corner groups at its ends; computed from the released numbers only, at no further privacy cost, and assuming "
                + "customers' margins independent (no covariance between groups is estimated). As of \(DayNumber.isoDate(result.asOf)).",
            x: left,
            y: plot.y + plot.height + 66
        )
        return canvas.document(title: "Customer portfolio", description: "Groups by mean and variance of annual margin, with the efficient frontier")
    }

    private static func label(_ key: [String: String]) -> String {
        key.isEmpty ? "all customers" : key.sorted { $0.key < $1.key }.map(\.value).joined(separator: ", ")
    }

    private static func shortened(_ text: String) -> String { text.count > 22 ? String(text.prefix(21)) + "…" : text }

    private static func format(_ value: Double) -> String { abs(value) >= 100 ? String(format: "%.0f", value) : String(format: "%.2f", value) }

    /// The range with 5 % room on each side; a single value gets a unit either side.
    private static func padded(_ range: ClosedRange<Double>) -> ClosedRange<Double> {
        let span = range.upperBound - range.lowerBound
        guard span > 0 else { return (range.lowerBound - 1)...(range.upperBound + 1) }
        return (range.lowerBound - span * 0.05)...(range.upperBound + span * 0.05)
    }
}
