import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore

/// A route's query parameters, checked against the names the route declares: an unknown or
/// repeated parameter is a 400, so a misspelt `purpse=` cannot silently fall back to a default.
struct QueryParameters: Sendable {
    private let values: [String: String]

    init(_ uri: URI, allowed: [String]) throws {
        var values: [String: String] = [:]
        for (key, value) in uri.queryParameters {
            let name = String(key)
            guard allowed.contains(name) else {
                throw Problem.invalidQuery(allowed.isEmpty
                    ? "this route takes no query parameters"
                    : "unknown query parameter \(name): this route takes \(allowed.joined(separator: ", "))")
            }
            guard values[name] == nil else { throw Problem.invalidQuery("query parameter \(name) is given twice") }
            values[name] = String(value)
        }
        self.values = values
    }

    /// The parameter, if given.
    func string(_ name: String) -> String? {
        values[name]
    }

    /// The parameter, or a 400 naming it.
    func required(_ name: String) throws -> String {
        guard let value = values[name], !value.isEmpty else { throw Problem.invalidQuery("query parameter \(name) is required") }
        return value
    }

    /// A comma-separated list (`fields=name,email`), if given.
    func list(_ name: String) -> [String]? {
        values[name].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    /// A non-negative integer, if given.
    func unsigned(_ name: String) throws -> UInt64? {
        guard let text = values[name] else { return nil }
        guard let value = UInt64(text) else { throw Problem.invalidQuery("query parameter \(name) must be a non-negative integer") }
        return value
    }

    /// A UTC day (`2026-11-01`), as its midnight, if given.
    func day(_ name: String) throws -> Date? {
        guard let text = values[name] else { return nil }
        var format = Date.ISO8601FormatStyle().year().month().day()
        format.timeZone = .gmt
        guard text.count == 10, let date = try? format.parse(text) else {
            throw Problem.invalidQuery("query parameter \(name) must be a UTC day like 2026-11-01")
        }
        return date
    }
}
