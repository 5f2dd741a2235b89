/// The root of a log computed from its leaves alone, in order, keeping only the O(log n) roots of the complete subtrees
/// so far: what a restored store's stored Merkle nodes are checked against.
public struct MerkleFrontier: Sendable {
    /// Roots of complete subtrees, largest first, with their leaf counts (each a power of two).
    private var stack: [(hash: [UInt8], size: UInt64)] = []
    public private(set) var size: UInt64 = 0

    public init() {}

    public mutating func append(leafData: [UInt8]) {
        var top = (hash: MerkleHash.leaf(leafData), size: UInt64(1))
        while let last = stack.last, last.size == top.size {
            stack.removeLast()
            top = (MerkleHash.node(last.hash, top.hash), last.size * 2)
        }
        stack.append(top)
        size += 1
    }

    /// RFC 9162's MTH of the leaves appended so far (the empty tree's hash for none).
    public var root: [UInt8] {
        guard var hash = stack.last?.hash else { return MerkleHash.empty }
        for subtree in stack.dropLast().reversed() { hash = MerkleHash.node(subtree.hash, hash) }
        return hash
    }
}
