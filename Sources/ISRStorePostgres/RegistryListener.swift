import ISRStore
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Hears `NOTIFY isr_registry` (sent by every registry change, delivered when its transaction commits) and drops the
/// in-memory registry. While the channel is down, the registry is not cached at all: every read loads it afresh, so
/// a missed notification can never leave a revoked member authenticated.
final class RegistryListener: Sendable {
    static let channel = "isr_registry"
    private let connector: PostgresConnector
    private let registry: RegistryCache
    private let logger: Logger
    private let state = Mutex<(connection: PostgresConnection?, stopped: Bool)>((nil, false))

    init(connector: PostgresConnector, registry: RegistryCache, logger: Logger) {
        self.connector = connector
        self.registry = registry
        self.logger = logger
    }

    func start() {
        registry.setCaching(false)
        connect()
    }

    private func connect() {
        guard !state.withLock({ $0.stopped }) else { return }
        let registry = registry
        connector.connectAsync().flatMap { connection -> EventLoopFuture<PostgresConnection> in
            connection.addListener(channel: Self.channel) { _, _ in registry.invalidate() }
            return connection.query(PostgresQuery(unsafeSQL: "LISTEN \(Self.channel)"), logger: self.logger).map { _ in connection }
                .flatMapErrorThrowing { error in
                    connection.closeQuietly()
                    throw error
                }
        }.whenComplete { result in
            switch result {
            case .success(let connection):
                let stopped = self.state.withLock { state in
                    state.connection = connection
                    return state.stopped
                }
                if stopped {
                    connection.closeQuietly()
                    return
                }
                registry.setCaching(true)
                connection.closeFuture.whenComplete { _ in
                    registry.setCaching(false)
                    self.retry()
                }
            case .failure(let error):
                self.logger.warning("cannot listen for registry changes; the registry is read afresh on every request until then",
                                    metadata: ["error": "\(PostgresErrors.describe(error))"])
                self.retry()
            }
        }
    }

    private func retry() {
        guard !state.withLock({ $0.stopped }) else { return }
        connector.eventLoop.scheduleTask(in: .seconds(1)) { self.connect() }
    }

    func stop() {
        let connection = state.withLock { state in
            state.stopped = true
            defer { state.connection = nil }
            return state.connection
        }
        connection?.closeQuietly()
    }
}
