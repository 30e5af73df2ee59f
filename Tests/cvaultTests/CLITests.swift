import Foundation
import Testing
import VaultTestSupport

/// Runs the built `cvault` binary, as a user would.
struct CLI {
    let home: URL

    static var binary: URL {
        // The test runner sits next to the package's products in the build folder.
        let folder = Bundle.main.executableURL?.deletingLastPathComponent() ?? URL(fileURLWithPath: ".build/debug")
        return folder.appendingPathComponent("cvault")
    }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        var env = ProcessInfo.processInfo.environment
        env["CVAULT_HOME"] = home.path
        env["CI"] = "true"
        env.removeValue(forKey: "CVAULT_TOKEN")
        env.merge(environment) { $1 }
        let result = try ChildProcess.run(Self.binary.path, arguments, environment: env)
        return Result(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }
}

@Suite("cvault command line", .serialized)
struct CLITests {
    private func makeHome() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("cvault-cli-\(UUID().uuidString)")
    }

    @Test("init makes a 0600 key file and refuses to touch an existing vault; --version and --help work")
    func initAndVersion() throws {
        let home = makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        let first = try cli.run(["init", home.path])
        #expect(first.status == 0, "\(first.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: home.appendingPathComponent("root.key").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let second = try cli.run(["init", home.path])
        #expect(second.status == 1)
        #expect(second.stderr.contains("refusing"))
        #expect(try cli.run(["--version"]).status == 0)
        #expect(try cli.run(["--help"]).stdout.contains("demo"))
    }

    @Test("usage errors exit 2, refusals exit 1")
    func exitCodes() throws {
        let home = makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        #expect(try cli.run(["customer", "get"]).status == 2)
        #expect(try cli.run(["no-such-command"]).status == 2)
        #expect(try cli.run(["init", home.path]).status == 0)
        let noToken = try cli.run(["me", "show"])
        #expect(noToken.status == 1 && noToken.stderr.contains("CVAULT_TOKEN"))
        #expect(try cli.run(["me", "show", "--token", "cvt_nonsense"]).status == 1)
    }

    @Test("the story of issue 4 from the command line: import, allowed and denied reads, consent, erasure")
    func profileStory() throws {
        let home = makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        #expect(try cli.run(["init", home.path]).status == 0)
        let file = home.appendingPathComponent("customers.jsonl").path
        #expect(try cli.run(["generate", "--customers", "50", "--seed", "4", "--as-of", "2026-11-01", "--out", file]).status == 0)
        let imported = try cli.run(["import", file])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("imported 50"))
        // Importing the same file again (an interrupted import re-run) skips what is already there.
        let again = try cli.run(["import", file])
        #expect(again.status == 0 && again.stdout.contains("imported 0 new customer(s), replaced 0, skipped 50"))

        // The token is alone on the last line of standard output; the explanation goes to standard error.
        let issued = try cli.run(["token", "issue", "--role", "support", "--name", "alice"])
        let supportToken = issued.stdout.trimmingCharacters(in: .newlines)
        #expect(supportToken.hasPrefix("cvt_") && !supportToken.contains("\n"))
        #expect(issued.stderr.contains("shown only once"))
        let marketingToken = try cli.run(["token", "issue", "--role", "marketing", "--name", "bob"]).stdout.trimmingCharacters(in: .newlines)

        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        let line = lines.first { !$0.contains(#""marketing":"granted""#) }!
        let id = String(line.split(separator: "\"")[3])
        let customerToken = try cli.run(["token", "issue", "--role", "customer", "--customer", id]).stdout.trimmingCharacters(in: .newlines)

        #expect(try cli.run(["customer", "get", id, "--purpose", "service", "--token", supportToken]).status == 0)
        let denied = try cli.run(["customer", "get", id, "--purpose", "marketing", "--fields", "email", "--token", marketingToken])
        #expect(denied.status == 1)
        #expect(denied.stdout.contains("needs consent"))
        #expect(try cli.run(["me", "consent", "grant", "marketing"], environment: ["CVAULT_TOKEN": customerToken]).status == 0)
        let allowed = try cli.run(["customer", "get", id, "--purpose", "marketing", "--fields", "email", "--json", "--token", marketingToken])
        #expect(allowed.status == 0 && allowed.stdout.contains("\"email\""))
        #expect(try cli.run(["me", "erase"], environment: ["CVAULT_TOKEN": customerToken]).status == 1, "erasure needs --confirm")
        let erased = try cli.run(["me", "erase", "--confirm"], environment: ["CVAULT_TOKEN": customerToken])
        #expect(erased.status == 0 && erased.stdout.contains("cvault-erasure-receipt/v2"))
        let gone = try cli.run(["customer", "get", id, "--purpose", "service", "--token", supportToken])
        #expect(gone.status == 1 && gone.stderr.contains("erased"))
    }

    @Test("retention sweep runs from the command line, quietly without a terminal, and the compliance report shows it")
    func retentionSweep() throws {
        let home = makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        #expect(try cli.run(["init", home.path]).status == 0)
        let file = home.appendingPathComponent("customers.jsonl").path
        #expect(try cli.run(["generate", "--customers", "30", "--seed", "5", "--out", file]).status == 0)
        #expect(try cli.run(["import", file]).status == 0)
        let auditor = [
            "CVAULT_TOKEN": try cli.run(["token", "issue", "--role", "auditor", "--name", "carol"]).stdout.trimmingCharacters(in: .newlines)
        ]
        #expect(try cli.run(["audit", "report"], environment: auditor).stdout.contains("last sweep: never"))
        // Values imported today are years from their retention: the sweep looks at everyone and deletes nothing.
        let swept = try cli.run(["retention", "sweep"])
        #expect(swept.status == 0, "\(swept.stderr)")
        #expect(swept.stdout.contains("0 value(s) deleted from 0 of 30 customer(s)"))
        #expect(!swept.stderr.contains("sweep"), "no progress bar without a terminal")
        let report = try cli.run(["audit", "report"], environment: auditor)
        #expect(report.stdout.contains("values deleted past their retention: 0; last sweep: 20"), "\(report.stdout)")
        #expect(report.stdout.contains(", 0 value(s) removed"))
        let support = try cli.run(["token", "issue", "--role", "support", "--name", "alice"]).stdout.trimmingCharacters(in: .newlines)
        let refused = try cli.run(["retention", "sweep"], environment: ["CVAULT_TOKEN": support])
        #expect(refused.status == 1 && refused.stderr.contains("import"), "\(refused.stderr)")
    }

    @Test("cvault model train and show, customer next-best-product for a consenting customer, a reasoned refusal for one who withdrew")
    func nextBestProduct() throws {
        let home = makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        #expect(try cli.run(["init", home.path]).status == 0)
        let file = home.appendingPathComponent("customers.jsonl").path
        #expect(try cli.run(["generate", "--customers", "300", "--seed", "6", "--out", file]).status == 0)
        #expect(try cli.run(["import", file]).status == 0)
        let trained = try cli.run(["model", "train"])
        #expect(
            trained.status == 0 && trained.stdout.contains("model v1") && trained.stdout.contains("charged ε 1"),
            "\(trained.stdout)\(trained.stderr)"
        )
        let shown = try cli.run(["model", "show", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        #expect((object?["model"] as? [String: Any])?["version"] as? Int == 1 && (object?["sha256"] as? String)?.count == 64, "\(shown.stdout)")
        #expect(try cli.run(["model", "show", "--version", "9"]).status == 1)

        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        let granted = try #require(lines.first { $0.contains(#""personalization":"granted""#) })
        let withdrawn = try #require(lines.first { $0.contains(#""personalization":"withdrawn""#) })
        func id(_ line: Substring) -> String { String(line.split(separator: "\"")[3]) }
        let marketing = [
            "CVAULT_TOKEN": try cli.run(["token", "issue", "--role", "marketing", "--name", "mo"]).stdout.trimmingCharacters(in: .newlines)
        ]
        let answer = try cli.run(["customer", "next-best-product", id(granted), "--purpose", "personalization"], environment: marketing)
        #expect(answer.status == 0 && answer.stdout.contains("1. ") && answer.stdout.contains("model v1"), "\(answer.stdout)\(answer.stderr)")
        let refused = try cli.run(["customer", "next-best-product", id(withdrawn), "--purpose", "personalization"], environment: marketing)
        #expect(refused.status == 1 && refused.stderr.contains("consent"), "\(refused.stderr)")
        let untrained = try cli.run(["model", "train"], environment: marketing)
        #expect(untrained.status == 1 && untrained.stderr.contains("train_models"), "\(untrained.stderr)")
    }

    @Test("cvault portal link prints a one-time sign-in link for a customer; an unknown customer is refused")
    func portalLink() throws {
        let home = makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        #expect(try cli.run(["init", home.path]).status == 0)
        let file = home.appendingPathComponent("customers.jsonl").path
        #expect(try cli.run(["generate", "--customers", "3", "--seed", "6", "--out", file]).status == 0)
        #expect(try cli.run(["import", file]).status == 0)
        let link = try cli.run(["portal", "link", "--customer", "c-0000001", "--public-url", "https://vault.example.com/"])
        #expect(
            link.status == 0 && link.stdout.hasPrefix("https://vault.example.com/portal/link/") && link.stdout.count > 70,
            "\(link.stdout)\(link.stderr)"
        )
        let unknown = try cli.run(["portal", "link", "--customer", "c-9999999"])
        #expect(unknown.status == 1 && unknown.stderr.contains("not found"))
        #expect(try cli.run(["portal", "link", "--customer", "c-0000001", "--public-url", "ftp://x"]).status != 0)
    }

    @Test(
        "aggregate --portfolio prints each group's margin mean and spread and the efficient set; with no measure and no --portfolio it is a usage error"
    )
    func portfolio() throws {
        let home = makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        #expect(try cli.run(["init", home.path]).status == 0)
        let file = home.appendingPathComponent("customers.jsonl").path
        #expect(try cli.run(["generate", "--customers", "1500", "--seed", "6", "--out", file]).status == 0)
        #expect(try cli.run(["import", file]).status == 0)
        let analyst = [
            "CVAULT_TOKEN": try cli.run(["token", "issue", "--role", "analyst", "--name", "dana"]).stdout.trimmingCharacters(in: .newlines)
        ]
        let answer = try cli.run(["aggregate", "--portfolio", "--group-by", "segment", "--epsilon", "1"], environment: analyst)
        #expect(answer.status == 0, "\(answer.stderr)")
        for line in ["margin_mean", "margin_sd", "margin_variance", "efficient set", "segment=", "ε charged: 1"] {
            #expect(answer.stdout.contains(line), "\(line) in \(answer.stdout)")
        }
        let json = try cli.run(["aggregate", "--portfolio", "--group-by", "segment", "--epsilon", "1", "--json"], environment: analyst)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let frontier = (object?["efficient_set"] as? [String: Any])?["frontier"] as? [[String: Any]]
        #expect(frontier?.isEmpty == false, "\(json.stdout)")
        #expect(object?["cached"] as? Bool == true, "the identical repeat is free")
        #expect(try cli.run(["aggregate", "--group-by", "segment"], environment: analyst).status == 2)
        // The chart of the same (now cached, free) answer; an unwritable path is a clear failure.
        let chart = home.appendingPathComponent("portfolio.svg").path
        let drawn = try cli.run(["aggregate", "--portfolio", "--group-by", "segment", "--epsilon", "1", "--chart", chart], environment: analyst)
        #expect(drawn.status == 0, "\(drawn.stderr)")
        let svg = try String(contentsOfFile: chart, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains(#"class="efficient-group""#))
        let unwritable = try cli.run(
            ["aggregate", "--portfolio", "--group-by", "segment", "--epsilon", "1", "--chart", "/nonexistent/dir/c.svg"],
            environment: analyst
        )
        #expect(unwritable.status == 1 && unwritable.stderr.contains("cannot write the chart"), "\(unwritable.stderr)")
    }

    @Test("text that reaches the terminal cannot drive it: control characters are printed escaped")
    func escapesControlCharacters() throws {
        let home = makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        #expect(try cli.run(["init", home.path]).status == 0)
        let support = try cli.run(["token", "issue", "--role", "support", "--name", "s"]).stdout.trimmingCharacters(in: .newlines)
        // The id comes back in the error message: its escape sequence must not reach the terminal raw.
        let result = try cli.run(["customer", "get", "c-\u{1B}[2J\u{202E}x", "--purpose", "service"], environment: ["CVAULT_TOKEN": support])
        #expect(result.status == 1)
        #expect(!result.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x202E })
        #expect(result.stderr.contains("\\u{1B}[2J\\u{202E}x"))
    }

    @Test("tokens come from CVAULT_TOKEN or a file; one on the command line works with a warning; the operator is named by OS user")
    func tokensAndOperatorIdentity() throws {
        let home = makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        #expect(try cli.run(["init", home.path]).status == 0)
        let auditor = try cli.run(["token", "issue", "--role", "auditor", "--name", "a"]).stdout.trimmingCharacters(in: .newlines)
        let tokenFile = home.appendingPathComponent("auditor.token")
        try Data((auditor + "\n").utf8).write(to: tokenFile)
        let fromFile = try cli.run(["audit", "entries", "--json", "--token-file", tokenFile.path])
        #expect(fromFile.status == 0 && !fromFile.stderr.contains("warning"))
        let fromArgv = try cli.run(["audit", "entries", "--json", "--token", auditor])
        #expect(fromArgv.status == 0 && fromArgv.stderr.contains("visible to other local users"))
        // The vault's creation and the token issue were done by this OS user, not a shared `operator:local`.
        let sudoUser = ProcessInfo.processInfo.environment["SUDO_USER"].flatMap { $0.isEmpty ? nil : $0 }
        let user = geteuid() == 0 && sudoUser != nil ? "\(sudoUser!)(sudo)" : String(cString: getpwuid(geteuid())!.pointee.pw_name)
        #expect(fromFile.stdout.contains("\"actor\" : \"operator:\(user)\""))
        #expect(!fromFile.stdout.contains("operator:local"))
    }

    @Test("an import file with a bad line names it and writes nothing")
    func badImport() throws {
        let home = makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        #expect(try cli.run(["init", home.path]).status == 0)
        let file = home.appendingPathComponent("bad.jsonl")
        try Data(
            #"""
            {"id":"c-1","characteristics":{"name":"Ada Lovelace","email":"ada@example.com"}}
            {"id":"c-2","characteristics":{"email":"not-an-address"}}
            """#.utf8
        ).write(to: file)
        let result = try cli.run(["import", file.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.jsonl:2: characteristics.email must be an e-mail address"))
        #expect(!result.stderr.contains("not-an-address"))
        let auditor = try cli.run(["token", "issue", "--role", "auditor", "--name", "a"]).stdout.trimmingCharacters(in: .newlines)
        let entries = try cli.run(["audit", "entries", "--json", "--token", auditor])
        #expect(!entries.stdout.contains("customer.import"))
    }

    @Test("drill: an older database file copied back under the vault makes audit verify exit 1 and naming it, and every other command refuse")
    func rolledBackDatabase() throws {
        let home = makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        #expect(try cli.run(["init", home.path]).status == 0)
        let file = home.appendingPathComponent("c.jsonl").path
        #expect(try cli.run(["generate", "--customers", "5", "--out", file]).status == 0)
        #expect(try cli.run(["import", file]).status == 0)
        let auditor = try cli.run(["token", "issue", "--role", "auditor", "--name", "a"]).stdout.trimmingCharacters(in: .newlines)
        // Between commands the database file is a consistent (older) state of its own.
        let database = home.appendingPathComponent("vault.sqlite").path
        let old = home.appendingPathComponent("old.sqlite").path
        try FileManager.default.copyItem(atPath: database, toPath: old)
        let support = try cli.run(["token", "issue", "--role", "support", "--name", "s"]).stdout.trimmingCharacters(in: .newlines)
        #expect(try cli.run(["customer", "get", "c-0000001", "--purpose", "service", "--token", support]).status == 0)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        try FileManager.default.copyItem(atPath: old, toPath: database)

        let verify = try cli.run(["audit", "verify", "--token", auditor])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("FAILED") && verify.stdout.contains("rolled back or cut short"))
        let refused = try cli.run(["audit", "entries", "--token", auditor])
        #expect(refused.status == 1 && refused.stderr.contains("refusing to open"))
    }

    @Test("backup, erasure and restore from the command line: the erased customer stays erased, the rollback is recorded")
    func backupAndRestore() throws {
        let home = makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        #expect(try cli.run(["init", home.path]).status == 0)
        let file = home.appendingPathComponent("c.jsonl").path
        #expect(try cli.run(["generate", "--customers", "6", "--out", file]).status == 0)
        #expect(try cli.run(["import", file]).status == 0)
        let backup = home.appendingPathComponent("b.sqlite").path
        let taken = try cli.run(["backup", backup])
        #expect(taken.status == 0 && taken.stdout.contains("key epoch(s) v1"), "\(taken.stderr)")
        #expect(try cli.run(["backup", backup]).status == 1, "a backup never overwrites a file")
        let customer = try cli.run(["token", "issue", "--role", "customer", "--customer", "c-0000003"]).stdout.trimmingCharacters(in: .newlines)
        let erased = try cli.run(["me", "erase", "--confirm"], environment: ["CVAULT_TOKEN": customer])
        #expect(erased.status == 0 && erased.stdout.contains("cannot decrypt your data from"))
        // The receipt checks out against the vault's key, and only against a pinned one.
        let customer2 = try cli.run(["token", "issue", "--role", "customer", "--customer", "c-0000004"]).stdout.trimmingCharacters(in: .newlines)
        let receipt = home.appendingPathComponent("receipt.json")
        try Data(try cli.run(["me", "erase", "--confirm", "--json"], environment: ["CVAULT_TOKEN": customer2]).stdout.utf8).write(to: receipt)
        #expect(try cli.run(["verify-receipt", receipt.path, "--vault", home.path]).stdout.contains("receipt OK"))
        let unpinnedReceipt = try cli.run(["verify-receipt", receipt.path])
        #expect(unpinnedReceipt.status == 1 && unpinnedReceipt.stdout.contains("UNPINNED"))

        let unconfirmed = try cli.run(["restore", backup, home.path])
        #expect(unconfirmed.status == 1 && unconfirmed.stderr.contains("--confirm"))
        let restored = try cli.run(["restore", backup, home.path, "--confirm"])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stdout.contains("2 erased again") && restored.stdout.contains("new log origin"))
        let support = try cli.run(["token", "issue", "--role", "support", "--name", "s"]).stdout.trimmingCharacters(in: .newlines)
        let gone = try cli.run(["customer", "get", "c-0000003", "--purpose", "service", "--token", support])
        #expect(gone.status == 1 && gone.stderr.contains("erased"))
        #expect(try cli.run(["customer", "get", "c-0000002", "--purpose", "service", "--token", support]).status == 0)
        let auditor = try cli.run(["token", "issue", "--role", "auditor", "--name", "a"]).stdout.trimmingCharacters(in: .newlines)
        let verify = try cli.run(["audit", "verify", "--token", auditor])
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    @Test("audit verify, checkpoint, customer log and an export verified offline")
    func auditFromTheCommandLine() throws {
        let home = makeHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let cli = CLI(home: home)
        #expect(try cli.run(["init", home.path]).status == 0)
        let file = home.appendingPathComponent("c.jsonl").path
        #expect(try cli.run(["generate", "--customers", "5", "--out", file]).status == 0)
        #expect(try cli.run(["import", file]).status == 0)
        let auditor = try cli.run(["token", "issue", "--role", "auditor", "--name", "a"]).stdout.trimmingCharacters(in: .newlines)
        let customer = try cli.run(["token", "issue", "--role", "customer", "--customer", "c-0000002"]).stdout.trimmingCharacters(in: .newlines)
        let ok = try cli.run(["audit", "verify", "--token", auditor])
        #expect(ok.status == 0 && ok.stdout.contains("audit log OK"))
        let checkpoint = try cli.run(["audit", "checkpoint", "--token", auditor])
        #expect(checkpoint.stdout.contains("\u{2014} customervault.local/"))
        let export = home.appendingPathComponent("export.json").path
        #expect(try cli.run(["me", "export", "--out", export, "--token", customer]).status == 0)
        let unpinned = try cli.run(["verify-export", export])
        #expect(unpinned.status == 1 && unpinned.stdout.contains("UNPINNED"))
        #expect(try cli.run(["verify-export", export, "--vault", home.path]).status == 0)
        let key = try cli.run(["audit", "public-key", "--json"]).stdout
        let publicKey = try #require((try JSONSerialization.jsonObject(with: Data(key.utf8)) as? [String: String])?["public_key"])
        #expect(try cli.run(["verify-export", export, "--public-key", publicKey]).status == 0)
        let log = try cli.run(["me", "log", "--token", customer])
        #expect(log.status == 0 && log.stdout.contains("proven"))
    }
}
