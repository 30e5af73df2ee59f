import Foundation
import Testing
import VaultPolicy

/// Random policies, many of them broken on purpose: whatever the validator accepts must never let an
/// analyst read a row, nor let any role reach a field that the file does not grant it.
struct PropertyTests {
    /// SplitMix64: a small, seeded generator so that a failure reproduces exactly.
    struct Generator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func int(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(next() % UInt64(range.count))
        }

        mutating func chance(_ probability: Double) -> Bool {
            Double(next() % 1_000_000) / 1_000_000 < probability
        }

        mutating func pick<T>(_ items: [T]) -> T {
            items[int(0...(items.count - 1))]
        }

        mutating func subset<T>(_ items: [T], _ probability: Double) -> [T] {
            items.filter { _ in chance(probability) }
        }
    }

    /// What one generated file grants, recorded as written, independently of the parser.
    struct Grants {
        var read: [String: [String: Set<String>]] = [:]
        var write: [String: [String: Set<String>]] = [:]
        var aggregate: [String: [String: Set<String>]] = [:]
    }

    struct Generated {
        let yaml: String
        let fields: [String]
        let purposes: [String]
        let grants: Grants
    }

    static func generate(_ random: inout Generator) -> Generated {
        let types = ["string", "email", "phone", "integer", "decimal", "date", "string_list", "decimal_map", "purchases"]
        var yaml = "version: 1\nname: generated\nfields:\n"
        var fields: [String] = []
        var analyticsFields: [String] = []
        for index in 0..<random.int(1...7) {
            let name = "field_\(index)"
            let type = random.pick(types)
            fields.append(name)
            yaml += "  \(name):\n    section: \(random.pick(["characteristics", "responses", "purchases"]))\n    type: \(type)\n"
            yaml +=
                "    category: \(random.pick(["user.name", "user.financial", "user.behavior", "user.contact.email"]))\n    sensitivity: \(random.pick(["low", "medium", "high"]))\n"
            yaml += "    retention: P\(random.int(1...9))Y\n"
            switch (type, random.int(0...3)) {
            case ("string", 1...), ("integer", 1...2):
                yaml += "    analytics: {use: group_by}\n"
                analyticsFields.append(name)
            case ("integer", 3), ("decimal", 1...), ("decimal_map", 1...):
                yaml += "    analytics: {use: measure, bounds: [0, \(random.int(1...1000))]}\n"
                analyticsFields.append(name)
            case ("purchases", 1...):
                yaml += "    analytics: {use: measure, bounds: {amount: [0, 100], margin: [0, 10]}}\n"
                analyticsFields.append(name)
            case (_, 3) where random.chance(0.1):
                yaml += "    analytics: {use: measure, bounds: [1, 2]}\n"  // often the wrong type: rejected
                analyticsFields.append(name)
            default:
                break
            }
        }

        yaml += "purposes:\n"
        var purposes: [String] = []
        var aggregateOnly: Set<String> = []
        for index in 0..<random.int(1...5) {
            let name = "purpose_\(index)"
            purposes.append(name)
            let basis = random.pick(["contract", "legal_obligation", "legitimate_interest", "consent", "consent"])
            yaml += "  \(name):\n    basis: \(basis)\n    description: Generated purpose.\n"
            if basis == "consent", random.chance(0.98) { yaml += "    default: denied\n" }
            if random.chance(0.3) {
                yaml += "    aggregate_only: true\n"
                aggregateOnly.insert(name)
            }
        }

        yaml += "roles:\n"
        var grants = Grants()
        let allOperations = RoleOperation.allCases.map(\.rawValue)
        for role in RoleName.allCases where random.chance(0.85) {
            let permitted = role.permittedOperations.map(\.rawValue)
            // Mostly operations the role may have; sometimes any operation, which the validator must refuse.
            let operations = random.chance(0.9) ? random.subset(permitted, 0.8) : random.subset(allOperations, 0.3)
            yaml += "  \(role.rawValue):\n    operations: [\(operations.joined(separator: ", "))]\n"
            let rowKeys = ["read", "write"].filter(operations.contains)
            let takesPurposes = !rowKeys.isEmpty || operations.contains("aggregate")
            guard takesPurposes ? random.chance(0.9) : random.chance(0.03) else { continue }
            var purposeLines = ""
            var named = random.subset(purposes, 0.6)
            if random.chance(0.02) { named.append("undefined_purpose") }
            for purpose in named {
                // Mostly the lists this role and purpose admit; sometimes any list, which may be refused.
                var keys =
                    aggregateOnly.contains(purpose)
                    ? (operations.contains("aggregate") ? ["aggregate"] : [])
                    : random.subset(rowKeys, 0.8)
                if keys.isEmpty || random.chance(0.03) {
                    guard random.chance(0.1) else { continue }
                    keys = [random.pick(["read", "write", "aggregate"])]
                }
                purposeLines += "      \(purpose):\n"
                for key in keys {
                    let pool = key == "aggregate" && random.chance(0.95) ? analyticsFields : fields
                    var listed = random.subset(pool, 0.5)
                    if random.chance(0.02) { listed.append("undefined_field") }
                    purposeLines += "        \(key): [\(listed.joined(separator: ", "))]\n"
                    let set = Set(listed)
                    switch key {
                    case "read": grants.read[role.rawValue, default: [:]][purpose] = set
                    case "write": grants.write[role.rawValue, default: [:]][purpose] = set
                    default: grants.aggregate[role.rawValue, default: [:]][purpose] = set
                    }
                }
            }
            if !purposeLines.isEmpty { yaml += "    purposes:\n" + purposeLines }
        }

        if random.chance(0.8) {
            yaml +=
                "aggregation:\n  k: \(random.int(1...25))\n  epsilon_per_query: \(random.pick(["0.5", "1", "0.1", "0.25", "0.5", "1", "0.1", "0.25", "-1"]))\n"
        }
        yaml += "contests:\n  restrict_while_disputed: [\(random.subset(purposes, 0.5).joined(separator: ", "))]\n"
        return Generated(yaml: yaml, fields: fields, purposes: purposes, grants: grants)
    }

    @Test func acceptedPoliciesNeverGrantMoreThanTheFileSays() throws {
        var random = Generator(state: 0x5EED_CAFE_F00D_0001)
        var accepted = 0
        var rejected = 0
        var allowedChecked = 0
        let now = utc("2026-11-02T09:00Z")
        let states: [ConsentRecord?] = [
            nil, ConsentRecord(.granted, at: utc("2026-01-01")), ConsentRecord(.withdrawn, at: utc("2026-02-01")),
            ConsentRecord(.objected, at: utc("2026-03-01")),
        ]
        for _ in 0..<600 {
            let generated = Self.generate(&random)
            let policy: Policy
            do {
                policy = try Policy.parse(yaml: generated.yaml, fileName: "generated.yaml")
            } catch {
                #expect(!error.diagnostics.isEmpty)
                rejected += 1
                continue
            }
            accepted += 1
            let requested = generated.fields + ["undefined_field", "missing_field"]
            let grants = generated.grants
            for role in RoleName.allCases.map(\.rawValue) + ["intruder"] {
                for purpose in generated.purposes.map(Optional.some) + ["undefined_purpose", nil] {
                    for isSelf in [false, true] {
                        let state = random.pick(states)
                        let customer = CustomerState(
                            consent: state.map { record in Dictionary(uniqueKeysWithValues: generated.purposes.map { ($0, record) }) } ?? [:],
                            disputedFields: Set(random.subset(generated.fields, 0.3))
                        )
                        let read = policy.decideRead(role: role, purpose: purpose, fields: requested, customer: customer, isSelf: isSelf, now: now)
                        for item in read.fields where item.allowed {
                            allowedChecked += 1
                            #expect(role != "analyst", "analyst read a row:\n\(generated.yaml)")
                            if item.decision.code == .allowedSelf {
                                #expect(role == "customer" && isSelf && generated.fields.contains(item.field))
                            } else {
                                #expect(
                                    purpose.flatMap { grants.read[role]?[$0]?.contains(item.field) } == true,
                                    "\(role) read \(item.field) under \(purpose ?? "-") without a grant:\n\(generated.yaml)"
                                )
                            }
                        }
                        let write = policy.decideWrite(role: role, purpose: purpose, fields: requested, customer: customer, now: now)
                        for item in write.fields where item.allowed {
                            allowedChecked += 1
                            #expect(role != "analyst")
                            #expect(
                                purpose.flatMap { grants.write[role]?[$0]?.contains(item.field) } == true,
                                "\(role) wrote \(item.field) under \(purpose ?? "-") without a grant:\n\(generated.yaml)"
                            )
                        }
                    }
                    if let purpose {
                        let aggregate = policy.decideAggregate(role: role, purpose: purpose, groupBy: requested, measures: requested)
                        for item in aggregate.fields where item.allowed {
                            allowedChecked += 1
                            #expect(
                                grants.aggregate[role]?[purpose]?.contains(item.field) == true,
                                "\(role) aggregated \(item.field) under \(purpose) without a grant:\n\(generated.yaml)"
                            )
                        }
                    }
                }
            }
        }
        // The generator must exercise both sides, or the property holds vacuously.
        #expect(accepted >= 100, "only \(accepted) generated policies were valid")
        #expect(rejected >= 100, "only \(rejected) generated policies were invalid")
        #expect(allowedChecked >= 1000, "only \(allowedChecked) allowed decisions were checked")
    }
}
