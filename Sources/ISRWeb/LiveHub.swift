import Foundation
import ISRClient
import ServiceLifecycle
import Synchronization

/// The web app's live events: one stream from the relay for the whole app, passed to every open page. A page that goes
/// away stops receiving at the next write (a heartbeat every 10 seconds makes sure there is one), so no relay connection
/// is held per page.
final class LiveHub: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<String>.Continuation]>([:])

    /// A new page's stream of server-sent-event blocks.
    func subscribe() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(100))
        let id = UUID()
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in self?.subscribers.withLock { _ = $0.removeValue(forKey: id) } }
        return stream
    }

    func broadcast(_ block: String) {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield(block) }
    }

    /// Ends every page's stream (the app is stopping).
    func finish() {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.finish() }
    }

    var count: Int { subscribers.withLock { $0.count } }
}

/// Keeps the app's one relay event stream open (reconnecting from the last event after a failure) and feeds the hub.
struct LiveRelayService: Service {
    let hub: LiveHub
    let client: RelayClient

    func run() async throws {
        defer { hub.finish() }
        do {
            try await runStreams()
        } catch is CancellationError {
            // A graceful shutdown (Ctrl-C) cancels the streams: that is a normal end, not a failure.
        }
    }

    func runStreams() async throws {
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: .seconds(10))
                        hub.broadcast(": keep-alive\n\n")
                    }
                }
                group.addTask {
                    var lastEventID: String?
                    var failures = 0
                    while !Task.isCancelled {
                        do {
                            lastEventID = try await client.events("/v1/events", lastEventID: lastEventID, until: .now + .seconds(600)) { event in
                                // The relay's data is one line of JSON; names and data pass through unchanged.
                                hub.broadcast("event: \(event.name)\ndata: \(event.data)\n\n")
                                return !Task.isCancelled
                            }
                            failures = 0
                        } catch {
                            failures += 1
                            try await Task.sleep(for: .seconds(min(30, 1 << min(failures, 5))))
                        }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }
}
