import ISRStore
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Opens connections to the store's database, waiting on the calling (blocking) thread.
final class PostgresConnector: Sendable {
    let configuration: PostgresConnection.Configuration
    let eventLoop: any EventLoop
    let logger: Logger
    private let ids = Atomic<Int>(0)

    init(configuration: PostgresConnection.Configuration, eventLoop: any EventLoop, logger: Logger) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
    }

    func connect() throws -> PostgresConnection {
        try PostgresConnection.connect(on: eventLoop, configuration: configuration, id: ids.add(1, ordering: .relaxed).newValue, logger: logger).wait()
    }

    func connectAsync() -> EventLoopFuture<PostgresConnection> {
        PostgresConnection.connect(on: eventLoop, configuration: configuration, id: ids.add(1, ordering: .relaxed).newValue, logger: logger)
    }
}

/// A reader connection with the statements it has prepared.
struct PooledConnection: Sendable {
    let connection: PostgresConnection
    let prepared = PreparedStatements()
}

/// Idle reader connections, reused; a broken one is dropped rather than returned.
final class PostgresConnectionPool: Sendable {
    /// Idle connections, and whether the pool was closed (a connection returned after that is closed, not kept: a
    /// reader's COMMIT may answer after the store closed).
    private let idle = Mutex<(connections: [PooledConnection], closed: Bool)>(([], false))
    private let connector: PostgresConnector
    static let maximumIdle = 8

    init(connector: PostgresConnector) {
        self.connector = connector
    }

    func checkout() throws -> PooledConnection {
        while let pooled = idle.withLock({ $0.connections.popLast() }) {
            if !pooled.connection.isClosed { return pooled }
        }
        return PooledConnection(connection: try connector.connect())
    }

    func checkin(_ pooled: PooledConnection) {
        guard !pooled.connection.isClosed else { return }
        let kept = idle.withLock { idle in
            guard !idle.closed, idle.connections.count < Self.maximumIdle else { return false }
            idle.connections.append(pooled)
            return true
        }
        if !kept { pooled.connection.closeQuietly() }
    }

    func closeAll() {
        for pooled in idle.withLock({ idle in defer { idle = ([], true) }; return idle.connections }) {
            pooled.connection.closeQuietly()
        }
    }
}

extension PostgresConnection {
    /// Closes the connection and keeps it alive until it has closed (postgres-nio asserts a connection is closed
    /// before it is released).
    func closeQuietly() {
        close().whenComplete { _ in _ = self }
    }
}
