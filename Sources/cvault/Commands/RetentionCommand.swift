import ArgumentParser
import Foundation
import Vault

/// `cvault retention sweep`: delete values past their retention period.
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Delete values past their retention period (operator; `cvault serve` does it daily).",
        subcommands: [Sweep.self]
    )

    struct Sweep: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete every value past its field's retention from storage, one audit entry per customer.",
            discussion: "Records are sealed again without the expired values; the rest keep their collection time. Interrupted, it simply runs again."
        )
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let bar = Box<ProgressBar?>(nil)
            let summary = try await vault.sweepRetention(by: try await global.operatorPrincipal(vault)) { done, total in
                if bar.value == nil { bar.value = ProgressBar(total: total, label: "sweep") }
                bar.value?.update(done)
            }
            if global.json { return try Output.json(summary) }
            Output.print(
                "retention sweep: \(summary.valuesRemoved) value(s) deleted from \(summary.customersChanged) of \(summary.customers) customer(s)"
            )
            if summary.customersUnreadable > 0 {
                // Which ones is in the audit log (retention.sweep, integrity_failure), not on the terminal.
                Output.print(
                    "\(summary.customersUnreadable) customer(s) failed their integrity check and were left as they are: run `cvault audit verify` and see the audit log"
                )
                throw ExitCode(1)
            }
        }
    }
}
