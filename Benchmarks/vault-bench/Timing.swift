import Foundation

/// Clocks and number formats shared by the end-to-end suites (store, auditlog, aggregate).
enum Timing {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Seconds `body` takes.
    nonisolated(nonsending) static func time(_ body: () async throws -> Void) async rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try await body()
        return seconds(clock.now - start)
    }

    /// The fastest of `rounds` runs: the machine is shared, and noise only ever adds time.
    nonisolated(nonsending) static func best(of rounds: Int, _ body: (Int) async throws -> Double) async rethrows -> Double {
        var best = Double.infinity
        for round in 0..<max(1, rounds) { best = min(best, try await body(round)) }
        return best
    }

    /// Per-call latencies of `count` sequential calls, and the rate they ran at.
    struct Latencies {
        var p50: Double
        var p99: Double
        var rate: Double

        init(_ samples: [Double], wall: Double) {
            let sorted = samples.sorted()
            p50 = sorted[sorted.count / 2]
            p99 = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
            rate = Double(sorted.count) / wall
        }
    }

    nonisolated(nonsending) static func latencies(_ count: Int, _ body: (Int) async throws -> Void) async rethrows -> Latencies {
        let clock = ContinuousClock()
        var samples: [Double] = []
        samples.reserveCapacity(count)
        let start = clock.now
        for index in 0..<count {
            let began = clock.now
            try await body(index)
            samples.append(seconds(clock.now - began))
        }
        return Latencies(samples, wall: seconds(clock.now - start))
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 1e-3 { return String(format: "%.1f µs", seconds * 1e6) }
        if seconds < 1 { return String(format: "%.1f ms", seconds * 1e3) }
        return String(format: "%.2f s", seconds)
    }

    static func rate(_ perSecond: Double, _ unit: String = "/s") -> String {
        perSecond >= 100 ? "\(grouped(Int(perSecond.rounded())))\(unit)" : String(format: "%.1f%@", perSecond, unit)
    }

    static func ratio(_ value: Double) -> String { String(format: "%.2f×", value) }

    static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (number < 0 ? "-" : "") + out
    }

    /// Whether the goal holds, for the table's last column.
    static func verdict(_ met: Bool) -> String { met ? "met" : "**missed**" }
}
