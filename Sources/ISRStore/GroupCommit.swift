import GRDB
import Synchronization

/// Group commit: write operations that arrive while a transaction is committing wait, and then all of them run in the
/// next transaction, each in its own savepoint, with one commit (one fsync) for the group. Each caller is answered
/// only after that commit returned, so "answered" still means "on disk"; one operation failing rolls back its own
/// savepoint and leaves the others in the group untouched. The log's right edge (`tail`) is read once per group and
/// kept in memory across its appends; an operation that fails takes its appends back out of it.
final class GroupCommit: Sendable {
    /// The log's right edge as the open group transaction left it: read by the group's first append.
    let tail: AuditTail
    /// One operation: runs inside the group's transaction and returns how to answer its caller once the group committed.
    private struct Job: Sendable {
        let run: @Sendable (Database) -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private let pool: DatabasePool
    /// Runs last in every group's transaction; what it returns runs after the commit, before any caller is answered.
    private let groupEnd: @Sendable (Database) throws -> @Sendable () -> Void
    private let queue = CommitQueue<Job>(maximumGroup: GroupCommit.maximumGroup)
    private let committed = Atomic<Int>(0)
    /// At most this many operations share a transaction, so one group's latency stays bounded.
    static let maximumGroup = 512

    init(pool: DatabasePool, tail: AuditTail = AuditTail(), groupEnd: @escaping @Sendable (Database) throws -> @Sendable () -> Void) {
        self.pool = pool
        self.tail = tail
        self.groupEnd = groupEnd
    }

    /// How many group transactions have committed (for tests and diagnostics).
    var groupsCommitted: Int { committed.load(ordering: .relaxed) }

    /// Runs `body` in a savepoint of the next group transaction; returns its value after that transaction committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(run: { [tail] db in
                let edge = tail.frontier
                do {
                    var value: T?
                    try db.inSavepoint {
                        value = try body(db)
                        return .commit
                    }
                    guard let value else { return { continuation.resume(throwing: GroupCommitError.noValue) } }
                    return { continuation.resume(returning: value) }
                } catch {
                    tail.frontier = edge
                    return { continuation.resume(throwing: error) }
                }
            }, fail: { continuation.resume(throwing: $0) })
            if queue.enqueue(job) { drainNext() }
        }
    }

    /// Commits the next group on the writer's queue; its completion answers the group and starts the next one,
    /// so a busy writer goes from group to group without another thread in between.
    private func drainNext() {
        let group = queue.nextGroup()
        guard !group.isEmpty else { return }
        let groupEnd = groupEnd
        // GRDB calls the completion after the transaction committed (or failed and rolled back).
        let tail = tail
        pool.asyncWrite({ db in
            tail.forget()
            let answers = group.map { $0.run(db) }
            return (answers, try groupEnd(db))
        }, completion: { _, result in
            switch result {
            case .success(let (answers, published)):
                self.committed.add(1, ordering: .relaxed)
                published()
                for answer in answers { answer() }
            case .failure(let error):
                for job in group { job.fail(error) }
            }
            self.drainNext()
        })
    }
}

enum GroupCommitError: Error {
    case noValue
}
