import ArgumentParser
import Foundation
import Vault

/// `cvault import FILE.jsonl`: validate every line, then import in batched transactions.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import customers from JSON Lines (see the README for the format).",
        discussion: """
            Every line is validated first; one bad line means nothing is written. A customer already stored with exactly \
            the line's content is skipped, so an interrupted import can be run again; one stored with other content is \
            refused unless --upsert. Consent states the customers set themselves are never replaced, unless \
            --override-customer-consents, which the audit log and the compliance report record.
            """
    )

    @Argument(help: ArgumentHelp("The JSON Lines file.", valueName: "FILE.jsonl"))
    var file: String

    @Flag(name: .long, help: "Replace customers that already exist with other content.")
    var upsert = false

    @Flag(name: .long, help: "With --upsert: replace consent states the customers set themselves too (each is audited as an override).")
    var overrideCustomerConsents = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if overrideCustomerConsents, !upsert { throw ValidationError("--override-customer-consents only applies with --upsert") }
    }

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw VaultError(.invalidRequest, code: .fileUnreadable, "cannot read \(file)")
        }
        let vault = try await global.open()
        let principal = try await global.operatorPrincipal(vault)
        let records: [CustomerRecord]
        switch vault.validateImport(data) {
        case .success(let valid):
            records = valid
        case .failure(let failure):
            for problem in failure.problems { Output.note("\(file):\(problem.line): \(problem.message)") }
            if failure.total > failure.problems.count { Output.note("… and \(failure.total - failure.problems.count) more problems") }
            throw VaultError(.invalidRequest, code: .invalidImport, "\(failure.total) invalid line(s) in \(file); nothing was imported")
        }
        let progress = ProgressBar(total: records.count, label: "import")
        let summary = try await vault.importCustomers(
            records,
            upsert: upsert,
            overrideCustomerConsents: overrideCustomerConsents,
            by: principal
        ) { progress.update($0) }
        if global.json {
            try Output.json(summary)
        } else {
            Output.print(
                "imported \(summary.inserted) new customer(s), replaced \(summary.updated), skipped \(summary.skipped) already imported with this content, from \(file)"
            )
            if summary.consentsKept > 0 {
                Output.print(
                    "kept \(summary.consentsKept) consent state(s) the customers set themselves (--override-customer-consents replaces them, audited)"
                )
            }
            if summary.consentsOverridden > 0 {
                Output.print(
                    "OVERRODE \(summary.consentsOverridden) consent state(s) the customers set themselves; each is in the audit log as consent.override"
                )
            }
        }
    }
}
