import HTTPTypes
import Hummingbird
import Logging

/// One log line per request: method, route pattern, status, duration and request id.
///
/// The route is the pattern the router matched (`/v1/customers/{id}`), never the concrete path,
/// and neither query strings, headers nor bodies are logged: ids, e-mail addresses and values
/// stay out of the logs. The request id is also returned as `X-Request-ID` so a caller can quote it.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = VaultRequestContext

    /// The response header that carries the request id.
    static let requestIDHeader = HTTPField.Name("X-Request-ID")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            var response = try await next(request, context)
            // `context.id` traps when the log handler keeps no metadata (a no-op handler, say).
            if let id = context.logger[metadataKey: "hb.request.id"] { response.headers[Self.requestIDHeader] = id.description }
            log(request, context, status: response.status.code, since: start)
            return response
        } catch {
            // ProblemMiddleware answers every error, so this is only reached if that contract breaks.
            log(request, context, status: 500, since: start)
            throw error
        }
    }

    private func log(_ request: Request, _ context: Context, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        context.logger.info(
            "request",
            metadata: [
                "http.method": .string(request.method.rawValue),
                "http.route": .string(Self.route(context.endpointPath)),
                "http.status": .stringConvertible(status),
                "duration_us": .stringConvertible(micros),
            ]
        )
    }

    /// The matched pattern; Hummingbird marks paths no route has as "NotFound".
    static func route(_ endpointPath: String?) -> String {
        guard let endpointPath, endpointPath != "NotFound" else { return "unmatched" }
        return endpointPath
    }
}
