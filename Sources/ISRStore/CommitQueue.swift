import Synchronization

/// The queue behind group commit: operations that arrive while a group is committing wait and go together in the
/// next group, at most `maximumGroup` at a time, one group at a time. Each store commits a group its own way.
public final class CommitQueue<Job: Sendable>: Sendable {
    private let state = Mutex<(queue: [Job], draining: Bool)>(([], false))
    public let maximumGroup: Int

    public init(maximumGroup: Int) {
        self.maximumGroup = maximumGroup
    }

    /// Adds `job`; true when no group is being committed, so the caller must start draining (`nextGroup()`).
    public func enqueue(_ job: Job) -> Bool {
        state.withLock { state in
            state.queue.append(job)
            guard !state.draining else { return false }
            state.draining = true
            return true
        }
    }

    /// Up to `count` more waiting operations for the group being committed (it may still take them, e.g. after
    /// waiting for a lock); never ends the draining.
    public func more(upTo count: Int) -> [Job] {
        guard count > 0 else { return [] }
        return state.withLock { state in
            let taken = min(state.queue.count, count)
            defer { state.queue.removeFirst(taken) }
            return Array(state.queue.prefix(taken))
        }
    }

    /// The next group to commit, oldest first; empty when the queue is empty, which ends the draining.
    public func nextGroup() -> [Job] {
        state.withLock { state in
            guard !state.queue.isEmpty else {
                state.draining = false
                return []
            }
            let count = min(state.queue.count, maximumGroup)
            defer { state.queue.removeFirst(count) }
            return Array(state.queue.prefix(count))
        }
    }
}
