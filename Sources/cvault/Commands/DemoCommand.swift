import ArgumentParser
import Foundation
import Vault
import VaultHTTP
import VaultPolicy
import VaultStore

/// `cvault demo`: the whole story on a fresh vault, every role in turn.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create a fresh vault in a temporary folder and walk every role through the story."
    )

    @Option(name: .long, help: "How many synthetic customers to import.")
    var customers: Int = 3000

    @Option(name: .long, help: ArgumentHelp("Create the demo vault here (default: a new temporary folder).", valueName: "DIR"))
    var vault: String?

    func validate() throws {
        guard (100...200_000).contains(customers) else { throw ValidationError("--customers must be between 100 and 200000") }
    }

    func run() async throws {
        let started = Date()
        let folder =
            vault.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("cvault-demo-\(UUID().uuidString.prefix(8))")

        heading(1, "The operator creates a vault (root key file 0600, key epochs outside the database, default policy, signed audit log)")
        let vault = try await Vault.create(at: folder, options: .standard)
        say("vault at \(folder.path); policy sha256 \(vault.policyInfo.hash.prefix(16))…; log origin \(vault.origin)")
        let witnessFolder = folder.deletingLastPathComponent().appendingPathComponent(folder.lastPathComponent + "-witness")
        let (witnessTask, witnessKey) = try await startWitness(at: witnessFolder, for: vault)

        heading(2, "The operator imports \(customers) synthetic customers, each under their own key")
        let generator = SyntheticCustomers(seed: 7, asOf: Date())
        let records = (0..<customers).map(generator.customer)
        let bar = ProgressBar(total: records.count, label: "import")
        let summary = try await vault.importCustomers(records, by: .localOperator) { bar.update($0) }
        say("imported \(summary.inserted) customers")

        // A customer who has not consented to marketing, to show consent at work.
        guard let subject = records.first(where: { $0.consents["marketing"] != .granted && $0.consents["analytics"] == .granted }) else {
            throw VaultError(.unavailable, code: .demoData, "the synthetic data has no suitable demo customer")
        }
        let support = try await principal(vault, role: "support", name: "alice")
        let marketing = try await principal(vault, role: "marketing", name: "bob")
        let analyst = try await principal(vault, role: "analyst", name: "carol")
        let auditor = try await principal(vault, role: "auditor", name: "dave")
        let customerToken = try await vault.issueToken(role: "customer", customerID: subject.id, name: nil, expiresIn: "P1D", by: .localOperator)
        let customer = try await vault.authenticate(token: customerToken.secret)
        say("tokens issued: support alice, marketing bob, analyst carol, auditor dave, customer \(subject.id)")

        heading(3, "Support reads \(subject.id) for `service` (contract): allowed")
        try await show(vault.readCustomer(subject.id, purpose: "service", fields: ["name", "email", "phone", "purchases"], by: support))

        heading(4, "Marketing reads \(subject.id) for `marketing` without consent: denied, with the reason")
        try await show(vault.readCustomer(subject.id, purpose: "marketing", fields: ["name", "email", "preferred_channel"], by: marketing))

        heading(5, "The customer grants marketing consent; the same read is now allowed")
        try await vault.setMyConsent(purpose: "marketing", to: .granted, by: customer)
        try await show(vault.readCustomer(subject.id, purpose: "marketing", fields: ["name", "email", "preferred_channel"], by: marketing))

        heading(6, "The customer reads their access log; every entry is proven against a checkpoint the witness cosigned")
        let log = try await vault.myLog(by: customer)
        for item in log.entries.suffix(6) {
            let e = item.entry
            say(
                "#\(item.seq) \(e.actor) (\(e.role)) \(e.op) \(e.decision)\(e.purpose.map { " for \($0)" } ?? "")\(e.fields.isEmpty ? "" : ": \(e.fields.joined(separator: ", "))") \(item.verified ? "✓" : "✗")"
            )
        }
        say(
            "\(log.entries.count) entries, all proven: \(log.allVerified) (checkpoint size \(log.size)); \(log.witnesses.map(\.detail).joined(separator: "; "))"
        )

        heading(7, "The customer contests their e-mail address; marketing may not use it while it is disputed")
        let contest = try await vault.openContest(
            field: "email",
            proposedValue: "\(subject.id)@new.example.org",
            reason: "I changed my address last month",
            by: customer
        )
        say("contest \(contest.id) open, due \(contest.deadline.formatted(.iso8601))")
        try await show(vault.readCustomer(subject.id, purpose: "marketing", fields: ["name", "email"], by: marketing))

        heading(8, "Support reviews and accepts the contest; the correction is re-encrypted and audited")
        for pending in try await vault.listContests(status: "open", by: support) {
            say("pending: \(pending.id) \(pending.customer) \(pending.field), due \(pending.deadline.formatted(.iso8601))")
        }
        let resolved = try await vault.resolveContest(
            id: contest.id,
            resolution: .accept,
            reason: "confirmed with the customer by phone",
            by: support
        )
        say("contest \(resolved.id): \(resolved.status)")
        try await show(vault.readCustomer(subject.id, purpose: "marketing", fields: ["name", "email"], by: marketing))

        try await analystStep(vault, analyst: analyst, folder: folder)
        try await recommendationStep(vault, records: records, marketing: marketing)

        heading(11, "The auditor verifies the whole log and prints the compliance report")
        let verified = try await vault.verifyAudit(by: auditor)
        say(
            "verify: \(verified.ok ? "OK" : "FAILED") — \(verified.entries) entries recomputed, \(verified.checkpointsChecked) signed checkpoints checked; \(verified.anchoring)"
        )
        let report = try await vault.auditReport(from: nil, to: nil, by: auditor)
        ReportPrinter.print(report)
        let reportChart = folder.appendingPathComponent("audit-report.svg")
        try Data(AuditChart.svg(report).utf8).write(to: reportChart, options: .atomic)
        say("the report as a chart (entries per day by role and purpose, consent coverage): \(reportChart.path)")

        heading(12, "The operator takes a backup; then the customer erases their data: crypto-shredding with a signed receipt")
        let backupPath = folder.appendingPathComponent("backup-before-erasure.sqlite").path
        let backup = try await vault.backup(to: backupPath, by: .localOperator)
        say("backup of \(backup.logSize) log entries, depending on key epoch(s) \(backup.keyEpochs.map { "v\($0)" }.joined(separator: ", "))")
        let receipt = try await vault.eraseMe(confirm: true, by: customer)
        say("receipt: \(receipt.statement)")
        say("signature: \(receipt.signature.prefix(32))…")
        do {
            _ = try await vault.readCustomer(subject.id, purpose: "service", by: support)
        } catch let error as VaultError {
            say("support reads \(subject.id) again → \(error.message)")
        }

        heading(13, "The key epoch rolls (due \(receipt.backupsUndecryptableFrom.formatted(.iso8601)); forced now) and the old backup is dead")
        let keys = try await vault.rollKeyEpoch(by: .localOperator)
        say(
            "key epoch v\(keys.current) is current; destroyed: \(keys.epochs.filter { $0.destroyedAt != nil }.map { "v\($0.version)" }.joined(separator: ", "))"
        )
        do {
            _ = try await Vault.restore(from: backupPath, into: folder, confirm: false, options: .standard)
        } catch let error as VaultError {
            say("restoring the backup taken before the erasure → \(error.message)")
        }

        heading(14, "The auditor verifies again: the erasure and the roll left the log intact")
        let again = try await vault.verifyAudit(by: auditor)
        say("verify: \(again.ok ? "OK" : "FAILED") — \(again.entries) entries, root \(again.root); \(again.anchoring)")

        let auditorToken = try await vault.issueToken(role: "auditor", customerID: nil, name: "you", expiresIn: "P7D", by: .localOperator)
        let portalCustomer = records.first { $0.id != subject.id }?.id ?? subject.id
        // The demo's witness stops with the demo: the vault is left anchored locally, as a new one is.
        await Vault.settle()
        try await vault.removeWitness(key: witnessKey, by: .localOperator)
        witnessTask.cancel()
        Output.print(
            """

            Done in \(String(format: "%.1f", Date().timeIntervalSince(started))) s. The vault is at \(folder.path). Try:
              export CVAULT_HOME=\(folder.path) CVAULT_TOKEN=\(auditorToken.secret)
              swift run cvault audit verify
              swift run cvault audit report
              swift run cvault audit checkpoint
              swift run cvault token issue --role support --name you      # then: CVAULT_TOKEN=… cvault customer get c-0000001 --purpose service
              swift run cvault serve --port 8080 &                        # then the customer portal, as \(portalCustomer):
              swift run cvault portal link --customer \(portalCustomer) --public-url http://127.0.0.1:8080
            """
        )
    }

    /// A witness on loopback, as someone independent of the operator would run it, watching the vault's log.
    private func startWitness(at folder: URL, for vault: Vault) async throws -> (Task<Void, Never>, String) {
        let witness = try WitnessService.create(at: folder, name: "demo-witness.local/w1", logs: [vault.verifierKey.note])
        let port = AsyncStream<Int>.makeStream()
        let task = Task {
            try? await WitnessServer.run(witness: witness, host: "127.0.0.1", port: 0, logger: VaultServer.logger(levelName: "critical")) {
                port.continuation.yield($0)
            }
            port.continuation.finish()
        }
        guard let bound = await port.stream.first(where: { _ in true }) else {
            throw VaultError(.unavailable, code: .demoWitness, "the demo witness could not listen on loopback")
        }
        let status = try await vault.addWitness(url: "http://127.0.0.1:\(bound)", key: witness.verifierKey, by: .localOperator)
        say("witness \(witness.name) runs apart from the vault (\(folder.path)); \(status.detail)")
        return (task, witness.verifierKey)
    }

    private func principal(_ vault: Vault, role: String, name: String) async throws -> Principal {
        let token = try await vault.issueToken(role: role, customerID: nil, name: name, expiresIn: "P1D", by: .localOperator)
        return try await vault.authenticate(token: token.secret)
    }

    private func show(_ view: CustomerView) {
        for decision in view.decisions {
            if decision.allowed {
                say("  \(decision.field): \(view.values[decision.field]?.description ?? "—")")
            } else {
                say("  \(decision.field): ✗ \(decision.decision.reason)")
            }
        }
    }
}

func heading(_ number: Int, _ text: String) {
    Output.print("\n\(number). \(text)")
}

func say(_ text: String) {
    Output.print("   \(text)")
}
