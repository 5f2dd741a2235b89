import Synchronization

/// A node store in memory, for tests and for clients rebuilding a tree; guarded by a `Mutex`.
public final class InMemoryMerkleNodes: MerkleNodeStore, Sendable {
    private let nodes = Mutex<[Key: [UInt8]]>([:])

    struct Key: Hashable {
        let level: Int
        let index: UInt64
    }

    public init() {}

    public func node(level: Int, index: UInt64) throws -> [UInt8]? {
        nodes.withLock { $0[Key(level: level, index: index)] }
    }

    /// Stores nodes produced by `MerkleLog.nodesForAppend`.
    public func insert(_ new: [MerkleNode]) {
        nodes.withLock { dict in
            for node in new { dict[Key(level: node.level, index: node.index)] = node.hash }
        }
    }

    /// How many nodes are stored (each leaf adds one, plus the parents it completes: fewer than two per leaf).
    public var count: Int { nodes.withLock { $0.count } }
}
