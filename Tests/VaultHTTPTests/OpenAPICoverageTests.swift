import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Yams

@testable import VaultHTTP

/// `openapi.yaml` and the router describe the same API: the same paths and methods both ways,
/// the same query parameters, bodies and security, and every error answer documented.
@Suite struct OpenAPICoverageTests {
    /// The document, parsed.
    static func document() throws -> [String: Any] {
        try #require(try Yams.load(yaml: String(decoding: PackageResources.openapi_yaml, as: UTF8.self)) as? [String: Any])
    }

    /// `METHOD path` → operation object, with the path item's parameters merged in.
    static func operations(_ document: [String: Any]) throws -> [String: (operation: [String: Any], parameters: [[String: Any]])] {
        let paths = try #require(document["paths"] as? [String: Any])
        var operations: [String: (operation: [String: Any], parameters: [[String: Any]])] = [:]
        for (path, item) in paths {
            let item = try #require(item as? [String: Any])
            let shared = try (item["parameters"] as? [Any] ?? []).map { try resolve($0, in: document) }
            for method in ["get", "put", "post", "delete", "options", "head", "patch", "trace"] {
                guard let operation = item[method] as? [String: Any] else { continue }
                let own = try (operation["parameters"] as? [Any] ?? []).map { try resolve($0, in: document) }
                operations["\(method.uppercased()) \(path)"] = (operation, shared + own)
            }
        }
        return operations
    }

    /// Follows a local `$ref`.
    static func resolve(_ node: Any, in document: [String: Any]) throws -> [String: Any] {
        let object = try #require(node as? [String: Any])
        guard let reference = object["$ref"] as? String else { return object }
        var current: Any = document
        for component in reference.dropFirst(2).split(separator: "/") {
            current = try #require((current as? [String: Any])?[String(component)], "\(reference)")
        }
        return try #require(current as? [String: Any])
    }

    @Test func theDocumentAndTheRouteTableMatchBothWays() async throws {
        let fixture = try await TestVault.make(customers: 2)
        defer { fixture.remove() }
        let document = try Self.document()
        #expect(document["openapi"] as? String == "3.1.0")
        let operations = try Self.operations(document)
        let routes = VaultAPI(vault: fixture.vault).routes
        let table = Dictionary(uniqueKeysWithValues: routes.map { ("\($0.method.rawValue) \($0.path)", $0) })
        #expect(Set(operations.keys) == Set(table.keys))

        for (key, route) in table {
            guard let (operation, parameters) = operations[key] else { continue }
            let query = parameters.filter { $0["in"] as? String == "query" }.compactMap { $0["name"] as? String }
            #expect(Set(query) == Set(route.query), "\(key): query parameters")
            let pathNames = parameters.filter { $0["in"] as? String == "path" }.compactMap { $0["name"] as? String }
            let templated = route.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
            #expect(Set(pathNames) == Set(templated), "\(key): path parameters")
            #expect((operation["requestBody"] != nil) == route.takesBody, "\(key): request body")
            let open = (operation["security"] as? [Any])?.isEmpty == true
            #expect(open == (route.access == .open), "\(key): security")

            let responses = try #require(operation["responses"] as? [String: Any])
            var required: Set<String> = []
            if route.access != .open { required.formUnion(["401", "403", "500", "503"]) }
            if route.takesBody { required.formUnion(["400", "413", "415"]) }
            if !route.query.isEmpty { required.insert("400") }
            #expect(required.isSubset(of: Set(responses.keys)), "\(key): documents \(required.subtracting(responses.keys).sorted())")
            for (status, response) in responses where status.hasPrefix("4") || status.hasPrefix("5") {
                let resolved = try Self.resolve(response, in: document)
                let content = resolved["content"] as? [String: Any]
                let schema = (content?["application/problem+json"] as? [String: Any])?["schema"] as? [String: Any]
                #expect(schema?["$ref"] as? String == "#/components/schemas/Problem", "\(key) \(status)")
            }
        }
    }

    /// Every method a client may send, the registered ones and others (RFC 9110 allows any token).
    static let methods: [HTTPRequest.Method] = [
        .get, .head, .post, .put, .patch, .delete, .options, .trace, .connect,
        HTTPRequest.Method("QUERY")!, HTTPRequest.Method("PROPFIND")!,
    ]

    @Test func theRouterAnswersExactlyTheDocumentedMethods() async throws {
        let fixture = try await TestVault.make(customers: 2)
        defer { fixture.remove() }
        let operations = try Self.operations(try Self.document())
        var documented: [String: Set<String>] = [:]
        for key in operations.keys {
            let parts = key.split(separator: " ", maxSplits: 1)
            documented[String(parts[1]), default: []].insert(String(parts[0]))
        }
        try await fixture.app.test(.router) { [documented] client in
            for (path, methods) in documented {
                // Any segment value reaches the route; the router, not the vault, is under test.
                let concrete = path.split(separator: "/").map { $0.hasPrefix("{") ? "x" : String($0) }.joined(separator: "/")
                for method in Self.methods {
                    let response = try await client.call(method, "/" + concrete)
                    let code = response.object["code"] as? String
                    if methods.contains(method.rawValue) {
                        #expect(response.status != .methodNotAllowed && code != "no_route", "\(method) \(path) is documented but not routed")
                    } else {
                        #expect(response.status == .methodNotAllowed, "\(method) \(path) is routed but not documented")
                        #expect(response.headers[.allow].map { Set($0.components(separatedBy: ", ")) } == methods)
                    }
                }
            }
            #expect(try await client.call(.get, "/v2/me").object["code"] as? String == "no_route")
        }
    }
}
