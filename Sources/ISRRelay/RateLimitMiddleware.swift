import Hummingbird

/// Rate limits for authenticated members, by kind of request: sending packets, admin changes, and everything else; sends
/// and admin changes are also limited per client address. Over a limit is a 429 problem with `Retry-After`, counted in
/// `/metrics`; nothing is stored.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = RelayRequestContext
    let limits: RequestRateLimits
    let limiter = RateLimiter()
    let clock: @Sendable () -> Int64

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let member = try context.requireMember()
        let path = request.uri.path
        let (kind, perMinute, perAddress): (String, Int, Int?) =
            if request.method == .post && path == "/v1/packets" { ("send", limits.sendsPerMinute, limits.addressSendsPerMinute) }
            else if request.method != .get && path.hasPrefix("/v1/admin/") { ("admin", limits.adminActionsPerMinute, limits.addressAdminActionsPerMinute) }
            else { ("request", limits.requestsPerMinute, nil) }
        let what = kind == "request" ? "requests" : kind == "send" ? "sends" : "admin changes"
        let now = clock()
        if let wait = limiter.take("\(kind) \(member.id)", perMinute: perMinute, now: now) {
            throw Self.refusal(kind, wait: wait, detail: "you made more than \(perMinute) \(what) a minute; try again in \(wait) s")
        }
        if let perAddress, let address = context.channel.remoteAddress?.ipAddress,
           let wait = limiter.take("\(kind) address \(address)", perMinute: perAddress, now: now) {
            throw Self.refusal("\(kind)-address", wait: wait,
                               detail: "your network address made more than \(perAddress) \(what) a minute (everyone behind it shares that); try again in \(wait) s")
        }
        return try await next(request, context)
    }

    static func refusal(_ kind: String, wait: Int, detail: String) -> Problem {
        RelayMetrics.rateLimited(kind)
        var problem = Problem(.tooManyRequests, code: "rate.limited", title: "Too many requests", detail: detail)
        problem.retryAfter = wait
        return problem
    }
}

/// `[limits]` for members' requests, per minute each (a burst of that many, refilled over the minute): per member, and
/// for sends and admin changes also per client address, so that many stolen certificates used from one machine cannot
/// multiply the per-member budget (an agency behind one NAT address shares the address budget: hence its default).
public struct RequestRateLimits: Sendable, Equatable {
    public var sendsPerMinute = 300
    public var adminActionsPerMinute = 300
    public var requestsPerMinute = 3000
    public var addressSendsPerMinute = 3000
    public var addressAdminActionsPerMinute = 1000

    public init() {}
}
