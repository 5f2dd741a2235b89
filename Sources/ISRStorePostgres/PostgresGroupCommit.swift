import Foundation
import ISRStore
import Logging
import NIOPosix
import PostgresNIO
import Synchronization

/// Group commit on PostgreSQL: operations that arrive while a transaction commits wait and then run together in the
/// next one, each in its own savepoint, with one COMMIT (one WAL flush) for the group. Every group first takes the
/// deployment's audit-log advisory lock, so groups from all relay instances append to the log one at a time, in one
/// total order. Callers are answered only after COMMIT returned; when the outcome is unknown (the connection broke),
/// every caller of the group gets `unavailable`, and retrying is safe (a packet's retry is recognised by its id).
final class PostgresGroupCommit: Sendable {
    private struct Job: Sendable {
        let run: @Sendable (PostgresSession) -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    /// The advisory lock every write transaction holds: one writer of the audit log across instances.
    static let auditLock: Int64 = 0x4953_525F_6C6F_67   // "ISR_log"
    static let maximumGroup = 512

    private let connector: PostgresConnector
    private let thread: NIOThreadPool
    private let logger: Logger
    /// Runs last in every group's transaction (the published tree head).
    private let groupEnd: @Sendable (PostgresSession) throws -> Void
    private let queue = CommitQueue<Job>(maximumGroup: PostgresGroupCommit.maximumGroup)
    /// The writer's connection: touched only on the writer thread.
    private let connection = Mutex<PostgresConnection?>(nil)
    private let committed = Atomic<Int>(0)

    init(connector: PostgresConnector, thread: NIOThreadPool, logger: Logger, groupEnd: @escaping @Sendable (PostgresSession) throws -> Void) {
        self.connector = connector
        self.thread = thread
        self.logger = logger
        self.groupEnd = groupEnd
    }

    var groupsCommitted: Int { committed.load(ordering: .relaxed) }

    func write<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(run: { session in
                do {
                    try session.execute("SAVEPOINT op")
                    do {
                        let value = try body(session)
                        try session.execute("RELEASE SAVEPOINT op")
                        return { continuation.resume(returning: value) }
                    } catch {
                        try session.execute("ROLLBACK TO SAVEPOINT op")
                        try session.execute("RELEASE SAVEPOINT op")
                        return { continuation.resume(throwing: error) }
                    }
                } catch {
                    return { continuation.resume(throwing: error) }
                }
            }, fail: { continuation.resume(throwing: $0) })
            if queue.enqueue(job) { drainNext() }
        }
    }

    private func drainNext() {
        let group = queue.nextGroup()
        guard !group.isEmpty else { return }
        thread.submit { _ in
            self.commit(group)
            self.drainNext()
        }
    }

    /// Runs one group on the writer thread. A broken connection before any operation ran is replaced and the group
    /// tried again (nothing was written); after that, the group's outcome is unknown and every caller is told so.
    private func commit(_ group: [Job]) {
        var attempt = 0
        while true {
            attempt += 1
            let session: PostgresSession
            do {
                session = PostgresSession(connection: try writerConnection(), logger: logger)
                try session.execute("BEGIN")
                try session.execute("SELECT pg_advisory_xact_lock(?)", [Self.auditLock])
            } catch {
                dropConnection()
                if attempt < 3, PostgresErrors.isConnectionLoss(error) {
                    Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
                    continue
                }
                logger.error("the PostgreSQL store cannot start a write transaction", metadata: ["error": "\(PostgresErrors.describe(error))"])
                for job in group { job.fail(PostgresErrors.storeError(error)) }
                return
            }
            let answers = group.map { $0.run(session) }
            do {
                try groupEnd(session)
                try session.execute("COMMIT")
            } catch {
                _ = try? session.execute("ROLLBACK")
                dropConnection()
                logger.error("a PostgreSQL write transaction did not commit", metadata: ["error": "\(PostgresErrors.describe(error))"])
                let refusal = StoreError(.unavailable, "the relay could not confirm that its store committed this; nothing is acknowledged, so send it again (\(PostgresErrors.describe(error)))")
                for job in group { job.fail(refusal) }
                return
            }
            committed.add(1, ordering: .relaxed)
            for answer in answers { answer() }
            return
        }
    }

    private func writerConnection() throws -> PostgresConnection {
        if let current = connection.withLock({ $0 }), !current.isClosed { return current }
        let fresh = try connector.connect()
        connection.withLock { $0 = fresh }
        return fresh
    }

    private func dropConnection() {
        if let old = connection.withLock({ current in defer { current = nil }; return current }) { old.closeQuietly() }
    }

    func close() {
        dropConnection()
    }
}
