import Foundation
import Testing
/// VaultCrypto's key file, reached through the facade's module for tests.
import VaultCrypto
import VaultPolicy
import VaultStore

@testable import Vault

@Suite("Encrypted profile store")
struct ProfileStoreTests {
    @Test(
        "no field value of any imported customer appears in the database, WAL or journal files",
        .enabled(if: onSQLite, "reads or edits the SQLite file itself")
    )
    func noPlaintextOnDisk() async throws {
        let test = try await TestVault.make(customers: 60)
        defer { test.remove() }
        // Touch every path that writes: reads, an update, consent, a contest, an erasure.
        let support = try await test.principal("support")
        _ = try await test.vault.readCustomer(test.customers[0].id, purpose: "service", by: support)
        _ = try await test.vault.updateCustomer(test.customers[1].id, purpose: "service", set: ["phone": "+44 7700 999111"], by: support)
        let customer = try await test.customerPrincipal(test.customers[2].id)
        try await test.vault.setMyConsent(purpose: "marketing", to: .granted, by: customer)
        _ = try await test.vault.openContest(
            field: "email",
            proposedValue: "fixed.address@example.org",
            reason: "moved to a new provider",
            by: customer
        )
        let erased = try await test.customerPrincipal(test.customers[3].id)
        _ = try await test.vault.eraseMe(confirm: true, by: erased)

        var files: [Data] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: test.folder.path) where name.hasPrefix("vault.sqlite") {
            files.append(try Data(contentsOf: test.folder.appendingPathComponent(name)))
        }
        #expect(files.count >= 2, "the WAL file should exist while the vault is open")
        var needles = test.customers.flatMap(distinctiveValues)
        needles += ["+44 7700 999111", "fixed.address@example.org", "moved to a new provider"]
        for needle in needles {
            for file in files {
                #expect(file.range(of: Data(needle.utf8)) == nil, "a plaintext value was found on disk")
            }
        }
    }

    @Test("a ciphertext swapped between customers, or a record relabelled as another kind, fails as an integrity error")
    func swappedCiphertextFails() async throws {
        let test = try await TestVault.make(customers: 4)
        defer { test.remove() }
        let support = try await test.principal("support")
        let a = test.customers[0].id
        let b = test.customers[1].id
        try test.tamper(
            """
            UPDATE record SET ciphertext = (SELECT ciphertext FROM record WHERE customer_id = '\(b)' AND kind = 'characteristics')
            WHERE customer_id = '\(a)' AND kind = 'characteristics'
            """
        )
        await #expect(throws: VaultError.self) {
            _ = try await test.vault.readCustomer(a, purpose: "service", fields: ["name"], by: support)
        }
        do {
            _ = try await test.vault.readCustomer(a, purpose: "service", fields: ["name"], by: support)
        } catch let error as VaultError {
            #expect(error.kind == .integrity)
            #expect(!error.message.contains(test.customers[1].fields["name"]!.description))
        }
        // Relabel customer c's responses record as purchases (after removing its purchases record).
        let c = test.customers[2].id
        try test.tamper(
            "DELETE FROM record WHERE customer_id = '\(c)' AND kind = 'purchases'; UPDATE record SET kind = 'purchases' WHERE customer_id = '\(c)' AND kind = 'responses'"
        )
        await #expect(
            throws: VaultError.integrity("the purchases record of customer \(c) failed its integrity check; the row was altered, moved or swapped")
        ) {
            _ = try await test.vault.readCustomer(c, purpose: "service", fields: ["purchases"], by: support)
        }
        // A wrapped key moved to another customer fails too.
        let d = test.customers[3].id
        try test.tamper("UPDATE customer SET wrapped_dek = (SELECT wrapped_dek FROM customer WHERE id = '\(b)') WHERE id = '\(d)'")
        await #expect(throws: VaultError.self) {
            _ = try await test.vault.readCustomer(d, purpose: "service", fields: ["name"], by: support)
        }
    }

    @Test("role × purpose × consent over the default policy: allows and denials as the policy says, each denial audited")
    func decisionMatrix() async throws {
        let test = try await TestVault.make(customers: 30)
        defer { test.remove() }
        let policy = try Policy.parse(yaml: Vault.defaultPolicyText, fileName: "default.yaml")
        let roles = ["support", "marketing", "analyst", "auditor", "operator"]
        let purposes = policy.purposes.map(\.name)
        let subject = test.customers.first {
            $0.consents["marketing"] != .granted && $0.consents["personalization"] != .granted && $0.consents["fraud_prevention"] == nil
        }!
        let auditor = try await test.principal("auditor", name: "matrix-auditor")
        for role in roles {
            let principal = try await test.principal(role, name: "matrix-\(role)")
            for purpose in purposes {
                let fields = policy.fields.map(\.name)
                let before = try await test.vault.auditEntries(customer: subject.id, from: 0, limit: 10_000, by: auditor).count
                let expected = policy.decideRead(
                    role: role,
                    purpose: purpose,
                    fields: fields,
                    customer: try await state(of: subject.id, test),
                    now: test.clock.now()
                )
                let readsRows = policy.authorize(role: role, operation: .read).allowed
                do {
                    let view = try await test.vault.readCustomer(subject.id, purpose: purpose, fields: fields, by: principal)
                    #expect(readsRows, "\(role) never reads rows")
                    #expect(view.decisions.map(\.allowed) == expected.fields.map(\.allowed), "\(role)/\(purpose)")
                    #expect(Set(view.values.keys) == Set(expected.allowedFields))
                } catch let error as VaultError {
                    #expect(!readsRows && error.kind == .denied, "read by \(role) for \(purpose) threw \(error.code)")
                }
                let entries = try await test.vault.auditEntries(customer: subject.id, from: 0, limit: 10_000, by: auditor).suffix(from: before)
                let denied = entries.filter { $0.entry.decision == "deny" && $0.entry.actor == principal.actor }
                #expect(denied.isEmpty == expected.allowsAll, "every denial of \(role)/\(purpose) is audited")
                if let entry = denied.first {
                    #expect(entry.entry.purpose == purpose)
                    #expect(entry.entry.fields == expected.deniedFields.sorted())
                }
            }
        }
    }

    private func state(of id: String, _ test: TestVault) async throws -> CustomerState {
        let consents = try await test.vault.storage.read { tx in try tx.consents(customerID: id) }
        var map: [String: ConsentRecord] = [:]
        for row in consents { map[row.purpose] = ConsentRecord(ConsentRecord.Status(rawValue: row.state.rawValue)!, at: row.at) }
        return CustomerState(consent: map)
    }

    @Test("withdrawing consent takes effect on the very next read")
    func consentWithdrawal() async throws {
        let test = try await TestVault.make(customers: 10)
        defer { test.remove() }
        let id = test.customers[0].id
        let customer = try await test.customerPrincipal(id)
        let marketing = try await test.principal("marketing")
        try await test.vault.setMyConsent(purpose: "marketing", to: .granted, by: customer)
        #expect(try await test.vault.readCustomer(id, purpose: "marketing", fields: ["email"], by: marketing).anyAllowed)
        test.clock.advance(by: 1)
        try await test.vault.setMyConsent(purpose: "marketing", to: .withdrawn, by: customer)
        let view = try await test.vault.readCustomer(id, purpose: "marketing", fields: ["email"], by: marketing)
        #expect(!view.anyAllowed)
        #expect(view.decisions[0].decision.code == .consentWithdrawn)
        #expect(view.values.isEmpty)
    }

    @Test("erasure leaves no key and no row, keeps the audit entries, answers erased, and signs a receipt")
    func erasure() async throws {
        let test = try await TestVault.make(customers: 5)
        defer { test.remove() }
        let id = test.customers[1].id
        let customer = try await test.customerPrincipal(id)
        let auditor = try await test.principal("auditor")
        let before = try await test.vault.auditEntries(customer: id, from: 0, limit: 1000, by: auditor)
        let receipt = try await test.vault.eraseMe(confirm: true, by: customer)
        let (row, records, consents) = try await test.vault.storage.read { tx in
            (try tx.customer(id: id), try tx.records(customerID: id), try tx.consents(customerID: id))
        }
        #expect(row?.wrappedKey == nil && row?.erasedAt != nil)
        #expect(records.isEmpty && consents.isEmpty)
        let after = try await test.vault.auditEntries(customer: id, from: 0, limit: 1000, by: auditor)
        // The old entries stay, the auditor's first listing is logged, and so is the erasure.
        #expect(after.count == before.count + 2, "the old entries stay, and the erasure is logged")
        #expect(after.suffix(2).map(\.entry.op) == ["audit.entries", "customer.erase"])
        #expect(Array(after.prefix(before.count)).map(\.leaf) == before.map(\.leaf))
        let support = try await test.principal("support")
        await #expect(throws: VaultError.erased(id)) {
            _ = try await test.vault.readCustomer(id, purpose: "service", by: support)
        }
        // The customer's tokens no longer work.
        await #expect(throws: VaultError.self) { _ = try await test.vault.myProfile(by: customer).values }
        // The receipt verifies with the vault's public key.
        let publicKey = test.vault.publicKey
        #expect(publicKey.isValidSignature(Data(base64Encoded: receipt.signature)!, for: Array(receipt.statement.utf8)))
        #expect(receipt.statement.contains(id))
    }

    @Test("a key rotation interrupted half-way resumes, and every customer still reads")
    func interruptedRotation() async throws {
        let test = try await TestVault.make(customers: 50)
        defer { test.remove() }
        struct Stop: Error {}
        await #expect(throws: Stop.self) {
            try await test.vault.rollKeyEpoch(by: .localOperator, batchSize: 10) { done, _ in
                if done >= 20 { throw Stop() }
            }
        }
        let midway = try await test.vault.keyStatus(by: .localOperator)
        #expect(midway.rotationInProgress == 2)
        #expect(midway.customersByVersion["2"] == 20 && midway.customersByVersion["1"] == 30)

        // A new process resumes the rotation rather than starting another.
        let reopened = try await test.reopen()
        let status = try await reopened.rollKeyEpoch(by: .localOperator, batchSize: 7)
        #expect(status.rotationInProgress == nil)
        // The finished roll destroyed epoch 1: only epoch 2 lives.
        #expect(status.current == 2 && status.versions == [2])
        #expect(status.epochs.map(\.version) == [1, 2] && status.epochs[0].destroyedAt != nil)
        #expect(status.customersByVersion == ["2": 50])
        let support = try await test.principal("support")
        for customer in test.customers {
            let view = try await reopened.readCustomer(customer.id, purpose: "service", fields: ["name"], by: support)
            #expect(view.values["name"] == customer.fields["name"])
        }
        // A second rotation starts version 3.
        #expect(try await reopened.rollKeyEpoch(by: .localOperator).current == 3)
    }

    @Test("a running vault takes up a policy applied and keys rotated by another process")
    func refreshTakesUpOtherProcesses() async throws {
        let test = try await TestVault.make(customers: 5)
        defer { test.remove() }
        let server = test.vault
        let support = try await test.principal("support")
        let id = test.customers[0].id
        #expect(try await server.readCustomer(id, purpose: "service", fields: ["phone"], by: support).anyAllowed)

        // Another process narrows support's service grant (no more phone) and rotates the keys.
        let cli = try await test.reopen()
        let grant = "        read: [name, email, phone, postcode, region, preferred_channel, purchases]"
        #expect(Vault.defaultPolicyText.contains(grant))
        let narrower = Vault.defaultPolicyText.replacingOccurrences(of: grant, with: grant.replacingOccurrences(of: " phone,", with: ""))
        _ = try await cli.applyPolicy(text: narrower, fileName: "narrower.yaml", by: .localOperator)
        _ = try await cli.rollKeyEpoch(by: .localOperator)
        #expect(server.policyInfo.hash != cli.policyInfo.hash)

        #expect(try await server.refresh())
        #expect(server.policyInfo.hash == cli.policyInfo.hash)
        let view = try await server.readCustomer(id, purpose: "service", fields: ["phone", "name"], by: support)
        #expect(view.decisions.first { $0.field == "phone" }?.allowed == false)
        // The customer's DEK is now wrapped under KEK 2, which the server had never loaded.
        #expect(view.values["name"] == test.customers[0].fields["name"])
        // Customers the server adds from now on go under the new KEK.
        _ = try await server.importCustomers([SyntheticCustomers(seed: 99, asOf: test.clock.now()).customer(1000)], by: .localOperator)
        #expect(try await cli.keyStatus(by: .localOperator).customersByVersion == ["2": 6])
        #expect(try await server.refresh() == false)
    }

    @Test("a wrong key file or passphrase fails before anything is written", .enabled(if: onSQLite, "reads or edits the SQLite file itself"))
    func wrongKey() async throws {
        let test = try await TestVault.make(customers: 3)
        defer { test.remove() }
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("wrong-\(UUID().uuidString).key").path
        _ = try VaultCryptoKeyFile.create(at: other)
        defer { try? FileManager.default.removeItem(atPath: other) }
        let databaseBefore = try Data(contentsOf: URL(fileURLWithPath: test.databasePath))
        let modified = try FileManager.default.attributesOfItem(atPath: test.databasePath)[.modificationDate] as? Date
        await #expect(throws: VaultError.self) { _ = try await test.reopen(keySource: .keyFile(other)) }
        do {
            _ = try await test.reopen(keySource: .keyFile(other))
        } catch let error as VaultError {
            #expect(error.code == .wrongRootKey)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: test.databasePath)) == databaseBefore)
        #expect(try FileManager.default.attributesOfItem(atPath: test.databasePath)[.modificationDate] as? Date == modified)
        await #expect(throws: VaultError.self) { _ = try await test.reopen(keySource: .passphrase("not the vault's passphrase")) }
    }

    @Test("a key file readable by others is refused")
    func looseKeyFileMode() async throws {
        let test = try await TestVault.make(customers: 0)
        defer { test.remove() }
        let keyPath = test.folder.appendingPathComponent("root.key").path
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyPath)
        do {
            _ = try await test.reopen()
            Issue.record("a 0644 key file must be refused")
        } catch let error as VaultError {
            #expect(error.message.contains("chmod 600"))
        }
    }

    @Test("readers during an import see each customer whole or not at all")
    func noTornReads() async throws {
        let test = try await TestVault.make(customers: 0)
        defer { test.remove() }
        let generator = SyntheticCustomers(seed: 99, asOf: test.clock.now())
        let batch = (0..<400).map(generator.customer)
        let support = try await test.principal("support")
        let vault = test.vault
        async let importing: ImportSummary = vault.importCustomers(batch, by: .localOperator, batchSize: 50)
        var observations = 0
        for round in 0..<40 {
            let customer = batch[(round * 37) % batch.count]
            do {
                let view = try await vault.readCustomer(customer.id, purpose: "service", fields: ["name", "email", "purchases"], by: support)
                // All three records were written in one transaction: all present and matching.
                #expect(view.values["name"] == customer.fields["name"])
                #expect(view.values["email"] == customer.fields["email"])
                #expect(view.values["purchases"] == customer.fields["purchases"])
                observations += 1
            } catch let error as VaultError {
                #expect(error.kind == .notFound, "a customer is either absent or whole")
            }
        }
        #expect(try await importing.inserted == 400)
        _ = observations
    }

    @Test("an import with one bad line writes nothing and names the line; existing ids need --upsert")
    func importValidation() async throws {
        let test = try await TestVault.make(customers: 2)
        defer { test.remove() }
        let policy = try Policy.parse(yaml: Vault.defaultPolicyText, fileName: "default.yaml")
        let generator = SyntheticCustomers(seed: 5, asOf: test.clock.now())
        var lines = (100..<103).map { generator.customer($0).jsonLine(policy: policy) }
        lines.insert(#"{"id":"c-bad","characteristics":{"birth_year":"nineteen-eighty","email":"secret@example.com"}}"#, at: 2)
        guard case .failure(let failure) = test.vault.validateImport(Data(lines.joined(separator: "\n").utf8)) else {
            Issue.record("the bad line must be refused")
            return
        }
        #expect(failure.problems == [ImportProblem(line: 3, message: "characteristics.birth_year must be a whole number, not a string")])
        #expect(!failure.problems[0].message.contains("secret@example.com"))

        // Re-importing an existing id with other content is refused, before anything is written.
        let existing = test.customers[0]
        let fresh = generator.customer(200)
        var changed = existing
        changed.fields["name"] = .string("Changed Name")
        await #expect(throws: VaultError.self) {
            _ = try await test.vault.importCustomers([fresh, changed], by: .localOperator)
        }
        let support = try await test.principal("support")
        await #expect(throws: VaultError.notFound("customer \(fresh.id)")) {
            _ = try await test.vault.readCustomer(fresh.id, purpose: "service", by: support)
        }
        // With upsert the existing customer is replaced and the new one inserted.
        let summary = try await test.vault.importCustomers([fresh, changed], upsert: true, by: .localOperator)
        #expect(summary == ImportSummary(inserted: 1, updated: 1))
        #expect(
            try await test.vault.readCustomer(existing.id, purpose: "service", fields: ["name"], by: support).values["name"]
                == .string("Changed Name")
        )
    }

    @Test("malformed, unknown, revoked and expired tokens are refused with distinct reasons")
    func tokens() async throws {
        let test = try await TestVault.make(customers: 1)
        defer { test.remove() }
        await #expect(throws: VaultError.self) { _ = try await test.vault.authenticate(token: "hello") }
        await #expect(throws: VaultError.self) { _ = try await test.vault.authenticate(token: "cvt_" + String(repeating: "A", count: 43)) }
        let shortLived = try await test.vault.issueToken(role: "support", customerID: nil, name: "temp", expiresIn: "PT1H", by: .localOperator)
        #expect(try await test.vault.authenticate(token: shortLived.secret).role == "support")
        test.clock.advance(by: 3601)
        await #expect(throws: VaultError.self) { _ = try await test.vault.authenticate(token: shortLived.secret) }
        let revoked = try await test.vault.issueToken(role: "auditor", customerID: nil, name: "gone", expiresIn: nil, by: .localOperator)
        try await test.vault.revokeToken(revoked.id, by: .localOperator)
        do {
            _ = try await test.vault.authenticate(token: revoked.secret)
            Issue.record("revoked token accepted")
        } catch let error as VaultError {
            #expect(error.code == .revokedToken)
        }
        // Only the keyed hash is stored.
        let stored = try await test.vault.storage.read { tx in try tx.tokens() }
        #expect(stored.allSatisfy { row in !String(decoding: row.hash, as: UTF8.self).contains("cvt_") })
        // Only operators issue tokens.
        let support = try await test.principal("support")
        await #expect(throws: VaultError.self) {
            _ = try await test.vault.issueToken(role: "operator", customerID: nil, name: "escalate", expiresIn: nil, by: support)
        }
    }

    @Test("concurrent reads commit together, each with its own audit entry, and the log verifies")
    func groupCommit() async throws {
        let test = try await TestVault.make(customers: 20)
        defer { test.remove() }
        let support = try await test.principal("support")
        let auditor = try await test.principal("auditor")
        let before = try await test.vault.storage.read { tx in try tx.auditSize() }
        let vault = test.vault
        let customers = test.customers
        let names = try await withThrowingTaskGroup(of: FieldValue?.self) { group in
            for round in 0..<80 {
                let customer = customers[round % customers.count]
                group.addTask {
                    // Each read gets its own customer, though the batch loads them all at once.
                    let name = try await vault.readCustomer(customer.id, purpose: "service", fields: ["name"], by: support).values["name"]
                    #expect(name == customer.fields["name"])
                    return name
                }
            }
            // One read of a missing customer fails on its own without failing the others.
            group.addTask {
                do {
                    _ = try await vault.readCustomer("c-missing", purpose: "service", by: support)
                    return nil
                } catch let error as VaultError {
                    #expect(error.kind == .notFound)
                    return .string("refused")
                }
            }
            return try await group.reduce(into: [FieldValue?]()) { $0.append($1) }
        }
        #expect(names.compactMap { $0 }.count == 81)
        let after = try await test.vault.storage.read { tx in try tx.auditSize() }
        #expect(after - before == 80, "one entry per successful read")
        #expect(try await test.vault.verifyAudit(by: auditor).ok)
    }

    @Test("a read that one of its statements fails leaves the other reads of its batch alone")
    func oneFailingReadInABatch() async throws {
        let test = try await TestVault.make(customers: 20)
        defer { test.remove() }
        let support = try await test.principal("support")
        let vault = test.vault
        let customers = test.customers
        // An id no customer can have is not found, and nothing of it reaches the storage or the log.
        let before = try await vault.storage.read { try $0.auditSize() }
        do {
            _ = try await vault.readCustomer("c\u{0}1", purpose: "service", by: support)
            Issue.record("a read of an impossible id must fail")
        } catch let error as VaultError {
            #expect(error.kind == .notFound)
        }
        #expect(try await vault.storage.read { try $0.auditSize() } == before)
        // A contest id with a NUL: PostgreSQL's driver refuses the statement before sending it (a
        // storage error inside the batch's transaction); SQLite finds no such contest. A write
        // holding the writer meanwhile makes the reads queue up into one batch.
        let holder = Task { try await vault.storage.write { _ in Thread.sleep(forTimeInterval: 0.3) } }
        try await Task.sleep(for: .milliseconds(50))
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for round in 0..<60 {
                let customer = customers[round % customers.count]
                group.addTask {
                    let view = try await vault.readCustomer(customer.id, purpose: "service", fields: ["name"], by: support)
                    return view.values["name"] == customer.fields["name"]
                }
                if round % 20 == 10 {
                    group.addTask {
                        await #expect(throws: VaultError.self) { _ = try await vault.reviewContest(id: "k\u{0}\(round)", by: support) }
                        return true
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        try await holder.value
        #expect(outcomes.count == 63 && outcomes.allSatisfy { $0 })
    }

    @Test("log lines never carry customer values or customer ids, at any level")
    func logsCarryNoValues() async throws {
        let capture = LogCapture()
        let test = try await TestVault.make(customers: 20, logger: capture.logger)
        defer { test.remove() }
        let customer = try await test.customerPrincipal(test.customers[0].id)
        _ = try await test.vault.eraseMe(confirm: true, by: customer)
        let analyst = try await test.principal("analyst")
        _ = try await test.vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["region"], epsilon: 0.5), by: analyst)
        let support = try await test.principal("support")
        _ = try await test.vault.readCustomer(test.customers[1].id, purpose: "service", by: support)
        try await test.vault.rollKeyEpoch(by: .localOperator)
        // A failing aggregate logs its cause; the cause names a customer, the log line must not.
        try test.tamper("UPDATE customer SET wrapped_dek = zeroblob(61) WHERE id = '\(test.customers[2].id)'")
        _ = try? await test.vault.aggregate(AggregateRequest(measures: ["count"], groupBy: ["segment"], epsilon: 0.5), by: analyst)
        #expect(!capture.all.isEmpty)
        let text = capture.all.joined(separator: "\n")
        for needle in test.customers.flatMap(distinctiveValues) + test.customers.map(\.id) {
            #expect(!text.contains(needle), "a log line carries \(needle)")
        }
    }
}

typealias VaultCryptoKeyFile = KeyFile
