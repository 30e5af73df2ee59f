import Dispatch
import Foundation
import Synchronization
import VaultAnalytics
import VaultCrypto

/// The analytics engine alone: accumulating synthetic customers (mean CLV and customer equity by
/// region) on one core and split across two, beside a plain exact GROUP BY loop over the same
/// records, and the exact discrete Laplace sampler. The end-to-end comparison with SQLite is the facade's.
///
///     vault-bench analytics [--customers 1000000] [--purchases 20] [--quick]
enum AnalyticsBenchmarks {
    static func run(_ options: BenchOptions) {
        let customers = options.value("customers", default: options.quick ? 100_000 : 1_000_000)
        let purchases = options.value("purchases", default: 20)
        let regions = ["north", "south", "east", "west", "centre", "islands", "overseas", "unknown"]
        let asOf = DayNumber.of(year: 2026, month: 1, day: 1)
        let configuration: AnalyticsConfiguration
        let plan: AggregatePlan
        do {
            configuration = try AnalyticsConfiguration(
                dimensions: [.init(name: "region", domain: regions), .init(name: "segment", domain: ["a", "b", "c"])],
                fields: [.init(name: "spend", bounds: 0...100_000)],
                minimumGroupSize: 10,
                lifetimeValue: LifetimeValueModel(
                    discountRate: 0.1,
                    retentionRate: 0.7,
                    annualMargin: 0...50_000,
                    windowYears: 3
                ),
                rfm: RFMThresholds(recencyDays: [30, 180], frequency: [2, 6], monetary: [10_000, 100_000]),
                asOf: asOf
            )
            plan = try AggregatePlan(
                query: AggregateQuery(
                    measures: [.clv, .customerEquity],
                    groupBy: ["region"],
                    epsilon: Epsilon(micros: 1_000_000)
                ),
                configuration: configuration
            )
        } catch {
            fatalError("benchmark configuration: \(error)")
        }

        print("## Analytics engine (\(customers) customers, \(purchases) purchases on average)\n")
        print("| step | best of 3 | per customer | customers/s |")
        print("|---|---:|---:|---:|")
        var built: [AnalyticsRecord] = []
        let build = measure(repeats: 1) {
            built = makeRecords(customers, purchases: purchases, regions: regions, asOf: asOf)
        }
        let records = built
        report("build records (the facade's share)", build, customers)

        let plainTime = measure {
            var margins: [String: (count: Int, margin: Int64)] = [:]
            let windowStart = asOf - 3 * 365
            // Both loops read records by index: `for record in` would copy (retain) each record's arrays.
            for index in records.indices {
                let record = records[index]
                guard let region = record.dimensions[0] else { continue }
                var margin: Int64 = 0
                for purchase in record.purchases where purchase.day >= windowStart && purchase.day < asOf {
                    margin &+= purchase.margin
                }
                margins[region, default: (0, 0)].count += 1
                margins[region, default: (0, 0)].margin &+= margin
            }
            precondition(margins.count == regions.count)
        }
        report("plain exact GROUP BY loop (no clamping, no noise)", plainTime, customers)

        let single = measure {
            var accumulator = AnalyticsAccumulator(plan: plan)
            for index in records.indices { accumulator.add(records[index]) }
            precondition(accumulator.release(using: SystemRandom()).groups.count == regions.count)
        }
        report("engine, one core", single, customers)

        let double = measure {
            let parts = Mutex<[AnalyticsAccumulator]>([])
            let half = records.count / 2
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                var accumulator = AnalyticsAccumulator(plan: plan)
                for index in (part == 0 ? 0 : half)..<(part == 0 ? half : records.count) {
                    accumulator.add(records[index])
                }
                parts.withLock { $0.append(accumulator) }
            }
            var merged = parts.withLock { $0.removeLast() }
            merged.merge(parts.withLock { $0.removeLast() })
            precondition(merged.release(using: SystemRandom()).groups.count == regions.count)
        }
        report("engine, two cores (split + merge)", double, customers)
        print("\nengine ÷ plain loop: \(ratio(single, plainTime))× on one core, \(ratio(double, plainTime))× on two")

        print("\n| discrete Laplace scale | samples | best of 3 | samples/s |")
        print("|---|---:|---:|---:|")
        let draws = options.quick ? 100_000 : 1_000_000
        for (numerator, denominator) in [(UInt64(1), UInt64(1)), (20, 1), (4_000_000, 3), (1_000_000_000_000, 7)] {
            guard let distribution = DiscreteLaplace(scaleNumerator: numerator, scaleDenominator: denominator) else {
                continue
            }
            let time = measure { precondition(distribution.samples(draws, using: SystemRandom()).count == draws) }
            let seconds = time.seconds
            print("| \(numerator)/\(denominator) | \(draws) | \(format(seconds)) | \(Int(Double(draws) / seconds)) |")
        }
    }

    /// Customers with a region, a segment, a spend and purchases spread over the last four years.
    private static func makeRecords(_ count: Int, purchases: Int, regions: [String], asOf: Int32) -> [AnalyticsRecord] {
        var state: UInt64 = 0x5EED
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let segments = ["a", "b", "c"]
        var records: [AnalyticsRecord] = []
        records.reserveCapacity(count)
        for _ in 0..<count {
            var history: [AnalyticsRecord.Purchase] = []
            let orders = next(2 * purchases + 1)
            history.reserveCapacity(orders)
            for _ in 0..<orders {
                history.append(
                    .init(
                        day: asOf - Int32(next(4 * 365)),
                        amount: Int64(next(20_000)),
                        margin: Int64(next(6_000)) - 1_000,
                        category: UInt16(next(4))
                    )
                )
            }
            records.append(
                AnalyticsRecord(
                    dimensions: [regions[next(regions.count)], segments[next(segments.count)]],
                    fields: [Int64(next(120_000))],
                    purchases: history,
                    statedCategorySpend: Int64(next(500_000))
                )
            )
        }
        return records
    }

    private static func measure(repeats: Int = 3, _ body: () -> Void) -> Duration {
        (0..<repeats).map { _ in ContinuousClock().measure(body) }.min()!
    }

    private static func report(_ step: String, _ time: Duration, _ customers: Int) {
        let seconds = time.seconds
        let perCustomer = seconds / Double(customers) * 1e9
        print("| \(step) | \(format(seconds)) | \(String(format: "%.0f ns", perCustomer)) | \(Int(Double(customers) / seconds)) |")
    }

    private static func ratio(_ a: Duration, _ b: Duration) -> String { String(format: "%.2f", a.seconds / b.seconds) }

    private static func format(_ seconds: Double) -> String {
        seconds < 1 ? String(format: "%.1f ms", seconds * 1e3) : String(format: "%.2f s", seconds)
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
