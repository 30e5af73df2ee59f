// vault-bench: measures the vault beside baselines taken in the same run (ratios, not absolutes).
//
//     swift run -c release vault-bench [crypto|store|audit|analytics|all] [options]
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let suite = arguments.first ?? "all"
let options = BenchOptions(arguments: Array(arguments.dropFirst()))

switch suite {
case "crypto": CryptoBenchmarks.run(options)
case "audit": AuditBenchmarks.run(options)
case "analytics": AnalyticsBenchmarks.run(options)
case "all":
    CryptoBenchmarks.run(options)
    AuditBenchmarks.run(options)
    AnalyticsBenchmarks.run(options)
default:
    FileHandle.standardError.write(Data("usage: vault-bench [crypto|audit|analytics|all] [--quick]\n".utf8))
    exit(2)
}
