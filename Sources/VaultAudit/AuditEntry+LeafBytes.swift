import VaultFormat

extension AuditEntry {
    /// The canonical JSON the log stores and hashes (see `JSONValue.canonicalBytes`), e.g.
    /// `{"actor":"a1","at":"2026-11-23T02:31:00.123Z","decision":"allow","fields":["email"],"op":"profile.read","policy":"…","reason":"allowed","role":"support","seq":7,"v":1}`;
    /// `purpose`, `customer` and `details` are left out when absent or empty.
    package var leafBytes: [UInt8] { json.canonicalBytes }

    /// Decodes a stored leaf, insisting on the exact canonical bytes `leafBytes` writes: a leaf
    /// re-serialized or edited after logging, even into valid JSON, is rejected (`non_canonical_leaf`).
    package init(leafBytes: some Collection<UInt8>) throws {
        let bytes = Array(leafBytes)
        let document: JSONValue
        do {
            document = try JSONValue(parsingCanonical: bytes)
        } catch {
            throw AuditError.malformedJSON(String(describing: error))
        }
        guard case .object(var members) = document else {
            throw AuditError.malformedLeaf("the leaf is not a JSON object")
        }
        func take(_ key: String) -> JSONValue? { members.removeValue(forKey: key) }
        func string(_ key: String) throws -> String {
            guard let value = take(key) else { throw AuditError.malformedLeaf("missing \"\(key)\"") }
            guard case .string(let string) = value else { throw AuditError.malformedLeaf("\"\(key)\" is not a string") }
            return string
        }
        func optionalString(_ key: String) throws -> String? {
            guard members[key] != nil else { return nil }
            return try string(key)
        }

        guard take("v")?.integer == Self.formatVersion else {
            throw AuditError.malformedLeaf(
                "\"v\" is missing or not \(Self.formatVersion); this cvault reads audit leaves of version \(Self.formatVersion)"
            )
        }
        guard let seq = take("seq")?.integer, seq >= 0 else {
            throw AuditError.malformedLeaf("\"seq\" is missing or not a non-negative integer")
        }
        guard let at = AuditTimestamp(rfc3339: try string("at")) else {
            throw AuditError.malformedLeaf("\"at\" is not a UTC timestamp of the form YYYY-MM-DDTHH:MM:SS.mmmZ")
        }
        guard let decision = Decision(rawValue: try string("decision")) else {
            throw AuditError.malformedLeaf("\"decision\" is neither allow nor deny")
        }
        guard case .array(let fieldValues) = take("fields") else {
            throw AuditError.malformedLeaf("\"fields\" is missing or not an array")
        }
        let fields = try fieldValues.map { value in
            guard case .string(let field) = value else { throw AuditError.malformedLeaf("\"fields\" holds a non-string") }
            return field
        }
        var details: [String: String] = [:]
        if let detailValue = take("details") {
            guard case .object(let detailMembers) = detailValue else {
                throw AuditError.malformedLeaf("\"details\" is not an object")
            }
            for (key, value) in detailMembers {
                guard case .string(let text) = value else { throw AuditError.malformedLeaf("\"details\" holds a non-string") }
                details[key] = text
            }
        }
        self.init(
            seq: UInt64(seq),
            at: at,
            actor: try string("actor"),
            role: try string("role"),
            purpose: try optionalString("purpose"),
            customer: try optionalString("customer"),
            fields: fields,
            op: try string("op"),
            decision: decision,
            reason: try string("reason"),
            policy: try string("policy"),
            details: details
        )
        // Key names of a tampered leaf are attacker-chosen text: count them, do not echo them.
        guard members.isEmpty else {
            throw AuditError.malformedLeaf("\(members.count) key(s) that audit entries do not have")
        }
        guard self.leafBytes == bytes else { throw AuditError.nonCanonicalLeaf }
    }

    private var json: JSONValue {
        var members: [String: JSONValue] = [
            "v": .integer(Self.formatVersion),
            "seq": .integer(Int64(seq)),
            "at": .string(at.rfc3339),
            "actor": .string(actor),
            "role": .string(role),
            "fields": .array(fields.map { .string($0) }),
            "op": .string(op),
            "decision": .string(decision.rawValue),
            "reason": .string(reason),
            "policy": .string(policy),
        ]
        if let purpose { members["purpose"] = .string(purpose) }
        if let customer { members["customer"] = .string(customer) }
        if !details.isEmpty { members["details"] = .object(details.mapValues { .string($0) }) }
        return .object(members)
    }
}
