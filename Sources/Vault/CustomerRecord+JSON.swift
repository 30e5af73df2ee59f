import Foundation
import VaultFormat
import VaultPolicy
import VaultStore

extension CustomerRecord {
    /// Parses one JSON Lines import record against `policy`; the error names what is wrong, never a value.
    static func parse(line: some DataProtocol, policy: Policy) throws(FieldProblem) -> CustomerRecord {
        let json: JSONValue
        do {
            json = try JSONValue.parse(line)
        } catch {
            throw FieldProblem("line", "is not valid JSON (each line must be one JSON object)")
        }
        guard case .object(let object) = json else { throw FieldProblem("line", "must be a JSON object") }
        let sections = FieldDefinition.Section.allCases.map(\.rawValue)
        if let unknown = object.keys.sorted().first(where: { $0 != "id" && $0 != "consents" && !sections.contains($0) }) {
            throw FieldProblem(unknown, "is not a known key (expected id, \(sections.joined(separator: ", ")), consents)")
        }
        guard case .string(let id)? = object["id"] else { throw FieldProblem("id", "is required and must be a string") }
        guard isValidID(id) else { throw FieldProblem("id", "must be 1–128 letters, digits, '-', '_' or '.', and not dots alone") }

        var fields: [String: FieldValue] = [:]
        for section in FieldDefinition.Section.allCases {
            guard let content = object[section.rawValue] else { continue }
            let members: [String: JSONValue]
            if section == .purchases, case .array = content {
                // The purchases section is the purchase list itself.
                members = policy.fields.first(where: { $0.section == .purchases }).map { [$0.name: content] } ?? [:]
            } else if case .object(let map) = content {
                members = map
            } else {
                throw FieldProblem(section.rawValue, "must be an object of fields")
            }
            for name in members.keys.sorted() {
                guard let definition = policy.field(named: name) else {
                    throw FieldProblem("\(section.rawValue).\(name)", "is not a field of the policy")
                }
                guard definition.section == section else {
                    throw FieldProblem("\(section.rawValue).\(name)", "belongs in section \(definition.section.rawValue)")
                }
                let value = members[name]!
                if value == .null { continue }
                switch FieldCodec.value(value, for: definition) {
                case .success(let fieldValue): fields[name] = fieldValue
                case .failure(let problem): throw FieldProblem("\(section.rawValue).\(problem.path)", problem.message)
                }
            }
        }

        var consents: [String: ConsentRecord.Status] = [:]
        if let content = object["consents"] {
            guard case .object(let map) = content else { throw FieldProblem("consents", "must be an object of purpose: state") }
            for (purpose, value) in map {
                guard let definition = policy.purpose(named: purpose) else {
                    throw FieldProblem("consents.\(purpose)", "is not a purpose of the policy")
                }
                guard case .string(let text) = value, let state = ConsentRecord.Status(rawValue: text) else {
                    throw FieldProblem("consents.\(purpose)", "must be \"granted\", \"withdrawn\" or \"objected\"")
                }
                // Only what the purpose's legal basis leaves to the customer can be recorded for it.
                switch (definition.basis, state) {
                case (.consent, .granted), (.consent, .withdrawn), (.legitimateInterest, .objected), (.legitimateInterest, .withdrawn):
                    break
                case (.consent, .objected):
                    throw FieldProblem("consents.\(purpose)", "rests on consent: record \"granted\" or \"withdrawn\", not an objection")
                case (.legitimateInterest, .granted):
                    throw FieldProblem(
                        "consents.\(purpose)",
                        "rests on legitimate interest: it needs no consent; record \"objected\" (or \"withdrawn\" for a withdrawn objection)"
                    )
                default:
                    throw FieldProblem(
                        "consents.\(purpose)",
                        "rests on \(definition.basis.rawValue.replacingOccurrences(of: "_", with: " ")): it does not depend on the customer's choice, so it takes no state"
                    )
                }
                consents[purpose] = state
            }
        }
        return CustomerRecord(id: id, fields: fields, consents: consents)
    }

    /// One JSON Lines import record, grouped by the policy's sections.
    func jsonLine(policy: Policy) -> String {
        var json = JSONWriter()
        json.beginObject()
        json.key("id")
        json.string(id)
        for section in FieldDefinition.Section.allCases {
            let names = policy.fields.filter { $0.section == section && fields[$0.name] != nil }.map(\.name)
            guard !names.isEmpty else { continue }
            json.key(section.rawValue)
            if section == .purchases, names.count == 1 {
                FieldCodec.write(fields[names[0]]!, into: &json)
                continue
            }
            json.beginObject()
            for name in names {
                json.key(name)
                FieldCodec.write(fields[name]!, into: &json)
            }
            json.endObject()
        }
        if !consents.isEmpty {
            json.key("consents")
            json.beginObject()
            for purpose in consents.keys.sorted() {
                json.key(purpose)
                json.string(consents[purpose]!.rawValue)
            }
            json.endObject()
        }
        json.endObject()
        return json.text
    }
}
