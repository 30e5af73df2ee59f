public import Foundation
import VaultCrypto

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A one-time sign-in on its way to a customer: where it goes and what it carries, never anything
/// from their profile.
public struct SignInMessage: Sendable, Codable, Equatable {
    /// The e-mail address or phone number the customer typed (which the vault holds for them).
    public let destination: String
    /// The code to type on the sign-in page.
    public let code: String
    /// The link that signs in without typing the code.
    public let link: String
    /// When both stop working.
    public let expiresAt: Date

    /// A message.
    public init(destination: String, code: String, link: String, expiresAt: Date) {
        self.destination = destination
        self.code = code
        self.link = link
        self.expiresAt = expiresAt
    }

    private enum CodingKeys: String, CodingKey {
        case destination, code, link
        case expiresAt = "expires_at"
    }
}

/// Delivers sign-in messages: the firm's mail or SMS service, or a folder.
public protocol SignInNotifier: Sendable {
    /// Hands one message on; throws if it could not.
    func deliver(_ message: SignInMessage) async throws
}

/// Writes each message as a JSON file (mode 0600) into a folder: for local use, tests and the demo.
public struct OutboxNotifier: SignInNotifier {
    /// The default folder's name inside the vault folder.
    public static let folderName = "outbox"
    /// Where the files go.
    public let folder: URL

    /// A notifier writing into `folder`, created (mode 0700) on first use.
    public init(folder: URL) { self.folder = folder }

    /// Writes the message to `<time>-<random>.json`, readable by the vault's owner only.
    public func deliver(_ message: SignInMessage) async throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let name = "\(Int64(Date().timeIntervalSince1970 * 1000))-\(SystemRandom().bytes(6).hexString).json"
        let body = try OutboxNotifier.encoder.encode(message)
        // Written under a hidden name, then renamed: a reader of the folder never sees half a message.
        let hidden = folder.appendingPathComponent("." + name + ".tmp").path
        guard FileManager.default.createFile(atPath: hidden, contents: body, attributes: [.posixPermissions: 0o600]),
            rename(hidden, folder.appendingPathComponent(name).path) == 0
        else {
            try? FileManager.default.removeItem(atPath: hidden)
            throw VaultError(
                .unavailable,
                code: .outboxUnwritable,
                "cannot write a sign-in message into \(folder.path): check the folder's permissions and free space"
            )
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
}

/// Posts each message as JSON to the firm's own mail or SMS service, signed with HMAC-SHA256 over
/// the exact body (`X-CVault-Signature: sha256=<hex>`) so the service can tell it came from the vault.
public struct WebhookNotifier: SignInNotifier {
    /// Where messages are posted.
    public let url: URL
    private let key: SymmetricKey

    /// A notifier posting to `url`, signing with `secret` (at least 32 bytes).
    public init(url: URL, secret: [UInt8]) throws {
        guard url.scheme == "https" || url.host == "127.0.0.1" || url.host == "localhost" else {
            throw VaultError.invalid(
                .webhookNotHttps,
                "the sign-in webhook \(url.absoluteString) must use https (plain http only on loopback): sign-in codes are credentials"
            )
        }
        guard secret.count >= 32 else {
            throw VaultError.invalid(
                .webhookSecretShort,
                "the sign-in webhook's secret ($CVAULT_SIGN_IN_WEBHOOK_SECRET) must be at least 32 bytes: share a long random one with the receiving service"
            )
        }
        self.url = url
        self.key = SymmetricKey(data: secret)
    }

    /// Posts the message; any status other than 2xx is a failure.
    public func deliver(_ message: SignInMessage) async throws {
        let body = try OutboxNotifier.encoder.encode(message)
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(
            "sha256=" + HMACSHA256.authenticationCode(for: Array(body), using: key).bytes.hexString,
            forHTTPHeaderField: "X-CVault-Signature"
        )
        let (_, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse, (200..<300).contains(http.statusCode) else {
            throw VaultError(.unavailable, code: .webhookFailed, "the sign-in webhook \(url.absoluteString) did not accept the message")
        }
    }
}
