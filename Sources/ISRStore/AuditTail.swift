import ISRAudit
import Synchronization

/// The audit log's right edge (its size and the roots of its complete subtrees) as the writer's open transaction left
/// it. A writer that keeps one appends without reading the log's size or any Merkle node, and publishes the group's
/// tree head without recomputing it: on PostgreSQL every read is a round trip. The writer forgets it whenever what it
/// describes may no longer be what the database holds (a new transaction, a rollback).
///
/// Before the edge is known (PostgreSQL's writer building a group while its lock is not yet granted), appends take
/// placeholder positions instead (`LeafShift`), and their leaves' hashes wait here for `settle`, which gives the real
/// positions and the Merkle nodes the leaves complete.
public final class AuditTail: Sendable {
    private struct Placeholders {
        var first: UInt64
        var hashes: [[UInt8]] = []
    }
    private let state = Mutex<MerkleFrontier?>(nil)
    private let placeholders = Mutex<Placeholders?>(nil)

    public init() {}

    /// The frontier, or nil until the transaction's first append loads it.
    public var frontier: MerkleFrontier? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    public func forget() {
        frontier = nil
        placeholders.withLock { $0 = nil }
    }

    /// From now until `settle`, appends take placeholder positions from a window chosen at random at 2^61 or above
    /// (a value from a request lands in it only by a 2^-52 chance, and no stored position or time reaches it).
    public func holdPositions() {
        placeholders.withLock { $0 = Placeholders(first: UInt64.random(in: (1 << 61)...(1 << 62))) }
    }

    /// The placeholder position of a leaf with hash `leafHash`, appended next; nil when positions are not held.
    public func placeholder(forLeafHash leafHash: [UInt8]) -> UInt64? {
        placeholders.withLock { held in
            guard held != nil else { return nil }
            held?.hashes.append(leafHash)
            return (held?.first ?? 0) + UInt64((held?.hashes.count ?? 1) - 1)
        }
    }

    /// Ends holding positions: the held leaves follow the frontier (which must be known), in the order they were
    /// appended. Returns how their placeholders map to real positions and the Merkle nodes they complete; nil if none
    /// were held.
    public func settle() -> (shift: LeafShift, nodes: [MerkleNode])? {
        let held = placeholders.withLock { held in defer { held = nil }; return held }
        guard let held, !held.hashes.isEmpty, var edge = frontier else { return nil }
        let shift = LeafShift(placeholder: held.first, count: UInt64(held.hashes.count), start: edge.size)
        let nodes = held.hashes.flatMap { edge.append(leafHash: $0) }
        frontier = edge
        return (shift, nodes)
    }
}
