import ISRAudit
import Synchronization

/// The audit log's right edge (its size and the roots of its complete subtrees) as the writer's open transaction left
/// it. A writer that keeps one appends without reading the log's size or any Merkle node, and publishes the group's
/// tree head without recomputing it: on PostgreSQL every read is a round trip. The writer forgets it whenever what it
/// describes may no longer be what the database holds (a new transaction, a rollback).
public final class AuditTail: Sendable {
    private let state = Mutex<MerkleFrontier?>(nil)

    public init() {}

    /// The frontier, or nil until the transaction's first append loads it.
    public var frontier: MerkleFrontier? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    public func forget() {
        frontier = nil
    }
}
