import Foundation
import VaultAnalytics
import VaultAudit

/// The compliance report as a chart: entries per day by role and by purpose, and for how many
/// customers each purpose holds. Exact counts from the signed log: the auditor's view.
public enum AuditChart {
    /// The most days drawn; a longer period shows its last days and says so.
    static let maximumDays = 92

    /// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C6D1F", "#000000"]

    /// Three panels: stacked bars of entries per UTC day by role, the same by purpose, and
    /// horizontal bars of consent coverage per purpose; a caption names the checkpoint.
    public static func svg(_ report: AuditReport) -> String {
        let (left, width) = (100.0, 760.0)
        let allDays = calendarDays(report)
        let days = Array(allDays.suffix(maximumDays))
        let coverageHeight = 40.0 + Double(report.consentCoverage.count) * 26
        var canvas = SVGCanvas(width: width, height: 60 + 2 * 260 + coverageHeight + 90)
        canvas.text(left, 26, "Audit report: accesses per day and consent coverage", size: 14, weight: "bold", role: "heading")
        if days.isEmpty {
            canvas.text(left, 70, "No entries in the period: nothing to draw.", role: "empty")
        }
        stackedBars(
            &canvas,
            title: "Entries per day by role",
            days: days,
            counts: report.byDayAndRole,
            plot: ChartPlot(x: left, y: 70, width: width - left - 150, height: 170)
        )
        stackedBars(
            &canvas,
            title: "Entries per day by purpose",
            days: days,
            counts: report.byDayAndPurpose,
            plot: ChartPlot(x: left, y: 330, width: width - left - 150, height: 170)
        )
        let top = 590.0
        canvas.text(left, top - 8, "Consent coverage: live customers for whom each purpose holds (%)", weight: "bold", role: "panel-title")
        let barWidth = width - left - 150
        for (row, coverage) in report.consentCoverage.enumerated() {
            let y = top + 10 + Double(row) * 26
            let share = coverage.customers > 0 ? Double(coverage.holds) / Double(coverage.customers) : 0
            canvas.text(left - 7, y + 13, coverage.purpose, anchor: .end, size: 10, role: "coverage-label")
            canvas.rect(left, y, width: barWidth, height: 18, fill: "#eeeeee")
            canvas.rect(
                left,
                y,
                width: barWidth * share,
                height: 18,
                fill: palette[row % palette.count],
                role: "coverage",
                title: "\(coverage.purpose) (\(coverage.basis)): holds for \(coverage.holds) of \(coverage.customers)"
            )
            canvas.text(left + barWidth + 6, y + 13, "\(Int((share * 100).rounded())) % · \(coverage.basis)", size: 10, role: "coverage-value")
        }
        let size = (try? SignedCheckpoint.parse(report.checkpoint).checkpoint.size).map(String.init) ?? "?"
        let shown = days.count < allDays.count ? " Only the last \(days.count) of \(allDays.count) days are drawn." : ""
        canvas.caption(
            "Exact counts from the signed audit log at checkpoint size \(size): the auditor's view, not a release to analysts, so no noise "
                + "is added (no ε) and no group is suppressed (no threshold). Days are UTC; an entry without a purpose (a policy change, "
                + "a key roll) counts by role only. Coverage replays the log's consent history up to the checkpoint.\(shown)",
            x: left,
            y: canvas.height - 70
        )
        return canvas.document(title: "Audit report", description: "Entries per day by role and by purpose, and consent coverage per purpose")
    }

    /// Every UTC day from the period's start (or the first entry) to its end (or the last entry):
    /// quiet days are drawn empty, so the axis runs evenly in time.
    static func calendarDays(_ report: AuditReport) -> [String] {
        let active = Set(report.byDayAndRole.keys).sorted()
        guard let first = report.from.map({ DayNumber.of($0) }) ?? active.first.flatMap(dayNumber),
            let last = report.to.map({ DayNumber.of($0.addingTimeInterval(-0.001)) }) ?? active.last.flatMap(dayNumber), first <= last
        else { return active }
        return (first...last).map(DayNumber.isoDate)
    }

    /// The day number of `YYYY-MM-DD`.
    private static func dayNumber(_ text: String) -> Int32? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        return parts.count == 3 ? DayNumber.of(year: parts[0], month: parts[1], day: parts[2]) : nil
    }

    /// Stacked bars, one per day, one colour per series (the largest series first), with a legend.
    private static func stackedBars(_ canvas: inout SVGCanvas, title: String, days: [String], counts: [String: [String: Int]], plot: ChartPlot) {
        canvas.text(plot.x, plot.y - 8, title + " (entries)", weight: "bold", role: "panel-title")
        // More series than colours: the smallest share one, "other", so no two look alike.
        var counts = counts
        var totals: [String: Int] = [:]
        for day in days { for (series, count) in counts[day] ?? [:] { totals[series, default: 0] += count } }
        var series = totals.keys.sorted { totals[$0]! != totals[$1]! ? totals[$0]! > totals[$1]! : $0 < $1 }
        if series.count > palette.count {
            let merged = Set(series[(palette.count - 1)...])
            for day in days {
                let other = (counts[day] ?? [:]).filter { merged.contains($0.key) }.values.reduce(0, +)
                counts[day] = (counts[day] ?? [:]).filter { !merged.contains($0.key) }.merging(other > 0 ? ["other": other] : [:]) { $0 + $1 }
            }
            totals["other"] = merged.reduce(0) { $0 + totals[$1]! }
            series = Array(series[..<(palette.count - 1)]) + ["other"]
        }
        let highest = days.map { (counts[$0] ?? [:]).values.reduce(0, +) }.max() ?? 0
        // At least 0…5, so a quiet period still gets whole-number ticks: there is no half an entry.
        let range = 0...Double(max(5, Int((Double(highest) * 1.05).rounded(.up))))
        plot.yAxis(&canvas, range: range)
        let slot = plot.width / Double(max(1, days.count))
        for (position, day) in days.enumerated() {
            var base = 0.0
            for (index, name) in series.enumerated() {
                let count = Double(counts[day]?[name] ?? 0)
                guard count > 0 else { continue }
                let (yTop, yBottom) = (plot.yPosition(base + count, range), plot.yPosition(base, range))
                canvas.rect(
                    plot.x + slot * Double(position) + slot * 0.15,
                    yTop,
                    width: max(1, slot * 0.7),
                    height: max(0.5, yBottom - yTop),
                    fill: palette[index % palette.count],
                    role: "bar",
                    title: "\(day) \(name): \(Int(count))"
                )
                base += count
            }
            // Label a few days only, so the labels never overlap.
            if position % max(1, days.count / 6) == 0 || position == days.count - 1 {
                canvas.text(plot.x + slot * (Double(position) + 0.5), plot.y + plot.height + 16, day, anchor: .middle, size: 10, role: "day-label")
            }
        }
        for (index, name) in series.prefix(palette.count).enumerated() {
            let y = plot.y + Double(index) * 16
            canvas.rect(plot.x + plot.width + 14, y, width: 10, height: 10, fill: palette[index], role: "legend")
            canvas.text(plot.x + plot.width + 30, y + 9, "\(name) (\(totals[name]!))", size: 10, role: "legend-label")
        }
    }
}
