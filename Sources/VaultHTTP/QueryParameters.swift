import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import VaultPolicy

/// A route's query parameters, checked against the names the route declares: an unknown or
/// repeated parameter is a 400, so a misspelt `purpse=` cannot silently fall back to a default.
struct QueryParameters: Sendable {
    private let values: [String: String]

    init(_ uri: URI, allowed: [String]) throws {
        var values: [String: String] = [:]
        for (key, value) in uri.queryParameters {
            let name = String(key)
            guard allowed.contains(name) else {
                throw Problem.invalidQuery(
                    allowed.isEmpty
                        ? "this route takes no query parameters"
                        : "unknown query parameter \(name): this route takes \(allowed.joined(separator: ", "))"
                )
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

    /// A required policy name (`purpose=service`): lower_snake_case, as the document's `Name` says.
    func requiredName(_ name: String) throws -> String {
        let value = try required(name)
        guard Policy.isName(value) else { throw Problem.invalidQuery("query parameter \(name) must be a name in lower_snake_case, such as service") }
        return value
    }

    /// One of `allowed`, if given.
    func oneOf(_ name: String, _ allowed: [String]) throws -> String? {
        guard let value = values[name] else { return nil }
        guard allowed.contains(value) else { throw Problem.invalidQuery("query parameter \(name) must be one of \(allowed.joined(separator: ", "))") }
        return value
    }

    /// A comma-separated list of policy names (`fields=name,email`), if given.
    func names(_ name: String) throws -> [String]? {
        guard let text = values[name] else { return nil }
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard items.allSatisfy(Policy.isName) else {
            throw Problem.invalidQuery("query parameter \(name) must be names in lower_snake_case separated by commas, such as name,email")
        }
        return items
    }

    /// A non-negative integer up to 2^63 − 1 (what the document promises), if given.
    func unsigned(_ name: String, in range: ClosedRange<Int64> = 0...Int64.max) throws -> UInt64? {
        guard let text = values[name] else { return nil }
        guard text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let value = Int64(text), range.contains(value) else {
            throw Problem.invalidQuery("query parameter \(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return UInt64(value)
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
