import Foundation

/// A plot area of a chart and its mapping from values to positions.
struct ChartPlot {
    let x: Double, y: Double, width: Double, height: Double

    func yPosition(_ value: Double, _ range: ClosedRange<Double>) -> Double {
        y + height - (value - range.lowerBound) / (range.upperBound - range.lowerBound) * height
    }

    func xPosition(_ value: Double, _ range: ClosedRange<Double>) -> Double {
        x + (value - range.lowerBound) / (range.upperBound - range.lowerBound) * width
    }

    func yAxis(_ canvas: inout SVGCanvas, range: ClosedRange<Double>) {
        canvas.line(x, y, x, y + height, role: "axis")
        canvas.line(x, y + height, x + width, y + height, role: "axis")
        let ticks = SVGCanvas.ticks(range)
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        for tick in ticks {
            let position = yPosition(tick, range)
            canvas.line(x - 4, position, x, position)
            canvas.line(x, position, x + width, position, stroke: "#dddddd", width: 0.5)
            canvas.text(x - 7, position + 4, SVGCanvas.label(tick, step: step), anchor: .end, size: 10, role: "tick")
        }
    }

    func xAxis(_ canvas: inout SVGCanvas, range: ClosedRange<Double>) {
        let ticks = SVGCanvas.ticks(range)
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        for tick in ticks {
            let position = xPosition(tick, range)
            canvas.line(position, y + height, position, y + height + 4)
            canvas.text(position, y + height + 17, SVGCanvas.label(tick, step: step), anchor: .middle, size: 10, role: "tick")
        }
    }
}
