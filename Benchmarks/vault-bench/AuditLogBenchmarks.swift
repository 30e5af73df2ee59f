import Foundation
import Vault
import VaultCrypto
import VaultPolicy
import VaultSQLite
import VaultStore

/// The audit log end to end (issue 5): appending entries inside write transactions (a customer's
/// consent change, which commits the consent row, its audit entry, the tree nodes and a signed
/// checkpoint together) against the same consent rows written without any audit log;
/// `verifyAudit` over a log of 1,000,000+ entries; inclusion proofs through the facade.
///
///     vault-bench auditlog [--changes 2000] [--entries 1000000] [--proofs 2000] [--rounds 3] [--quick]
///
/// The large log is the one the vault writes when it imports `--entries` customers (one
/// `customer.import` entry each, ~0.4 KB): real entries through the real path, and the same
/// vault the aggregate suite needs, so a full run imports it once.
enum AuditLogBenchmarks {
    @MainActor
    static func run(_ options: BenchOptions) async throws {
        let changes = options.value("changes", default: options.quick ? 200 : 2_000)
        let entries = options.value("entries", default: options.quick ? 5_000 : 1_000_000)
        let proofs = options.value("proofs", default: options.quick ? 200 : 2_000)
        let rounds = options.value("rounds", default: options.quick ? 1 : 3)
        var table: [String] = []

        // Appends: customer i's marketing consent flips each round, one transaction per change.
        let customers = BenchVault.records(0..<changes)
        for durability in [StorageDurability.full, .normal] {
            let bench = try await BenchVault.create(durability: durability)
            defer { bench.remove() }
            _ = try await bench.importSynthetic(0..<changes)
            let folder = BenchVault.temporaryFolder("plain-consent")
            defer { try? FileManager.default.removeItem(at: folder) }
            let plain = try BaselineTable(path: folder.appendingPathComponent("plain.sqlite").path, durability: durability)
            let now = Date()
            try await plain.setConsents(
                customers.flatMap { customer in
                    customer.consents.map { BaselineTable.ConsentChange(customerID: customer.id, purpose: $0.key, state: $0.value.rawValue, at: now) }
                }
            )
            let vault = bench.vault
            var vaultTime = Double.infinity
            var plainTime = Double.infinity
            for round in 0..<rounds {
                func state(_ index: Int) -> ConsentRecord.Status { (index + round) % 2 == 0 ? .granted : .withdrawn }
                vaultTime = min(
                    vaultTime,
                    try await Timing.time {
                        for (index, customer) in customers.enumerated() {
                            try await vault.setMyConsent(purpose: "marketing", to: state(index), by: BenchVault.customer(customer.id))
                        }
                    }
                )
                plainTime = min(
                    plainTime,
                    try await Timing.time {
                        for (index, customer) in customers.enumerated() {
                            try await plain.setConsents([
                                .init(customerID: customer.id, purpose: "marketing", state: state(index).rawValue, at: Date())
                            ])
                        }
                    }
                )
            }
            let vaultRate = Double(changes) / vaultTime
            let plainRate = Double(changes) / plainTime
            table.append(
                row(
                    "consent change + audit entry + signed checkpoint, 1 transaction each (\(Timing.grouped(changes)))",
                    durability.rawValue,
                    Timing.rate(vaultRate, " entries/s"),
                    Timing.rate(plainRate, " rows/s"),
                    Timing.ratio(vaultRate / plainRate),
                    "reported"
                )
            )
        }

        // Verification of the large log, beside SHA-256 over the same leaf bytes in memory.
        let large = try await LargeVault.get(customers: entries)
        let vault = large.bench.vault
        let auditor = large.bench.auditor
        var report = try await vault.verifyAudit(by: auditor)
        guard report.ok, report.entries >= UInt64(entries) else {
            throw BenchFailure("the untouched log did not verify (\(report.problems.first ?? "no entries"))")
        }
        let verify = try await Timing.best(of: rounds) { _ in
            try await Timing.time { report = try await vault.verifyAudit(by: auditor) }
        }
        let size = report.entries
        var leaves: [[UInt8]] = []
        leaves.reserveCapacity(Int(size))
        while leaves.count < Int(size) {
            let page = try await vault.auditEntries(customer: nil, from: UInt64(leaves.count), limit: 10_000, by: auditor)
            if page.isEmpty { break }
            leaves += page.map { Array(Data(base64Encoded: $0.leaf)!) }
        }
        leaves.removeLast(max(0, leaves.count - Int(size)))
        let bytes = leaves.reduce(0) { $0 + $1.count }
        var sink: UInt8 = 0
        let hashing = await Timing.best(of: rounds) { _ in
            await Timing.time { for leaf in leaves { sink ^= SHA256.hash(data: leaf).bytes[0] } }
        }
        table.append(
            row(
                "`verifyAudit`, \(Timing.grouped(Int(size))) entries (\(bytes / max(1, leaves.count)) B avg), \(report.checkpointsChecked) checkpoints",
                "full",
                "\(Timing.duration(verify)) (\(Timing.rate(Double(size) / verify, " entries/s")))",
                "SHA-256 of each leaf in memory: \(Timing.duration(hashing))",
                Timing.ratio(verify / hashing) + " the time",
                size >= 1_000_000
                    ? "a few seconds: " + Timing.verdict(verify <= 5)
                    : "a few seconds at 1,000,000 (\(Timing.duration(verify * 1e6 / Double(size))) if linear)"
            )
        )

        // Inclusion proofs of random entries against the latest checkpoint (the CLI's default).
        var verified = true
        let proofLatencies = try await Timing.latencies(proofs) { _ in
            let proof = try await vault.inclusionProof(entry: UInt64.random(in: 0..<size), size: nil, by: auditor)
            verified = verified && proof.verified
        }
        guard verified else { throw BenchFailure("an inclusion proof did not verify") }
        table.append(
            row(
                "inclusion proof p50 / p99, n ≈ \(Timing.grouped(Int(size))) (`inclusionProof`, \(proofs) random entries)",
                "full",
                "\(Timing.duration(proofLatencies.p50)) / \(Timing.duration(proofLatencies.p99))",
                "",
                "",
                "p50 reported"
            )
        )

        print("## Audit log (issue 5), best of \(rounds)\n")
        print("Appends: each vault change is `setMyConsent` (policy check, customer load, consent row, audit entry, Merkle")
        print("nodes, Ed25519-signed checkpoint, one commit); the baseline upserts the same consent row in its own transaction,")
        print("same durability, no audit log. The large log was written by importing \(Timing.grouped(large.customers)) customers")
        print(
            "(\(Timing.duration(large.importSeconds)) inside `importCustomers`, \(Timing.rate(Double(large.customers) / large.importSeconds, " customers/s"))).\n"
        )
        print("| measurement | durability | vault | baseline | vault vs baseline | goal |")
        print("|---|---|---:|---:|---:|---|")
        for line in table { print(line) }
        print("")
        if sink == 0x5A { print("") }  // keeps the hashing observable to the optimizer
    }

    private static func row(_ cells: String...) -> String { "| " + cells.joined(separator: " | ") + " |" }
}
