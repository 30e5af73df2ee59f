import Foundation
import Vault
import VaultPolicy
import VaultStore

/// The request bodies of the API. Each decodes strictly: unknown members are refused.
enum Inputs {
    /// `PUT /v1/me/consents/{purpose}`.
    struct Consent: Decodable {
        let state: ConsentRecord.Status

        private enum CodingKeys: String, CodingKey, CaseIterable { case state }

        init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let text = try container.decode(String.self, forKey: .state)
            guard let state = ConsentRecord.Status(rawValue: text) else {
                throw Problem.invalidBody("/state must be granted, withdrawn or objected", pointer: "/state")
            }
            self.state = state
        }
    }

    /// `POST /v1/me/contests`.
    struct Contest: Decodable {
        let field: String
        let value: String
        let reason: String

        private enum CodingKeys: String, CodingKey, CaseIterable { case field, value, reason }

        init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            field = try container.decode(String.self, forKey: .field)
            guard Policy.isName(field) else { throw Problem.invalidBody("/field must be a field name in lower_snake_case", pointer: "/field") }
            value = try container.decode(JSONText.self, forKey: .value).text
            reason = try container.decode(String.self, forKey: .reason)
        }
    }

    /// `DELETE /v1/me`: erasure is permanent, so the body must say so.
    struct Erasure: Decodable {
        let confirm: Bool

        private enum CodingKeys: String, CodingKey, CaseIterable { case confirm }

        init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, CodingKeys.self)
            confirm = try decoder.container(keyedBy: CodingKeys.self).decode(Bool.self, forKey: .confirm)
            guard confirm else { throw Problem.invalidBody("/confirm must be true: erasure is permanent", pointer: "/confirm") }
        }
    }

    /// `PATCH /v1/me/contests/{id}`: withdraw the contest, or reply to staff's question.
    struct ContestUpdate: Decodable {
        let withdraw: Bool
        let reply: String?

        private enum CodingKeys: String, CodingKey, CaseIterable { case withdraw, reply }

        init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let withdraw = try container.decodeOptional(Bool.self, forKey: .withdraw)
            reply = try container.decodeOptional(String.self, forKey: .reply)
            // Exactly one member: `"withdraw": true`, or a reply.
            guard (withdraw == true && reply == nil) || (withdraw == nil && reply != nil) else {
                throw Problem.invalidBody("give either \"withdraw\": true or a \"reply\", not both", pointer: "")
            }
            self.withdraw = withdraw == true
        }
    }

    /// `POST /v1/contests/{id}/resolution`.
    struct Resolution: Decodable {
        let resolution: ContestResolution
        let reason: String

        private enum CodingKeys: String, CodingKey, CaseIterable { case resolution, reason }

        init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            guard let resolution = ContestResolution(rawValue: try container.decode(String.self, forKey: .resolution)) else {
                throw Problem.invalidBody("/resolution must be accept, reject or request_info", pointer: "/resolution")
            }
            self.resolution = resolution
            reason = try container.decode(String.self, forKey: .reason)
        }
    }

    /// `PATCH /v1/customers/{id}`: field → new value, as JSON (strings, numbers, lists, maps).
    struct CustomerPatch: Decodable {
        let set: [String: String]

        private enum CodingKeys: String, CodingKey, CaseIterable { case set }

        init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, CodingKeys.self)
            let values = try decoder.container(keyedBy: CodingKeys.self).decode([String: JSONText].self, forKey: .set)
            guard !values.isEmpty else { throw Problem.invalidBody("/set must name at least one field", pointer: "/set") }
            if let bad = values.keys.sorted().first(where: { !Policy.isName($0) }) {
                let pointer = JSONBody.pointer([StrictKeys.AnyKey(stringValue: "set"), StrictKeys.AnyKey(stringValue: bad)])
                throw Problem.invalidBody("\(pointer) is not a field name: fields are named in lower_snake_case", pointer: pointer)
            }
            set = values.mapValues(\.text)
        }
    }

    /// `POST /v1/aggregates`.
    struct Aggregate: Decodable {
        let request: AggregateRequest

        private enum CodingKeys: String, CodingKey, CaseIterable {
            case measures
            case groupBy = "group_by"
            case filters = "where"
            case epsilon, portfolio
        }

        init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, CodingKeys.self)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            request = AggregateRequest(
                measures: try container.decode([String].self, forKey: .measures),
                groupBy: try container.decodeOptional([String].self, forKey: .groupBy) ?? [],
                filters: try container.decodeOptional([String: String].self, forKey: .filters) ?? [:],
                epsilon: try container.decodeOptional(Double.self, forKey: .epsilon),
                portfolio: try container.decodeOptional(Bool.self, forKey: .portfolio) ?? false
            )
        }
    }

    /// Any JSON value as the text the facade parses: a string as itself, anything else as JSON.
    ///
    /// The facade takes values as typed on a command line (`3`, `["a","b"]`); over HTTP a client
    /// sends them as JSON, so a list is a list rather than a string holding JSON.
    struct JSONText: Decodable {
        let text: String

        init(from decoder: any Decoder) throws {
            switch try Node(from: decoder) {
            case .string(let string): text = string
            case let other: text = other.json
            }
        }
    }

    /// A JSON value decoded without a schema, to be written back as JSON text.
    private indirect enum Node: Decodable {
        case null
        case bool(Bool)
        case number(Decimal)
        case double(Double)
        case string(String)
        case array([Node])
        case object([String: Node])

        init(from decoder: any Decoder) throws {
            if var array = try? decoder.unkeyedContainer() {
                var items: [Node] = []
                while !array.isAtEnd { items.append(try array.decode(Node.self)) }
                self = .array(items)
            } else if let keyed = try? decoder.container(keyedBy: StrictKeys.AnyKey.self) {
                var members: [String: Node] = [:]
                for key in keyed.allKeys { members[key.stringValue] = try keyed.decode(Node.self, forKey: key) }
                self = .object(members)
            } else {
                let single = try decoder.singleValueContainer()
                if single.decodeNil() {
                    self = .null
                } else if let bool = try? single.decode(Bool.self) {
                    self = .bool(bool)
                } else if let number = try? single.decode(Decimal.self) {
                    self = .number(number)
                } else if let number = try? single.decode(Double.self) {
                    // Beyond Decimal's range (or below it): the field's own rules refuse it later.
                    self = .double(number)
                } else {
                    self = .string(try single.decode(String.self))
                }
            }
        }

        var json: String {
            switch self {
            case .null: "null"
            case .bool(let bool): bool ? "true" : "false"
            case .number(let number): number.description
            case .double(let number): "\(number)"
            case .string(let string): Self.quoted(string)
            case .array(let items): "[" + items.map(\.json).joined(separator: ",") + "]"
            case .object(let members):
                "{" + members.keys.sorted().map { Self.quoted($0) + ":" + members[$0]!.json }.joined(separator: ",") + "}"
            }
        }

        private static func quoted(_ string: String) -> String {
            // Encoding a String cannot fail.
            String(decoding: (try? JSONEncoder().encode(string)) ?? Data(#""""#.utf8), as: UTF8.self)
        }
    }
}
