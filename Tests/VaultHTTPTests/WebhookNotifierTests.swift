import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import Vault
import VaultCrypto

/// The portal's webhook notifier: the firm's mail or SMS service gets only the destination, the
/// code and the link, signed with HMAC-SHA256 over the exact body.
@Suite struct WebhookNotifierTests {
    @Test func postsASignedMessageWithNothingFromTheProfile() async throws {
        let received = Mutex<(body: [UInt8], signature: String?)?>(nil)
        let router = Router()
        router.post("hook") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 10_000)
            received.withLock { $0 = (Array(buffer: body), request.headers[HTTPField.Name("X-CVault-Signature")!]) }
            return .noContent
        }
        router.post("refuse") { _, _ -> HTTPResponse.Status in .serviceUnavailable }
        let secret = Array("a shared secret of at least 32 bytes, long".utf8)
        let message = SignInMessage(
            destination: "ada@example.com",
            code: "12345678",
            link: "https://vault.example/portal/link/abc",
            expiresAt: Date(timeIntervalSince1970: 1_800_000_000)
        )
        try await Application(router: router).test(.live) { client in
            let notifier = try WebhookNotifier(url: URL(string: "http://127.0.0.1:\(client.port!)/hook")!, secret: secret)
            try await notifier.deliver(message)
            let (body, signature) = try #require(received.withLock { $0 })
            let expected =
                "sha256="
                + HMACSHA256.authenticationCode(for: body, using: SymmetricKey(data: secret)).bytes.map { String(format: "%02x", $0) }.joined()
            #expect(signature == expected)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: String])
            #expect(Set(object.keys) == ["destination", "code", "link", "expires_at"] && object["code"] == "12345678")
            let refusing = try WebhookNotifier(url: URL(string: "http://127.0.0.1:\(client.port!)/refuse")!, secret: secret)
            await #expect { try await refusing.deliver(message) } throws: { ($0 as? VaultError)?.code == .webhookFailed }
        }
        #expect(throws: VaultError.self) { try WebhookNotifier(url: URL(string: "http://mail.example.com/hook")!, secret: secret) }
        #expect(throws: VaultError.self) { try WebhookNotifier(url: URL(string: "https://mail.example.com/hook")!, secret: Array("short".utf8)) }
    }
}
