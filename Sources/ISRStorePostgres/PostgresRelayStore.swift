import ISRAudit
import ISRPacket
import ISRStore
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// The scale-out store: PostgreSQL, shared by several relay instances of one deployment. The same operations as SQLite
/// (`SQLRelayStore`), with group commit serialised across instances by an advisory lock, read snapshots at REPEATABLE
/// READ, the registry cache dropped by `LISTEN isr_registry` when any instance changes it, and a leader (an advisory
/// lock held by one instance's session) for the work only one instance may do.
public final class PostgresRelayStore: SQLRelayStore {
    public let registry = RegistryCache()
    public let location: PostgresLocation
    private let logger: Logger
    private let eventLoops: MultiThreadedEventLoopGroup
    private let writerThread: NIOThreadPool
    private let readerThreads: NIOThreadPool
    private let connector: PostgresConnector
    private let readers: PostgresConnectionPool
    private let writer: PostgresGroupCommit
    private let listener: RegistryListener
    private let leadership: PostgresLeadership
    /// The head this instance's last commit left (other instances' later commits are not in it).
    private let ownHead = PublishedTreeHead()

    /// How many read transactions run at once (each on its own connection and blocking thread).
    public static let readerThreadCount = 4

    /// Connects to the database at `url`, applies pending migrations, and starts listening for registry changes.
    public init(url: String, logger: Logger = Logger(label: "isr-store-postgres")) async throws(StoreError) {
        location = try PostgresLocation(url: url)
        self.logger = logger
        eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        writerThread = NIOThreadPool(numberOfThreads: 1)
        readerThreads = NIOThreadPool(numberOfThreads: Self.readerThreadCount)
        writerThread.start()
        readerThreads.start()
        let configuration: PostgresConnection.Configuration
        do {
            configuration = try location.configuration()
        } catch {
            throw StoreError(.unavailable, "cannot set up TLS for the PostgreSQL store at \(location): \(error)")
        }
        connector = PostgresConnector(configuration: configuration, eventLoop: eventLoops.next(), logger: logger)
        readers = PostgresConnectionPool(connector: connector)
        let ownHead = ownHead
        writer = PostgresGroupCommit(connector: connector, thread: writerThread, logger: logger) { session in
            guard let head = try Self.publishHead(session) else { return {} }
            return { ownHead.publish(head) }
        }
        listener = RegistryListener(connector: connector, registry: registry, logger: logger)
        leadership = PostgresLeadership(connector: connector)
        let (connector, location) = (connector, location)
        do {
            try await readerThreads.runIfActive {
                // Unprepared: the schema changes under the migration's statements.
                let connection = try connector.connect()
                defer { connection.closeQuietly() }
                try PostgresSchema.migrate(PostgresSession(connection: connection, logger: logger))
            }
        } catch {
            await shutdown()
            throw StoreError(.unavailable, "cannot open the PostgreSQL store at \(location): \(PostgresErrors.describe(error))")
        }
        listener.start()
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws(StoreError) -> T {
        do {
            return try await writer.write { session in try body(session) }
        } catch {
            throw PostgresErrors.storeError(error)
        }
    }

    public func writePositioned<T: LeafPositioned>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws(StoreError) -> T {
        do {
            return try await writer.writePositioned { session in try body(session) }
        } catch {
            throw PostgresErrors.storeError(error)
        }
    }

    /// Runs `body` in a REPEATABLE READ, read-only transaction; a connection lost before an answer is retried once.
    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws(StoreError) -> T {
        try await read(inTransaction: true, body)
    }

    /// `inTransaction: false` is for a body of one statement, which is a consistent snapshot by itself: one round trip
    /// instead of three.
    private func read<T: Sendable>(inTransaction: Bool, _ body: @escaping @Sendable (any SQLSession) throws -> T) async throws(StoreError) -> T {
        let (readers, logger) = (readers, logger)
        do {
            return try await readerThreads.runIfActive {
                var attempt = 0
                while true {
                    attempt += 1
                    let pooled = try readers.checkout()
                    let connection = pooled.connection
                    // BEGIN goes ahead of the first query without a wait; COMMIT is not waited for: the connection
                    // returns to the pool once it answered (or is closed if it did not).
                    let session = PostgresSession(connection: connection, logger: logger, prepared: pooled.prepared,
                                                  queued: inTransaction ? QueuedStatements() : nil)
                    do {
                        if inTransaction { try session.perform("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", []) }
                        let value = try body(session)
                        if inTransaction {
                            try session.flush()
                            connection.query("COMMIT", logger: logger).whenComplete { result in
                                if case .success = result { readers.checkin(pooled) } else { connection.closeQuietly() }
                            }
                        } else {
                            readers.checkin(pooled)
                        }
                        return value
                    } catch {
                        if PostgresErrors.isConnectionLoss(error) {
                            connection.closeQuietly()
                            if attempt < 2 { continue }
                        } else {
                            if inTransaction { _ = try? session.execute("ROLLBACK") }
                            readers.checkin(pooled)
                        }
                        throw error
                    }
                }
            }
        } catch {
            throw PostgresErrors.storeError(error)
        }
    }

    /// The head as the last commit of any instance left it: one row, written inside each group's transaction.
    public func treeHead() async throws -> TreeHead {
        let published = try await read(inTransaction: false) { db in
            try db.row("SELECT size, root FROM audit_head WHERE one = 1").map { row in
                TreeHead(size: UInt64(try row.decode(Int64.self, forColumn: "size")), root: try row.decode([UInt8].self, forColumn: "root"))
            }
        }
        if let published { return published }
        return try await read { db in try Self.treeHead(db) }
    }

    /// This instance's last commit's head, without a read: it covers every packet this instance acknowledged, and
    /// each of its groups ran under the audit-log lock after every group committed before it, so a client never sees it
    /// older than a head it was shown before sending. The published head if this instance has not written yet.
    public func committedHead() async throws -> TreeHead {
        if let head = ownHead.current { return head }
        return try await treeHead()
    }

    /// Whether this instance holds the deployment's leadership (escalation, retention): taken by the first instance to
    /// ask, held for as long as its session lives, taken over by another instance's next ask once that session ends.
    public func leads() async -> Bool {
        let leadership = leadership
        return (try? await readerThreads.runIfActive { leadership.holds() }) ?? false
    }

    /// How many group transactions this instance committed (tests and diagnostics).
    public var groupsCommitted: Int { writer.groupsCommitted }
    /// The operations committed that were built while their group's lock was awaited (tests and diagnostics).
    public var operationsBuiltAhead: Int { writer.operationsBuiltAhead }

    /// Closes every connection and stops the store's threads; later calls fail with `unavailable`.
    public func close() async {
        await shutdown()
    }

    deinit {
        listener.stop()
        writer.close()
        readers.closeAll()
        leadership.close()
        writerThread.shutdownGracefully { _ in }
        readerThreads.shutdownGracefully { _ in }
        eventLoops.shutdownGracefully { _ in }
    }

    private func shutdown() async {
        listener.stop()
        writer.close()
        readers.closeAll()
        leadership.close()
        try? await writerThread.shutdownGracefully()
        try? await readerThreads.shutdownGracefully()
        try? await eventLoops.shutdownGracefully()
    }

    /// Writes the head the group's transaction leaves (its writer kept the log's right edge, so this is one statement),
    /// and returns it.
    static func publishHead(_ db: PostgresSession) throws -> TreeHead? {
        guard let edge = db.auditTail?.frontier else { return nil }
        return try AuditHeadRow.write(edge, db)
    }
}
