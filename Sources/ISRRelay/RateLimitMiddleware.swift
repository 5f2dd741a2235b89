import Hummingbird

/// Rate limits for authenticated members, by kind of request: sending packets, admin changes, and everything else.
/// Over the limit is a 429 problem with `Retry-After`, counted in `/metrics`; nothing is stored.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = RelayRequestContext
    let limits: RequestRateLimits
    let limiter = RateLimiter()
    let clock: @Sendable () -> Int64

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let member = try context.requireMember()
        let path = request.uri.path
        let (kind, perMinute): (String, Int) =
            if request.method == .post && path == "/v1/packets" { ("send", limits.sendsPerMinute) }
            else if request.method != .get && path.hasPrefix("/v1/admin/") { ("admin", limits.adminActionsPerMinute) }
            else { ("request", limits.requestsPerMinute) }
        if let wait = limiter.take("\(kind) \(member.id)", perMinute: perMinute, now: clock()) {
            RelayMetrics.rateLimited(kind)
            var problem = Problem(.tooManyRequests, code: "rate.limited", title: "Too many requests",
                                  detail: "you made more than \(perMinute) \(kind == "request" ? "requests" : kind == "send" ? "sends" : "admin changes") a minute; try again in \(wait) s")
            problem.retryAfter = wait
            throw problem
        }
        return try await next(request, context)
    }
}

/// `[limits]` for members' requests, per minute each (a burst of that many, refilled over the minute).
public struct RequestRateLimits: Sendable, Equatable {
    public var sendsPerMinute = 300
    public var adminActionsPerMinute = 300
    public var requestsPerMinute = 3000

    public init() {}
}
