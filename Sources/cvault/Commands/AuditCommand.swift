import ArgumentParser
import Foundation
import Vault

/// `cvault audit …`: the tamper-evident log, its proofs and the compliance report.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify the audit log, print checkpoints, entries, proofs and the compliance report.",
        subcommands: [Verify.self, Checkpoint.self, PublicKey.self, Entries.self, Proof.self, Consistency.self, Report.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every leaf, node and root from storage and check every checkpoint.",
            discussion: "Exits 1 and names the first bad sequence number on any edit, deletion, reordering, insertion or truncation."
        )
        @Option(name: .long, help: ArgumentHelp("A checkpoint kept earlier: prove the log only grew since.", valueName: "CHECKPOINT_FILE"))
        var since: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            var external: String?
            if let since {
                guard let data = FileManager.default.contents(atPath: since) else {
                    throw VaultError(.invalidRequest, code: .fileUnreadable, "cannot read checkpoint file \(since)")
                }
                external = String(decoding: data, as: UTF8.self)
            }
            // A log that fails its anchor check must still be verifiable: that is how one learns why.
            let vault = try await global.open(inspectOnly: true)
            let report = try await vault.verifyAudit(since: external, by: try await global.principal(vault))
            if global.json {
                try Output.json(report)
            } else if report.ok {
                Output.print(
                    "audit log OK: \(report.entries) entries recomputed, root \(report.root), \(report.checkpointsChecked) signed checkpoint(s) verified"
                        + (report.anchoredSize.map { "; extends the checkpoint kept outside the database (size \($0))" } ?? "")
                        + (report.sinceVerified == true ? "; the log extends the given checkpoint" : "")
                )
            } else {
                Output.print("audit log FAILED verification; first bad sequence number: \(report.firstBadSeq.map(String.init) ?? "none in doubt")")
                for problem in report.problems { Output.print("  - \(problem)") }
            }
            for warning in report.warnings { Output.print("note: \(warning)") }
            if !report.anchoring.isEmpty { Output.print(report.anchoring) }
            if !report.ok { throw ExitCode(1) }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the latest signed checkpoint (C2SP tlog-checkpoint note).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            _ = try await global.principal(vault)
            let note = try await vault.checkpoint()
            if global.json { return try Output.json(["checkpoint": note]) }
            FileHandle.standardOutput.write(Data(note.utf8))
        }
    }

    struct PublicKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "public-key",
            abstract: "Print the log's origin and Ed25519 public key, to verify without cvault."
        )
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let key = vault.verifierKey
            if global.json { return try Output.json(["origin": vault.origin, "public_key": key.publicKeyBase64, "verifier_key": key.note]) }
            Output.print("origin:       \(vault.origin)")
            Output.print("public key:   \(key.publicKeyBase64)  (Ed25519, base64)")
            Output.print("verifier key: \(key.note)")
        }
    }

    struct Entries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List entries with their exact leaf bytes (base64) and decoded fields.")
        @Option(name: .long, help: "Only this customer's entries.") var customer: String?
        @Option(name: .long, help: "First sequence number.") var from: UInt64 = 0
        @Option(name: .long, help: "At most this many.") var limit: Int = 100
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let entries = try await vault.auditEntries(customer: customer, from: from, limit: limit, by: try await global.principal(vault))
            if global.json { return try Output.json(entries) }
            for item in entries {
                let e = item.entry
                Output.print(
                    "#\(item.seq) \(e.at) \(e.actor) (\(e.role)) \(e.op) \(e.decision) \(e.reason)"
                        + (e.purpose.map { " purpose=\($0)" } ?? "") + (e.customer.map { " customer=\($0)" } ?? "")
                        + (e.fields.isEmpty ? "" : " fields=\(e.fields.joined(separator: ","))")
                )
            }
        }
    }

    struct Proof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print an inclusion proof (RFC 9162) for one entry.")
        @Option(name: .long, help: "The entry's sequence number.") var entry: UInt64
        @Option(name: .long, help: "Tree size (default: the latest checkpoint).") var size: UInt64?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let proof = try await vault.inclusionProof(entry: entry, size: size, by: try await global.principal(vault))
            if global.json { return try Output.json(proof) }
            Output.print("entry \(proof.entry) in tree of size \(proof.size); root \(proof.root); verified: \(proof.verified)")
            Output.print("leaf hash: \(proof.leafHash)")
            for hash in proof.proof { Output.print(hash) }
        }

    }

    struct Consistency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a consistency proof (RFC 9162) between two tree sizes.")
        @Option(name: .long, help: "The older size.") var from: UInt64
        @Option(name: .long, help: "The newer size (default: the latest checkpoint).") var to: UInt64?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let vault = try await global.open()
            let proof = try await vault.consistencyProof(from: from, to: to, by: try await global.principal(vault))
            if global.json { return try Output.json(proof) }
            Output.print("consistency \(proof.from) → \(proof.to); roots \(proof.fromRoot) → \(proof.toRoot); verified: \(proof.verified)")
            for hash in proof.proof { Output.print(hash) }
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The compliance report for a period.")
        @Option(name: .long, help: ArgumentHelp("Period start (UTC day).", valueName: "YYYY-MM-DD")) var from: String?
        @Option(name: .long, help: ArgumentHelp("Period end, exclusive (UTC day).", valueName: "YYYY-MM-DD")) var to: String?
        @Option(
            name: .long,
            help: ArgumentHelp(
                "Also draw entries per day by role and by purpose, and consent coverage, as an SVG chart into FILE.",
                valueName: "FILE"
            )
        )
        var chart: String?
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let parse = { (text: String?, name: String) throws -> Date? in
                guard let text else { return nil }
                guard let date = ISO8601DateFormatter.day.date(from: text) else { throw ValidationError("--\(name) must be a date like 2026-11-01") }
                return date
            }
            let vault = try await global.open()
            let report = try await vault.auditReport(from: try parse(from, "from"), to: try parse(to, "to"), by: try await global.principal(vault))
            if let chart {
                do {
                    try Data(AuditChart.svg(report).utf8).write(to: URL(fileURLWithPath: chart), options: .atomic)
                    Output.note("wrote the chart to \(chart)")
                } catch {
                    throw VaultError(
                        .invalidRequest,
                        code: .chartUnwritable,
                        "cannot write the chart to \(chart) (\(error.localizedDescription)): give a path in a folder you can write"
                    )
                }
            }
            if global.json { return try Output.json(report) }
            ReportPrinter.print(report)
        }
    }
}

/// The compliance report for people.
enum ReportPrinter {
    static func print(_ report: AuditReport) {
        let period = "\(report.from.map { $0.formatted(.iso8601) } ?? "the beginning") – \(report.to.map { $0.formatted(.iso8601) } ?? "now")"
        Output.print("Compliance report, \(period)")
        Output.print("  entries: \(report.entries)")
        Output.print("  by role:")
        for (role, decisions) in report.byRole.sorted(by: { $0.key < $1.key }) {
            Output.print(
                "    \(role.padding(toLength: 10, withPad: " ", startingAt: 0)) allow \(decisions["allow"] ?? 0), deny \(decisions["deny"] ?? 0)"
            )
        }
        Output.print("  by purpose:")
        for (purpose, decisions) in report.byPurpose.sorted(by: { $0.key < $1.key }) {
            Output.print(
                "    \(purpose.padding(toLength: 18, withPad: " ", startingAt: 0)) allow \(decisions["allow"] ?? 0), deny \(decisions["deny"] ?? 0)"
            )
        }
        if report.readsWithoutConsent.isEmpty {
            Output.print("  reads under consent purposes without a live consent: 0 (as it must be)")
        } else {
            Output.print("  READS WITHOUT A LIVE CONSENT: \(report.readsWithoutConsent.count)")
            for violation in report.readsWithoutConsent.prefix(20) {
                Output.print("    entry \(violation.seq): \(violation.customer) purpose \(violation.purpose) (state \(violation.state))")
            }
        }
        Output.print(
            "  consent changes: \(report.consentChanges) (customers' own choices overridden by an import: \(report.consentOverrides)); erasures: \(report.erasures); key epoch rolls: \(report.keyRotations); restores from backup: \(report.restores)"
        )
        Output.print(
            "  values deleted past their retention: \(report.retentionValuesRemoved); last sweep: "
                + (report.lastRetentionSweep.map { "\($0.formatted(.iso8601)), \(report.lastRetentionSweepValuesRemoved ?? 0) value(s) removed" }
                    ?? "never")
        )
        Output.print(
            "  aggregate queries: \(report.aggregateQueries); model trainings: \(report.modelTrainings) (ε charged \(Double(report.microEpsilonCharged) / 1e6))"
        )
        Output.print("  consent coverage (live customers for whom each purpose holds):")
        for coverage in report.consentCoverage {
            let share = coverage.customers > 0 ? Double(coverage.holds) / Double(coverage.customers) * 100 : 0
            Output.print(
                "    \(coverage.purpose.padding(toLength: 18, withPad: " ", startingAt: 0)) \(coverage.holds) of \(coverage.customers) (\(String(format: "%.0f", share)) %), \(coverage.basis)"
            )
        }
        Output.print("  contests pending: \(report.openContests); past their deadline: \(report.overdueContests.count)")
        for contest in report.overdueContests.prefix(20) {
            Output.print("    \(contest.id) \(contest.customer) \(contest.field) due \(contest.deadline.formatted(.iso8601))")
        }
        Output.print("  policies in force:")
        for policy in report.policies {
            Output.print("    \(policy.appliedAt.formatted(.iso8601)) \(policy.fileName) sha256 \(policy.hash.prefix(16))…")
        }
        Output.print("  computed at checkpoint:")
        for line in report.checkpoint.split(separator: "\n") { Output.print("    \(line)") }
    }
}
