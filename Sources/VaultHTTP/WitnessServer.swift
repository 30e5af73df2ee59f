import HTTPTypes
import Hummingbird
public import Logging
public import Vault

/// The HTTP face of a witness (c2sp.org/tlog-witness): `POST /add-checkpoint` and nothing else,
/// run by `cvault witness serve` apart from any vault.
public enum WitnessServer {
    /// The largest request: a checkpoint, a few signatures and at most 63 proof hashes fit many times over.
    static let bodyLimit = 64 * 1024

    /// Serves `witness` on `host:port` until SIGTERM or SIGINT.
    public static func run(
        witness: WitnessService,
        host: String,
        port: Int,
        limits: ConnectionLimits = ConnectionLimits(),
        logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws {
        try await application(witness: witness, host: host, port: port, limits: limits, logger: logger, onListening: onListening).runService()
    }

    /// The Hummingbird application; tests run it live on port 0.
    static func application(
        witness: WitnessService,
        host: String = "127.0.0.1",
        port: Int = 0,
        limits: ConnectionLimits = ConnectionLimits(),
        logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.post("add-checkpoint") { request, _ -> Response in
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: bodyLimit)
            } catch {
                return text(.contentTooLarge, "the request is larger than \(bodyLimit) bytes\n")
            }
            let (status, answer, contentType) = try await witness.addCheckpoint(Array(body.readableBytesView))
            var headers = HTTPFields()
            headers[.contentType] = contentType
            return Response(status: HTTPResponse.Status(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer)))
        }
        return Application(
            router: router,
            server: limits.server,
            configuration: limits.configuration(host: host, port: port),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    private static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: message)))
    }
}
