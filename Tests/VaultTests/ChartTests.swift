import Foundation
import Testing
import VaultAnalytics
import VaultStore
import VaultTestSupport

@testable import Vault

#if canImport(FoundationXML)
import FoundationXML
import VaultPolicy
#endif

/// Charts of released aggregates: well-formed SVG with the expected elements, and drawn by a real
/// browser (headless Chromium, `CVAULT_TEST_CHROMIUM`, which `.ci/run` sets) into a non-blank PNG.
@Suite("Aggregate charts")
struct ChartTests {
    /// Every element of a document, by name, with its attributes and text.
    final class Elements: NSObject, XMLParserDelegate {
        var found: [(name: String, attributes: [String: String], text: String)] = []
        private var open: [Int] = []

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            found.append((name, attributes, ""))
            open.append(found.count - 1)
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let last = open.last { found[last].text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { open.removeLast() }

        func withClass(_ role: String) -> [(name: String, attributes: [String: String], text: String)] {
            found.filter { $0.attributes["class"] == role }
        }
    }

    static func parse(_ svg: String) throws -> Elements {
        let parser = XMLParser(data: Data(svg.utf8))
        let elements = Elements()
        parser.delegate = elements
        guard parser.parse() else {
            throw TestDatabaseError(description: "the chart is not well-formed XML: \(String(describing: parser.parserError))")
        }
        return elements
    }

    static func answer(portfolio: Bool) async throws -> AggregateAnswer {
        let test = try await TestVault.make(customers: 600, policyText: AggregateTests.generousPolicy)
        defer { test.remove() }
        let request = AggregateRequest(measures: ["clv", "count", "retention"], groupBy: ["region"], epsilon: 1000, portfolio: portfolio)
        return try await test.vault.aggregate(request, by: try await test.principal("analyst"))
    }

    @Test("error bars: one value and one bar per group and measure, axes with units, a caption stating ε and the threshold")
    func errorBars() async throws {
        let answer = try await Self.answer(portfolio: false)
        let svg = AggregateChart.svg(for: answer)
        let elements = try Self.parse(svg)
        let groups = answer.result.groups.count
        let measures = answer.result.groups.first?.values.count ?? 0
        #expect(groups >= 2 && measures == 3)
        #expect(elements.withClass("value").count == groups * measures)
        #expect(elements.withClass("error-bar").count == groups * measures)
        #expect(Set(elements.withClass("group-label").map(\.text)) == Set(answer.result.groups.map { $0.key["region"]! }))
        #expect(elements.withClass("panel-title").map(\.text) == ["clv (currency units)", "count (customers)", "retention (%)"])
        let caption = elements.withClass("caption").map(\.text).joined(separator: " ")
        #expect(caption.contains("ε = 1000") && caption.contains("at least \(answer.result.suppressionThreshold)") && caption.contains("95 %"))
        #expect(elements.found.first?.name == "svg" && elements.found.contains { $0.name == "title" && !$0.text.isEmpty })
        try Self.render(svg, name: "aggregate")
    }

    @Test("the portfolio plane: a point per group, the efficient ones marked, the frontier through them, both axes titled")
    func portfolioPlane() async throws {
        let answer = try await Self.answer(portfolio: true)
        let set = try #require(answer.efficientSet)
        let svg = AggregateChart.svg(for: answer)
        let elements = try Self.parse(svg)
        #expect(elements.withClass("efficient-group").count == set.frontier.count)
        #expect(elements.withClass("group").count == set.groups.count - set.frontier.count)
        let frontier = elements.withClass("frontier")
        #expect(frontier.count == (set.frontier.count > 1 ? 1 : 0))
        if let line = frontier.first { #expect(line.attributes["points"]?.split(separator: " ").count == set.frontier.count) }
        #expect(elements.withClass("axis-title").map(\.text).contains { $0.contains("variance") && $0.contains("currency units²") })
        #expect(elements.withClass("caption").map(\.text).joined(separator: " ").contains("no further privacy cost"))
        try Self.render(svg, name: "portfolio")
    }

    @Test(
        "the audit chart: a bar per day and role, per day and purpose, a coverage bar per purpose matching the report, and a caption naming the checkpoint"
    )
    func auditReport() async throws {
        let test = try await TestVault.make(customers: 50)
        defer { test.remove() }
        let support = try await test.principal("support")
        let marketing = try await test.principal("marketing")
        _ = try await test.vault.readCustomer(test.customers[0].id, purpose: "service", by: support)
        test.clock.advance(by: 86_400)
        _ = try await test.vault.readCustomer(test.customers[1].id, purpose: "marketing", by: marketing)
        let customer = try await test.customerPrincipal(test.customers[2].id)
        try await test.vault.setMyConsent(purpose: "analytics", to: .withdrawn, by: customer)
        let report = try await test.vault.auditReport(from: nil, to: nil, by: try await test.principal("auditor"))

        #expect(report.byDayAndRole.count == 2, "two days of entries")
        let analytics = try #require(report.consentCoverage.first { $0.purpose == "analytics" })
        let granted =
            test.customers.filter { $0.consents["analytics"] == .granted }.count - (test.customers[2].consents["analytics"] == .granted ? 1 : 0)
        #expect(analytics.customers == 50 && analytics.granted == granted && analytics.holds == granted)
        #expect(report.consentCoverage.first { $0.purpose == "service" }?.holds == 50, "a contract purpose holds for everyone")

        let svg = AuditChart.svg(report)
        let elements = try Self.parse(svg)
        let bars = elements.withClass("bar")
        let cells = report.byDayAndRole.values.reduce(0) { $0 + $1.count } + report.byDayAndPurpose.values.reduce(0) { $0 + $1.count }
        #expect(bars.count == cells)
        // Each bar's tooltip (its <title>, the element after it) holds its count.
        let tooltips = elements.found.indices.dropLast().filter { elements.found[$0].attributes["class"] == "bar" }.map {
            elements.found[$0 + 1].text
        }
        let drawn = tooltips.compactMap { $0.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }.reduce(0, +)
        let counted = report.byDayAndRole.values.flatMap(\.values).reduce(0, +) + report.byDayAndPurpose.values.flatMap(\.values).reduce(0, +)
        #expect(drawn == counted, "the bars' tooltips add up to the report's counts")
        #expect(elements.withClass("coverage").count == report.consentCoverage.count)
        #expect(
            elements.withClass("panel-title").map(\.text) == [
                "Entries per day by role (entries)", "Entries per day by purpose (entries)",
                "Consent coverage: live customers for whom each purpose holds (%)",
            ]
        )
        let caption = elements.withClass("caption").map(\.text).joined(separator: " ")
        #expect(caption.contains("no ε") && caption.contains("no threshold") && caption.contains("checkpoint size"))
        try Self.render(svg, name: "audit")
    }

    /// Draws `svg` in headless Chromium and checks the PNG is a real drawing: larger than the same
    /// page left blank. Kept in `CVAULT_CHARTS_OUT` when set, so CI can see that this ran.
    static func render(_ svg: String, name: String) throws {
        guard let chromium = ProcessInfo.processInfo.environment["CVAULT_TEST_CHROMIUM"], !chromium.isEmpty else {
            FileHandle.standardError.write(Data("CVAULT_TEST_CHROMIUM is not set: the chart \(name) was not drawn in a browser (CI sets it)\n".utf8))
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-chart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func draw(_ document: String, _ file: String) throws -> Data {
            let source = folder.appendingPathComponent("\(file).svg")
            let image = folder.appendingPathComponent("\(file).png")
            try Data(document.utf8).write(to: source)
            let result = try ChildProcess.run(
                chromium,
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=800,1000",
                    "--screenshot=\(image.path)", source.absoluteString,
                ]
            )
            #expect(result.status == 0, "chromium: \(result.stderr.suffix(500))")
            return try Data(contentsOf: image)
        }
        let png = try draw(svg, name)
        let blank = try draw(
            ##"<svg xmlns="http://www.w3.org/2000/svg" width="760" height="560"><rect width="100%" height="100%" fill="#ffffff"/></svg>"##,
            "blank"
        )
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "not a PNG")
        #expect(png.count > 3 * blank.count, "the chart drew little more than a blank page: \(png.count) bytes against \(blank.count)")
        if let out = ProcessInfo.processInfo.environment["CVAULT_CHARTS_OUT"], !out.isEmpty {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try png.write(to: URL(fileURLWithPath: out).appendingPathComponent("\(name).png"))
        }
    }
}
