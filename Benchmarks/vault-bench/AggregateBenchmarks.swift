import Foundation
import Vault
import VaultAnalytics
import VaultPolicy
import VaultSQLite
import VaultStore

/// Aggregate-only analytics end to end (issue 6): `vault.aggregate` (mean CLV and customer equity
/// by region, ε = 1) over every imported customer — decrypt, decode, consent check, accumulate on
/// all cores, noise, suppression, budget charge, audit entry — against SQLite's GROUP BY over a
/// plaintext table already holding each customer's region, analytics consent and window margin.
///
///     vault-bench aggregate [--customers 1000000] [--rounds 3] [--rotate 1] [--quick]
///
/// With `--rotate 1` it also rotates the keys of that vault once (DESIGN §10 asks for the rate of a
/// 1,000,000-customer rotation).
enum AggregateBenchmarks {
    /// The default policy's CLV settings (`aggregation.clv`), in cents.
    static let windowYears = 5
    static let annualMargin: ClosedRange<Int64> = 0...300_000
    static let multiplier = (1 + 0.10) / (1 + 0.10 - 0.75)

    @MainActor
    static func run(_ options: BenchOptions) async throws {
        let customers = options.value("customers", default: options.quick ? 5_000 : 1_000_000)
        let rounds = options.value("rounds", default: options.quick ? 1 : 3)
        let large = try await LargeVault.get(customers: customers)
        let bench = large.bench

        // The plaintext side: the same customers' numbers, computed untimed from the same generator.
        let folder = BenchVault.temporaryFolder("plain-facts")
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = try BaselineTable(path: folder.appendingPathComponent("plain.sqlite").path, durability: .full)
        for start in stride(from: 0, to: customers, by: 50_000) {
            try await plain.insert(BenchVault.records(start..<min(start + 50_000, customers)).map(facts))
        }
        let window = Int64(windowYears)
        let bounds = (annualMargin.lowerBound * window)...(annualMargin.upperBound * window)
        var exact: [BaselineTable.RegionTotal] = []
        let sqlite = try await Timing.best(of: rounds) { _ in
            try await Timing.time { exact = try await plain.marginByRegion(clampedTo: bounds) }
        }

        // Each round asks with a slightly different ε: an identical query would be answered from the cache.
        var answer: AggregateAnswer?
        let vaultTime = try await Timing.best(of: rounds) { round in
            let request = AggregateRequest(measures: ["clv", "customer_equity"], groupBy: ["region"], epsilon: 1 - Double(round) / 1000)
            return try await Timing.time { answer = try await bench.vault.aggregate(request, by: bench.analyst) }
        }
        guard let answer, !answer.cached else { throw BenchFailure("the vault answered from its cache: nothing was measured") }
        let agreement = try agreement(answer, exact)

        var table = [
            row("SQLite `GROUP BY region` over a plaintext table of the same per-customer numbers", sqlite, customers, sqlite, goal: nil),
            row(
                "`vault.aggregate` clv + customer_equity by region, ε = 1 (\(ProcessInfo.processInfo.activeProcessorCount) cores)",
                vaultTime,
                customers,
                sqlite,
                goal: 5
            ),
        ]
        if options.value("rotate", default: 0) != 0 {
            let rotation = try await Timing.time { try await bench.vault.rollKeyEpoch(by: .localOperator) }
            table.append(
                "| key rotation of \(Timing.grouped(customers)) DEKs (once) | \(Timing.duration(rotation)) | "
                    + "\(Timing.rate(Double(customers) / rotation, " DEKs/s")) | | reported |"
            )
        }

        print("## Aggregate (issue 6): \(Timing.grouped(customers)) customers, best of \(rounds)\n")
        print("The vault decrypts and decodes every live customer's sealed records, checks the analytics consent, accumulates")
        print("on all cores, adds discrete Laplace noise and charges the budget. SQLite reads a plaintext table that already")
        print("holds each customer's region, analytics consent and clamped-window margin sum (`id` primary key, no other index):")
        print("`SELECT region, count(*), sum(min(max(window_margin, lo), hi)) … WHERE analytics_consent = 1 GROUP BY region`.")
        print(
            "The vault was filled by `importCustomers` in \(Timing.duration(large.importSeconds)) "
                + "(\(Timing.rate(Double(customers) / large.importSeconds, " customers/s"))).\n"
        )
        print("| query | time | customers/s | ÷ SQLite time | goal |")
        print("|---|---:|---:|---:|---|")
        for line in table { print(line) }
        print(
            "\nCheck: SQLite's exact customer equity lies inside the vault's 95 % interval in \(agreement.inside) of \(agreement.of)"
                + " released groups (\(answer.result.suppressedGroups) suppressed); the largest gap is"
                + " \(String(format: "%.2f", agreement.largestGap)) half-widths.\n"
        )
    }

    /// Region, analytics consent and the margin of purchases in [asOf − window, asOf), as the engine counts them.
    private static func facts(_ record: CustomerRecord) -> BaselineTable.Facts {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let today = Int32((BenchVault.asOf.timeIntervalSince1970 / 86_400).rounded(.down))
        let start = calendar.date(byAdding: .year, value: -windowYears, to: BenchVault.asOf)!
        let first = Int32((start.timeIntervalSince1970 / 86_400).rounded(.down))
        var margin: Int64 = 0
        if case .purchases(let purchases)? = record.fields["purchases"] {
            for purchase in purchases where purchase.day >= first && purchase.day < today { margin += purchase.marginCents }
        }
        guard case .string(let region)? = record.fields["region"] else { preconditionFailure("generated customers have a region") }
        return BaselineTable.Facts(id: record.id, region: region, consents: record.consents["analytics"] == .granted, windowMargin: margin)
    }

    /// How many released groups have SQLite's exact customer equity inside the vault's 95 % interval,
    /// and the largest gap in half-widths of that interval: a check that both sides computed the
    /// same thing, not a benchmark figure. Discrete Laplace noise lies beyond k half-widths with
    /// probability 20^−k, so a gap beyond 5 (about 3 × 10⁻⁷ per group) means they did not.
    private static func agreement(
        _ answer: AggregateAnswer,
        _ exact: [BaselineTable.RegionTotal]
    ) throws -> (inside: Int, of: Int, largestGap: Double) {
        var inside = 0
        var largestGap = 0.0
        for group in answer.result.groups {
            guard let region = group.key["region"], let truth = exact.first(where: { $0.region == region }),
                let equity = group.values.first(where: { $0.measure == "customer_equity" })
            else { throw BenchFailure("the vault released a group SQLite does not have") }
            let expected = Double(truth.margin) * multiplier / Double(windowYears)
            let halfWidth = (equity.interval.upperBound - equity.interval.lowerBound) / 2
            if equity.interval.contains(expected) { inside += 1 }
            let gap = abs(equity.value - expected) / halfWidth
            largestGap = max(largestGap, gap)
            guard gap <= 5 else {
                throw BenchFailure(
                    "the vault's customer equity for \(region) lies \(gap) half-widths of its 95 % interval from SQLite's exact figure: the two sides do not compute the same thing"
                )
            }
        }
        return (inside, answer.result.groups.count, largestGap)
    }

    private static func row(_ what: String, _ seconds: Double, _ customers: Int, _ baseline: Double, goal: Double?) -> String {
        let ratio = seconds / baseline
        let goalText = goal.map { "within \(Int($0))×: " + Timing.verdict(ratio <= $0) } ?? ""
        return "| \(what) | \(Timing.duration(seconds)) | \(Timing.rate(Double(customers) / seconds)) | \(Timing.ratio(ratio)) | \(goalText) |"
    }
}
