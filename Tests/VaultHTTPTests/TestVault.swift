import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Vault
import VaultSQLite
import VaultStore

@testable import VaultHTTP

/// A clock the tests move forward (token expiry).
final class TestClock: VaultClock {
    private let current = Mutex(Date(timeIntervalSince1970: 1_790_000_000))

    func now() -> Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }
}

/// A fresh vault in a temporary folder with a few synthetic customers and a token per role.
struct TestVault: Sendable {
    let vault: Vault
    let clock: TestClock
    let directory: URL
    let log: LogRecorder
    /// The synthetic customers, as imported.
    let customers: [CustomerRecord]
    /// Bearer secrets by name: `customer` (for customers[0]), `other` (customers[1]), and one per staff role.
    let tokens: [String: String]

    /// The roles of the default policy that staff tokens are issued for.
    static let staffRoles = ["support", "marketing", "analyst", "auditor", "operator"]

    /// At least two customers: `customer` and `other` tokens belong to the first two.
    static func make(customers count: Int = 4, backend: any StorageBackend = SQLiteBackend()) async throws -> TestVault {
        precondition(count >= 2, "the fixture issues tokens for two customers")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cvault-http-\(UUID().uuidString)")
        let clock = TestClock()
        let log = LogRecorder()
        var options = VaultOptions(backends: [backend])
        options.logger = log.logger(label: "cvault")
        options.durability = .normal
        options.clock = clock
        let vault = try await Vault.create(at: directory, options: options)
        let generator = SyntheticCustomers(seed: 7, asOf: clock.now())
        let customers = (0..<count).map(generator.customer)
        _ = try await vault.importCustomers(customers, by: .localOperator)
        var tokens: [String: String] = [:]
        tokens["customer"] = try await vault.issueToken(role: "customer", customerID: customers[0].id, name: nil, expiresIn: nil, by: .localOperator)
            .secret
        tokens["other"] = try await vault.issueToken(role: "customer", customerID: customers[1].id, name: nil, expiresIn: nil, by: .localOperator)
            .secret
        for role in staffRoles {
            tokens[role] = try await vault.issueToken(role: role, customerID: nil, name: "\(role)-1", expiresIn: nil, by: .localOperator).secret
        }
        return TestVault(vault: vault, clock: clock, directory: directory, log: log, customers: customers, tokens: tokens)
    }

    /// The application over this vault, logging into `log`.
    var app: some ApplicationProtocol {
        try! VaultServer.application(vault: vault, logger: log.logger())
    }

    /// Every string value of every test customer: none may appear in a log line or an error body.
    var customerValues: [String] {
        customers.flatMap { record in
            record.fields.values.flatMap { value -> [String] in
                switch value {
                case .string(let text): [text]
                case .stringList(let list): list
                default: []
                }
            }
        }.filter { $0.count >= 4 }
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Requests with bearer tokens and JSON bodies, and decoded answers.
extension TestClientProtocol {
    @discardableResult
    func call(
        _ method: HTTPRequest.Method,
        _ uri: String,
        token: String? = nil,
        json: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await executeRequest(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    /// The body as text.
    var text: String { String(buffer: body) }

    /// The body as a JSON object.
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// The body as a JSON array of objects.
    var array: [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: Any]] ?? []
    }
}
