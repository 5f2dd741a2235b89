/// Where a Merkle log keeps the roots of its perfect subtrees: `(level, index)` is the subtree of `2^level`
/// leaves starting at leaf `index * 2^level`. Level 0 holds leaf hashes. Only complete subtrees are stored,
/// so a node never changes once written, and any tree head or proof is computed from O(log n) of them.
/// Not required to be `Sendable`: a database store reads inside its own transaction.
public protocol MerkleNodeStore {
    /// The stored hash, or nil if that subtree is not complete (or not stored).
    func node(level: Int, index: UInt64) throws -> [UInt8]?
}

/// A node to persist: the append that completed it.
public struct MerkleNode: Sendable, Equatable {
    public let level: Int
    public let index: UInt64
    public let hash: [UInt8]

    public init(level: Int, index: UInt64, hash: [UInt8]) {
        self.level = level
        self.index = index
        self.hash = hash
    }
}
