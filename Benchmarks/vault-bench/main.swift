// vault-bench: measures the vault beside baselines taken in the same run (ratios, not absolutes).
//
//     swift run -c release vault-bench [crypto|audit|analytics|store|auditlog|aggregate|all][,…] [options]
//
// Several suites may be named with commas (`aggregate,auditlog`); those two then share one large vault.
import Foundation
import Vault

let arguments = Array(CommandLine.arguments.dropFirst())
let suites = (arguments.first ?? "all").split(separator: ",").flatMap { name in
    // The aggregate and audit-log suites run last and in this order, so they share one large vault.
    name == "all" ? ["crypto", "audit", "analytics", "store", "aggregate", "auditlog"] : [String(name)]
}
let options = BenchOptions(arguments: Array(arguments.dropFirst()))
// The vault logs each import at info level to standard output by default; tables go there.
Vault.bootstrapLogging(levelName: "warning")

/// Runs a suite that can fail: its error ends the run with status 1, after removing every temporary folder.
@MainActor
func failing(_ suite: String, _ body: () async throws -> Void) async {
    do {
        try await body()
    } catch {
        FileHandle.standardError.write(Data("vault-bench \(suite): \(error)\n".utf8))
        BenchVault.finish(1)
    }
}

for suite in suites {
    switch suite {
    case "crypto": CryptoBenchmarks.run(options)
    case "audit": AuditBenchmarks.run(options)
    case "analytics": AnalyticsBenchmarks.run(options)
    case "store": await failing(suite) { try await StoreBenchmarks.run(options) }
    case "auditlog": await failing(suite) { try await AuditLogBenchmarks.run(options) }
    case "aggregate": await failing(suite) { try await AggregateBenchmarks.run(options) }
    default:
        FileHandle.standardError.write(Data("usage: vault-bench [crypto|audit|analytics|store|auditlog|aggregate|all][,…] [--quick]\n".utf8))
        BenchVault.finish(2)
    }
}
BenchVault.finish(0)
