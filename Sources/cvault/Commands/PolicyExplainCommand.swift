import ArgumentParser
import Foundation
import VaultPolicy

/// `cvault policy explain`: prints the decision for a read and the reason for it, field by field.
struct PolicyExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain whether a role may read fields for a purpose, and why.",
        discussion: "Exits 0 when every field is allowed, 1 when any is denied."
    )

    @Option(help: ArgumentHelp("The policy file.", valueName: "file"))
    var policy: String

    @Option(help: "The acting role: customer, support, marketing, analyst, auditor or operator.")
    var role: String

    @Option(help: "The purpose of the read (not needed with --self).")
    var purpose: String?

    @Option(name: .customLong("field"), help: "A field to read; repeat for more.")
    var fields: [String]

    @Option(
        name: .customLong("consent"),
        help: ArgumentHelp(
            "The customer's latest choice for a purpose; repeat for more.",
            valueName: "purpose=granted|withdrawn|objected[@TIME]"
        )
    )
    var consent: [String] = []

    @Option(name: .customLong("disputed"), help: ArgumentHelp("A field under an open contest; repeat for more.", valueName: "field"))
    var disputed: [String] = []

    @Option(
        name: .customLong("collected"),
        help: ArgumentHelp(
            "When a field's value was collected, to check its retention; repeat for more.",
            valueName: "field=TIME"
        )
    )
    var collected: [String] = []

    @Option(help: ArgumentHelp("Decide as of this UTC time, e.g. 2026-11-02T09:00Z (default: the current time).", valueName: "time"))
    var now: String?

    @Flag(name: .customLong("self"), help: "The actor is the customer the record belongs to.")
    var isSelf = false

    @Flag(help: "Print the decision as JSON on standard output.")
    var json = false

    func validate() throws {
        guard purpose != nil || isSelf else { throw ValidationError("--purpose is required unless --self is given") }
        _ = try customerState(now: try instant())
    }

    func run() async throws {
        let text: String
        do {
            text = try String(contentsOfFile: policy, encoding: .utf8)
        } catch {
            standardError("\(policy): cannot read the file as UTF-8 text (\(error.localizedDescription)); check the path")
            throw ExitCode(1)
        }
        let parsed: Policy
        do {
            parsed = try Policy.parse(yaml: text, fileName: policy)
        } catch {
            standardError(error.description)
            throw ExitCode(1)
        }
        let now = try instant()
        let decision = parsed.decideRead(
            role: role,
            purpose: purpose,
            fields: fields,
            customer: try customerState(now: now),
            isSelf: isSelf,
            now: now
        )

        if json {
            let output = Output(
                policy: .init(name: parsed.name, hash: parsed.hash),
                role: role,
                purpose: purpose,
                isSelf: isSelf,
                now: UTCTimestamp.format(now),
                allowed: decision.allowsAll,
                fields: decision.fields
            )
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(output) + Data("\n".utf8))
        } else {
            print("policy \(parsed.name), sha256 \(parsed.hash)")
            var heading = "role \(role)"
            if let purpose {
                heading += ", purpose \(purpose)"
                if let basis = parsed.purpose(named: purpose)?.basis { heading += " (basis: \(basis.rawValue))" }
            }
            if isSelf { heading += ", acting on their own record" }
            print(heading + ", as of \(UTCTimestamp.format(now))")
            let fieldWidth = decision.fields.map(\.field.count).max() ?? 0
            let codeWidth = decision.fields.map(\.decision.code.rawValue.count).max() ?? 0
            for item in decision.fields {
                print("  \(pad(item.field, fieldWidth))  \(pad(item.decision.code.rawValue, codeWidth))  \(item.decision.reason)")
            }
        }
        if !decision.allowsAll { throw ExitCode(1) }
    }

    private struct Output: Encodable {
        struct PolicyID: Encodable {
            let name: String
            let hash: String
        }

        let policy: PolicyID
        let role: String
        let purpose: String?
        let isSelf: Bool
        let now: String
        let allowed: Bool
        let fields: [FieldDecision]

        enum CodingKeys: String, CodingKey {
            case policy, role, purpose
            case isSelf = "self"
            case now, allowed, fields
        }
    }

    private func instant() throws -> Date {
        guard let now else { return Date() }
        guard let date = UTCTimestamp.parse(now) else {
            throw ValidationError("--now \(now) is not \(UTCTimestamp.expectedForm)")
        }
        return date
    }

    private func customerState(now: Date) throws -> CustomerState {
        var state = CustomerState(disputedFields: Set(disputed))
        for spec in consent {
            let (purpose, rest) = try split(spec, at: "=", option: "--consent", form: "purpose=granted|withdrawn|objected[@TIME]")
            let statusText = rest.split(separator: "@", maxSplits: 1).first.map(String.init) ?? rest
            guard let status = ConsentRecord.Status(rawValue: statusText) else {
                throw ValidationError("--consent \(spec): the choice must be granted, withdrawn or objected")
            }
            var at = now
            if let index = rest.firstIndex(of: "@") {
                let time = String(rest[rest.index(after: index)...])
                guard let date = UTCTimestamp.parse(time) else {
                    throw ValidationError("--consent \(spec): \(time) is not \(UTCTimestamp.expectedForm)")
                }
                at = date
            }
            state.consent[purpose] = ConsentRecord(status, at: at)
        }
        for spec in collected {
            let (field, time) = try split(spec, at: "=", option: "--collected", form: "field=TIME")
            guard let date = UTCTimestamp.parse(time) else {
                throw ValidationError("--collected \(spec): \(time) is not \(UTCTimestamp.expectedForm)")
            }
            state.collectedAt[field] = date
        }
        return state
    }

    private func split(_ spec: String, at separator: Character, option: String, form: String) throws -> (String, String) {
        guard let index = spec.firstIndex(of: separator), index != spec.startIndex, spec.index(after: index) != spec.endIndex else {
            throw ValidationError("\(option) \(spec): write \(form)")
        }
        return (String(spec[..<index]), String(spec[spec.index(after: index)...]))
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}
