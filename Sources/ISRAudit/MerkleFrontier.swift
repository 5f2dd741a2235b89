/// The root of a log computed from its leaves alone, in order, keeping only the O(log n) roots of the complete subtrees
/// so far: what a restored store's stored Merkle nodes are checked against.
public struct MerkleFrontier: Sendable {
    /// Roots of complete subtrees, largest first, with their leaf counts (each a power of two).
    private var stack: [(hash: [UInt8], size: UInt64)] = []
    public private(set) var size: UInt64 = 0

    public init() {}

    /// The roots of the complete subtrees, largest first: what `init(size:roots:)` resumes from.
    public var roots: [[UInt8]] { stack.map(\.hash) }

    /// Resumes the frontier of a log of `size` leaves from the roots of its complete subtrees, in the order
    /// `rootPositions(size:)` gives them (as a store that keeps every node holds them).
    public init(size: UInt64, roots: [[UInt8]]) throws(AuditError) {
        let positions = Self.rootPositions(size: size)
        guard roots.count == positions.count else {
            throw AuditError(.indexOutOfRange, "a log of \(size) leaves has \(positions.count) complete subtrees, not \(roots.count)")
        }
        stack = zip(roots, positions).map { (hash: $0, size: UInt64(1) << UInt64($1.level)) }
        self.size = size
    }

    /// Where the roots of the complete subtrees of a log of `size` leaves sit (level, and index at that level),
    /// largest first.
    public static func rootPositions(size: UInt64) -> [(level: Int, index: UInt64)] {
        var positions: [(level: Int, index: UInt64)] = []
        var start: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (UInt64(1) << UInt64(level)) != 0 {
            positions.append((level, start >> UInt64(level)))
            start += UInt64(1) << UInt64(level)
        }
        return positions
    }

    public mutating func append(leafData: [UInt8]) {
        append(leafHash: MerkleHash.leaf(leafData))
    }

    /// Appends a leaf by its hash; returns the nodes it completes, as `MerkleLog.nodesForAppend` does: the leaf itself,
    /// then each parent whose right edge it fills.
    @discardableResult
    public mutating func append(leafHash: [UInt8]) -> [MerkleNode] {
        var top = (hash: leafHash, size: UInt64(1))
        var nodes = [MerkleNode(level: 0, index: size, hash: leafHash)]
        var level = 0
        while let last = stack.last, last.size == top.size {
            stack.removeLast()
            top = (MerkleHash.node(last.hash, top.hash), last.size * 2)
            level += 1
            nodes.append(MerkleNode(level: level, index: size >> UInt64(level), hash: top.hash))
        }
        stack.append(top)
        size += 1
        return nodes
    }

    /// RFC 9162's MTH of the leaves appended so far (the empty tree's hash for none).
    public var root: [UInt8] {
        guard var hash = stack.last?.hash else { return MerkleHash.empty }
        for subtree in stack.dropLast().reversed() { hash = MerkleHash.node(subtree.hash, hash) }
        return hash
    }
}
