import ArgumentParser
import Foundation
import Vault

/// `cvault generate`: deterministic synthetic customers as JSON Lines (the import format).
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write deterministic synthetic customers as JSON Lines (the import format)."
    )

    @Option(name: .long, help: "How many customers.")
    var customers: Int

    @Option(name: .long, help: "Seed: the same seed and --as-of give the same customers.")
    var seed: UInt64 = 1

    @Option(name: .long, help: ArgumentHelp("Purchases fall in the three years before this day (default: today, UTC).", valueName: "YYYY-MM-DD"))
    var asOf: String?

    @Option(name: .long, help: ArgumentHelp("Write here instead of standard output.", valueName: "FILE"))
    var out: String?

    func validate() throws {
        guard customers >= 0, customers <= 10_000_000 else { throw ValidationError("--customers must be between 0 and 10000000") }
    }

    func run() async throws {
        var day = Date()
        if let asOf {
            guard let parsed = ISO8601DateFormatter.day.date(from: asOf) else {
                throw ValidationError("--as-of must be a date like 2026-11-23")
            }
            day = parsed
        }
        let lines = try Vault.syntheticJSONLines(count: customers, seed: seed, asOf: day)
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: nil), let handle = FileHandle(forWritingAtPath: out) else {
                throw VaultError(.unavailable, code: .writeFailed, "cannot write \(out)")
            }
            defer { try? handle.close() }
            let progress = ProgressBar(total: customers, label: "generate")
            var buffer = Data()
            for (index, line) in lines.enumerated() {
                buffer.append(contentsOf: line.utf8)
                buffer.append(0x0a)
                if buffer.count > 1 << 20 {
                    handle.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
                if index % 1000 == 999 { progress.update(index + 1) }
            }
            handle.write(buffer)
            progress.update(customers)
            Output.note("wrote \(customers) customers to \(out)")
        } else {
            for line in lines { Output.print(line) }
        }
    }
}

extension ISO8601DateFormatter {
    /// `YYYY-MM-DD` in UTC.
    static var day: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }
}
