import HTTPTypes
import Hummingbird
import Logging
import Vault

/// Answers every error as an RFC 9457 problem: facade errors by their kind and code, this target's
/// own problems as they are, Hummingbird's errors by their status, anything else as a bare 500.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = VaultRequestContext

    /// The API's paths, to tell a wrong method (405) from a wrong path (404).
    let paths: PathMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return problem.response()
        } catch let error as VaultError {
            if error.kind == .integrity || error.kind == .unavailable {
                context.logger.error("vault failure", metadata: ["code": .string(error.code.rawValue)])
            }
            return Problem(error).response()
        } catch let error as any HTTPResponseError {
            switch error.status {
            case .notFound:
                if let allowed = paths.allowed(for: request.uri.path), !allowed.contains(request.method) {
                    return Problem.methodNotAllowed(allowed: allowed).response()
                }
                return Problem.noRoute.response()
            case .contentTooLarge: return Problem.bodyTooLarge.response()
            default:
                return Problem(status: error.status, code: VaultError.Code(rawValue: "http_\(error.status.code)"), detail: error.status.reasonPhrase)
                    .response()
            }
        } catch {
            // Only the type: an error's description could quote a value.
            context.logger.error("unexpected error", metadata: ["error.type": .string(String(reflecting: type(of: error)))])
            return Problem.internalError.response()
        }
    }
}
