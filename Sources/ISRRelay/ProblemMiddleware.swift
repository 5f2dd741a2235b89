import Hummingbird
import Logging

/// Makes every refusal an RFC 9457 problem: Hummingbird's own errors (no such route, body too large, bad JSON)
/// are re-expressed, and anything unexpected becomes a logged 500 with no internals in the body.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = RelayRequestContext
    let logger: Logger
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let refusal as RelayRefusal {
            throw Problem(refusal)
        } catch let problem as Problem {
            throw problem
        } catch let error as HTTPError {
            let allowed = error.status == .notFound ? routes.allowed(for: request.uri.path) : []
            if !allowed.isEmpty {
                var problem = Problem(.methodNotAllowed, code: "http.405", title: "Method Not Allowed",
                                      detail: "\(request.method) is not allowed on \(request.uri.path); it answers \(allowed.joined(separator: ", "))")
                problem.allow = allowed
                throw problem
            }
            let detail: String = switch error.status {
            case .notFound: "no route \(request.method) \(request.uri.path); see /v1/openapi.yaml"
            case .contentTooLarge: "the request body is larger than this route accepts"
            case .badRequest: "the request could not be read: \(error.body ?? "malformed body or parameters")"
            case .methodNotAllowed: "\(request.method) is not allowed on \(request.uri.path)"
            default: error.body ?? error.status.reasonPhrase
            }
            throw Problem(error.status, code: "http.\(error.status.code)", title: error.status.reasonPhrase, detail: detail)
        } catch let error as any HTTPResponseError {
            // Other framework errors that carry a status (e.g. NIO's too-many-bytes is 413).
            let detail = error.status == .contentTooLarge ? "the request body is larger than this route accepts" : error.status.reasonPhrase
            throw Problem(error.status, code: "http.\(error.status.code)", title: error.status.reasonPhrase, detail: detail)
        } catch is DecodingError {
            throw Problem(RelayRefusal.badRequest("http.invalid-json", "the JSON body does not have the fields this route needs (see /v1/openapi.yaml)"))
        } catch {
            logger.error("unexpected error", metadata: ["route": "\(request.method) \(context.endpointPath ?? "?")", "error": "\(String(describing: type(of: error)))"])
            throw Problem(.internalServerError, code: "relay.internal", title: "Internal error", detail: "the relay failed unexpectedly; the request was not completed")
        }
    }
}
