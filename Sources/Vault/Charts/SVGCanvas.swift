import Foundation

/// A small SVG writer for the vault's charts: plot areas with axes, ticks and labels, written by
/// the vault itself (no outside service), readable in any browser.
struct SVGCanvas {
    let width: Double
    let height: Double
    private var body: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// The finished document, with a title and description for screen readers.
    func document(title: String, description: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.number(width))" height="\(Self.number(height))" \
        viewBox="0 0 \(Self.number(width)) \(Self.number(height))" role="img" font-family="sans-serif" font-size="12">
        <title>\(Self.escape(title))</title>
        <desc>\(Self.escape(description))</desc>
        <rect width="100%" height="100%" fill="#ffffff"/>
        \(body.joined(separator: "\n"))
        </svg>

        """
    }

    mutating func line(
        _ x1: Double,
        _ y1: Double,
        _ x2: Double,
        _ y2: Double,
        stroke: String = "#333333",
        width: Double = 1,
        dashed: Bool = false,
        role: String? = nil
    ) {
        body.append(
            #"<line x1="\#(Self.number(x1))" y1="\#(Self.number(y1))" x2="\#(Self.number(x2))" y2="\#(Self.number(y2))" stroke="\#(stroke)" stroke-width="\#(Self.number(width))""#
                + (dashed ? #" stroke-dasharray="4 3""# : "") + Self.role(role) + "/>"
        )
    }

    mutating func circle(_ x: Double, _ y: Double, radius: Double, fill: String, role: String? = nil, title: String? = nil) {
        let tooltip = title.map { "<title>\(Self.escape($0))</title>" } ?? ""
        body.append(
            #"<circle cx="\#(Self.number(x))" cy="\#(Self.number(y))" r="\#(Self.number(radius))" fill="\#(fill)""#
                + Self.role(role) + (tooltip.isEmpty ? "/>" : ">\(tooltip)</circle>")
        )
    }

    mutating func rect(_ x: Double, _ y: Double, width: Double, height: Double, fill: String, role: String? = nil, title: String? = nil) {
        let tooltip = title.map { "<title>\(Self.escape($0))</title>" } ?? ""
        body.append(
            #"<rect x="\#(Self.number(x))" y="\#(Self.number(y))" width="\#(Self.number(width))" height="\#(Self.number(height))" fill="\#(fill)""#
                + Self.role(role) + (tooltip.isEmpty ? "/>" : ">\(tooltip)</rect>")
        )
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double, role: String? = nil) {
        let list = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
        body.append(#"<polyline points="\#(list)" fill="none" stroke="\#(stroke)" stroke-width="\#(Self.number(width))""# + Self.role(role) + "/>")
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(
        _ x: Double,
        _ y: Double,
        _ content: String,
        anchor: Anchor = .start,
        size: Double = 12,
        weight: String = "normal",
        rotate: Bool = false,
        role: String? = nil
    ) {
        let transform = rotate ? #" transform="rotate(-90 \#(Self.number(x)) \#(Self.number(y)))""# : ""
        body.append(
            ##"<text x="\##(Self.number(x))" y="\##(Self.number(y))" text-anchor="\##(anchor.rawValue)" font-size="\##(Self.number(size))" font-weight="\##(weight)" fill="#111111""##
                + transform + Self.role(role) + ">\(Self.escape(content))</text>"
        )
    }

    /// A caption under the plot, wrapped at about `columns` characters a line; returns the height used.
    @discardableResult
    mutating func caption(_ text: String, x: Double, y: Double, columns: Int = 100) -> Double {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if current.count + word.count + 1 > columns, !current.isEmpty {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        if !current.isEmpty { lines.append(current) }
        for (index, line) in lines.enumerated() { self.text(x, y + Double(index) * 15, line, size: 11, role: "caption") }
        return Double(lines.count) * 15
    }

    /// Round tick values covering `range`: steps of 1, 2 or 5 times a power of ten, about five of them.
    static func ticks(_ range: ClosedRange<Double>) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return [range.lowerBound] }
        let rough = span / 5
        let power = pow(10, (log10(rough)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough } ?? 10 * power
        var values: [Double] = []
        var value = (range.lowerBound / step).rounded(.up) * step
        while value <= range.upperBound + step * 1e-9 {
            values.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return values
    }

    /// A number for an axis: no more decimals than the step needs.
    static func label(_ value: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : min(6, Int((-log10(step)).rounded(.up)))
        return String(format: "%.\(decimals)f", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    private static func role(_ role: String?) -> String { role.map { #" class="\#($0)""# } ?? "" }
}
