import Foundation
import ISRStore
import Logging
import NIOPosix
import PostgresNIO
import Synchronization

/// Group commit on PostgreSQL: operations that arrive while a transaction commits wait and then run together in the
/// next one, with one COMMIT (one WAL flush) for the group. Every group first takes the deployment's audit-log advisory
/// lock, so groups from all relay instances append to the log one at a time, in one total order. A group runs first
/// without savepoints (each costs a round trip); if one of its operations fails, the group is rolled back and run again
/// with each operation in its own savepoint, so only that one fails. Callers are answered only after COMMIT returned; a
/// connection lost before COMMIT was sent is replaced and the group run again (nothing of it was written); when the
/// outcome is unknown (lost once COMMIT was sent, which a group that reads nothing does with its writes), every caller
/// of the group gets `unavailable`, and retrying is safe (a packet's retry is recognised by its id). Statements whose
/// answer an operation does not read are gathered and queued on the connection (`PostgresSession.perform`) and waited
/// for with the next statement that is waited for; in a savepoint, when the operation ends, so its errors stay its own.
/// What an operation expects (`SQLSession.expects`: a new packet, active parties) is sent ahead and asserted by the
/// server (`isr_expected` raises when it is false), so once the lock and the log's edge have answered, a group of
/// acceptances sends everything, COMMIT included, and waits once. COMMIT must answer COMMIT: when it answers ROLLBACK
/// (a statement or an expectation failed), nothing was written and the group runs again isolated, where each
/// expectation is read before its operation goes on. While the lock is awaited, the group's first operations that
/// allow it (`writePositioned`: acceptances, fetches, receipts) are built already, their sends held and their leaves at placeholder
/// positions shifted once the edge is known (`LeafShift`), so the relay's part of the work is out of the lock.
final class PostgresGroupCommit: Sendable {
    private struct Job: Sendable {
        /// Whether it may run before the lock is granted, with placeholder leaf positions (`writePositioned`).
        let ahead: Bool
        /// Runs the operation in the group's transaction; returns how to answer its caller once the group committed
        /// (given how the group's placeholder positions became real, if it held any).
        let run: @Sendable (PostgresSession) throws -> @Sendable (LeafShift?) -> Void
        let fail: @Sendable (any Error) -> Void
    }

    /// The advisory lock every write transaction holds: one writer of the audit log across instances.
    static let auditLock: Int64 = 0x4953_525F_6C6F_67   // "ISR_log"
    static let maximumGroup = 512

    private let connector: PostgresConnector
    private let thread: NIOThreadPool
    private let logger: Logger
    /// Runs last in every group's transaction that appended to the log (the published tree head); what it returns runs
    /// after the commit, before any caller is answered.
    private let groupEnd: @Sendable (PostgresSession) throws -> @Sendable () -> Void
    private let queue = CommitQueue<Job>(maximumGroup: PostgresGroupCommit.maximumGroup)
    /// The writer's connection: touched only on the writer thread.
    private let connection = Mutex<PooledConnection?>(nil)
    private let committed = Atomic<Int>(0)
    private let committedAhead = Atomic<Int>(0)
    /// The log's right edge as the open transaction left it; forgotten when a transaction starts or an operation fails.
    private let tail = AuditTail()

    init(connector: PostgresConnector, thread: NIOThreadPool, logger: Logger, groupEnd: @escaping @Sendable (PostgresSession) throws -> @Sendable () -> Void) {
        self.connector = connector
        self.thread = thread
        self.logger = logger
        self.groupEnd = groupEnd
    }

    var groupsCommitted: Int { committed.load(ordering: .relaxed) }
    /// The operations committed that were built while their group's lock was awaited.
    var operationsBuiltAhead: Int { committedAhead.load(ordering: .relaxed) }

    func write<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await enqueue(ahead: false, body) { value, _ in value }
    }

    /// `write` for an operation that may be built while the group waits for its lock: its leaves take placeholder
    /// positions, shifted in its statements and in its value once the lock gives the log's edge.
    func writePositioned<T: LeafPositioned>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await enqueue(ahead: true, body) { value, shift in shift.map(value.shifted) ?? value }
    }

    private func enqueue<T: Sendable>(ahead: Bool, _ body: @escaping @Sendable (PostgresSession) throws -> T,
                                      answer: @escaping @Sendable (T, LeafShift?) -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(ahead: ahead, run: { session in
                let value = try body(session)
                return { shift in continuation.resume(returning: answer(value, shift)) }
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

    /// Runs one group on the writer thread (see the type's comment for what is retried and how).
    private func commit(_ first: [Job]) {
        var group = first
        var attempt = 0
        var isolated = false
        while true {
            attempt += 1
            var opened: PostgresSession?
            // The log's size as the group found it (when the head row gave it): a group that appended nothing leaves the
            // head row as it was.
            var startSize: UInt64?
            var shift: LeafShift?
            var builtAhead = 0
            let session: PostgresSession
            let answers: [@Sendable (LeafShift?) -> Void]
            do {
                tail.forget()
                let writer = try writerConnection()
                session = PostgresSession(connection: writer.connection, logger: logger, prepared: writer.prepared, auditTail: tail, queued: QueuedStatements(),
                                          speculative: !isolated)
                opened = session
                try session.perform("BEGIN", [])
                try session.perform("SELECT pg_advisory_xact_lock(?)", [Self.auditLock])
                // Sent with BEGIN and the lock, answered in one round trip: the log's right edge as the last group left it.
                let edge = try AuditHeadRow.askEdge(session)
                // While the lock is awaited, the operations that may be are built with placeholder positions.
                var ran = isolated ? [] : runAhead(group, session)
                do {
                    try session.queued?.waitForSent()
                } catch {
                    _ = try? edge.wait()
                    throw error
                }
                tail.frontier = try AuditHeadRow.edge(answer: edge)
                startSize = tail.frontier?.size
                if !ran.isEmpty {
                    if tail.frontier == nil {
                        // The edge must be read from the log: the operations run again now, after it.
                        session.queued?.dropHeld()
                        tail.forget()
                        ran = []
                    } else {
                        shift = try PostgresRelayStore.settlePositions(session)
                        try session.queued?.release(shift, session: session)
                        builtAhead = ran.count
                    }
                }
                // Without savepoints, the group's writes and expectations are gathered into as few statements as
                // their order allows: any error or failed expectation, whichever operation it belongs to, sends the
                // whole group to run again isolated.
                let rest = group.dropFirst(ran.count)
                ran += try isolated ? rest.map { try runInSavepoint($0, session) } : rest.map { try $0.run(session) }
                if attempt == 1 {
                    // Operations that arrived while this group waited for the lock (another instance's group) or ran
                    // join it once: fewer, larger groups when instances contend.
                    let more = queue.more(upTo: Self.maximumGroup - group.count)
                    group += more
                    ran += try more.map { try $0.run(session) }
                }
                answers = ran
            } catch {
                opened?.abandon()  // nothing of this transaction still in flight
                if PostgresErrors.isConnectionLoss(error) {
                    dropConnection()
                    if attempt < 3 {
                        Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
                        continue
                    }
                } else if !isolated, rollBack() {
                    isolated = true
                    continue
                }
                if !PostgresErrors.isConnectionLoss(error) { _ = rollBack() }
                logger.error("a PostgreSQL write transaction could not run", metadata: ["error": "\(PostgresErrors.describe(error))"])
                for job in group { job.fail(PostgresErrors.storeError(error)) }
                return
            }
            let published: @Sendable () -> Void
            do {
                if let edge = tail.frontier, edge.size != startSize {
                    published = try groupEnd(session)
                } else {
                    published = {}
                }
                // Sent right behind the group's statements: the lock is held for one round trip less. Whatever
                // failed among them (an expectation among others) makes COMMIT answer ROLLBACK.
                try session.commit()
            } catch let notCommitted as NotCommitted {
                // Nothing of the group was written: run it again isolated, where the failing operation gets its error.
                if rollBack(), !isolated {
                    isolated = true
                    continue
                }
                let cause = notCommitted.cause ?? notCommitted
                logger.error("a PostgreSQL write transaction did not commit", metadata: ["error": "\(PostgresErrors.describe(cause))"])
                for job in group { job.fail(PostgresErrors.storeError(cause)) }
                return
            } catch {
                _ = rollBack()
                dropConnection()
                logger.error("a PostgreSQL write transaction did not commit", metadata: ["error": "\(PostgresErrors.describe(error))"])
                let refusal = StoreError(.unavailable, "the relay could not confirm that its store committed this; nothing is acknowledged, so send it again (\(PostgresErrors.describe(error)))")
                for job in group { job.fail(refusal) }
                return
            }
            committed.add(1, ordering: .relaxed)
            committedAhead.add(builtAhead, ordering: .relaxed)
            published()
            for answer in answers { answer(shift) }
            return
        }
    }

    /// Runs the group's first operations that may run before the lock is granted (`writePositioned`), holding what
    /// they send and appending at placeholder positions; returns their answers. Nothing, and nothing held, if one of
    /// them fails or tries to read: the group then runs after the lock as a whole, as it otherwise would. (Taking in
    /// the operations that arrive meanwhile as well measured slower: 4 rounds, README.)
    private func runAhead(_ group: [Job], _ session: PostgresSession) -> [@Sendable (LeafShift?) -> Void] {
        let ahead = group.prefix { $0.ahead }
        guard !ahead.isEmpty, let queued = session.queued else { return [] }
        queued.hold()
        tail.holdPositions()
        do {
            var answers: [@Sendable (LeafShift?) -> Void] = []
            for job in ahead {
                answers.append(try job.run(session))
                guard !queued.refusedRead else { throw PositionsHeld() }
            }
            return answers
        } catch {
            queued.dropHeld()
            tail.forget()
            return []
        }
    }

    /// Runs `job` in a savepoint of its own: when it fails, only its own writes are undone and its caller gets the error.
    private func runInSavepoint(_ job: Job, _ session: PostgresSession) throws -> @Sendable (LeafShift?) -> Void {
        try session.execute("SAVEPOINT op")
        let edge = tail.frontier
        do {
            let answer = try job.run(session)
            try session.flush()
            try session.perform("RELEASE SAVEPOINT op", [])
            return answer
        } catch let error where !PostgresErrors.isConnectionLoss(error) {
            session.abandon()  // what the operation sent before it failed
            tail.frontier = edge
            try session.execute("ROLLBACK TO SAVEPOINT op")
            try session.perform("RELEASE SAVEPOINT op", [])
            return { _ in job.fail(error) }
        }
    }

    /// Rolls back the writer's open transaction; false (and the connection dropped) when that is not possible.
    private func rollBack() -> Bool {
        guard let current = connection.withLock({ $0?.connection }), !current.isClosed,
              (try? PostgresSession(connection: current, logger: logger).execute("ROLLBACK")) != nil else {
            dropConnection()
            return false
        }
        return true
    }

    private func writerConnection() throws -> PooledConnection {
        if let current = connection.withLock({ $0 }), !current.connection.isClosed { return current }
        let fresh = PooledConnection(connection: try connector.connect())
        // The writer's prepared statements are index lookups and single-row writes: a generic plan is as good as one
        // planned for each execution, which PostgreSQL otherwise keeps doing for some of them.
        try PostgresSession(connection: fresh.connection, logger: logger).execute("SET plan_cache_mode = force_generic_plan")
        connection.withLock { $0 = fresh }
        return fresh
    }

    private func dropConnection() {
        if let old = connection.withLock({ current in defer { current = nil }; return current }) { old.connection.closeQuietly() }
    }

    func close() {
        dropConnection()
    }
}
