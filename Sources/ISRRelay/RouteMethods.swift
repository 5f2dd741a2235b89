import Hummingbird
import Synchronization

/// Which methods each route path answers, known once the router is built, so a known path asked with another method
/// gets 405 with `Allow` (RFC 9110 §15.5.6) rather than 404.
final class RouteMethods: Sendable {
    private let routes = Mutex<[(segments: [Substring], method: String)]>([])

    func register(_ list: [(path: String, method: String)]) {
        routes.withLock { $0 = list.map { ($0.path.split(separator: "/"), $0.method) } }
    }

    /// The methods registered for a route matching `path` (a `{name}` or `:name` segment matches any one segment), sorted;
    /// empty if none.
    func allowed(for path: String) -> [String] {
        let asked = path.split(separator: "/")
        let methods = routes.withLock { routes in
            routes.filter { route in
                route.segments.count == asked.count && zip(route.segments, asked).allSatisfy { $0.hasPrefix(":") || $0.hasPrefix("{") || $0 == $1 }
            }.map(\.method)
        }
        return Set(methods).sorted()
    }
}
