/// Merkle tree arithmetic over a `MerkleNodeStore` (RFC 6962 §2.1, RFC 9162 §2.1): appends, tree heads,
/// inclusion proofs and consistency proofs. Appends touch O(log n) nodes; nothing is recomputed from all leaves.
public struct MerkleLog<Store: MerkleNodeStore> {
    public let store: Store

    public init(store: Store) {
        self.store = store
    }

    /// The nodes that appending `leafHash` as leaf number `size` completes: the leaf itself, and each parent
    /// whose right edge it fills. Persist them all in the same transaction as the leaf.
    public func nodesForAppend(leafHash: [UInt8], at size: UInt64) throws -> [MerkleNode] {
        var nodes = [MerkleNode(level: 0, index: size, hash: leafHash)]
        var hash = leafHash
        var index = size
        var level = 0
        while index & 1 == 1 {
            let left = try required(level: level, index: index - 1)
            hash = MerkleHash.node(left, hash)
            index >>= 1
            level += 1
            nodes.append(MerkleNode(level: level, index: index, hash: hash))
        }
        return nodes
    }

    /// The root of the tree of the first `size` leaves (MTH(D[0:size])).
    public func rootHash(size: UInt64) throws -> [UInt8] {
        size == 0 ? MerkleHash.empty : try subtreeHash(start: 0, count: size)
    }

    /// The audit path for leaf `index` in the tree of `size` leaves (RFC 6962 PATH(m, D[n])).
    public func inclusionProof(index: UInt64, size: UInt64) throws -> [[UInt8]] {
        guard index < size else {
            throw AuditError(.indexOutOfRange, "leaf \(index) is not in a tree of \(size) leaves")
        }
        return try path(index, start: 0, count: size)
    }

    /// The proof that the tree of `oldSize` leaves is a prefix of the tree of `newSize` (RFC 6962 PROOF(m, D[n])).
    public func consistencyProof(oldSize: UInt64, newSize: UInt64) throws -> [[UInt8]] {
        guard oldSize <= newSize else {
            throw AuditError(.indexOutOfRange, "a tree of \(oldSize) leaves cannot be a prefix of one of \(newSize)")
        }
        guard oldSize > 0, oldSize < newSize else { return [] }
        return try subproof(oldSize, start: 0, count: newSize, complete: true)
    }

    // MARK: RFC 6962 recursions, with subtree hashes read from the store

    /// MTH(D[start : start+count]); `start` is always a multiple of the largest power of two below `count`.
    func subtreeHash(start: UInt64, count: UInt64) throws -> [UInt8] {
        if count & (count - 1) == 0 {
            let level = count.trailingZeroBitCount
            return try required(level: level, index: start >> UInt64(level))
        }
        let k = Self.largestPowerOfTwo(below: count)
        return MerkleHash.node(try subtreeHash(start: start, count: k), try subtreeHash(start: start + k, count: count - k))
    }

    private func path(_ m: UInt64, start: UInt64, count: UInt64) throws -> [[UInt8]] {
        guard count > 1 else { return [] }
        let k = Self.largestPowerOfTwo(below: count)
        if m < k {
            return try path(m, start: start, count: k) + [subtreeHash(start: start + k, count: count - k)]
        }
        return try path(m - k, start: start + k, count: count - k) + [subtreeHash(start: start, count: k)]
    }

    private func subproof(_ m: UInt64, start: UInt64, count: UInt64, complete: Bool) throws -> [[UInt8]] {
        if m == count {
            return complete ? [] : [try subtreeHash(start: start, count: count)]
        }
        let k = Self.largestPowerOfTwo(below: count)
        if m <= k {
            return try subproof(m, start: start, count: k, complete: complete) + [subtreeHash(start: start + k, count: count - k)]
        }
        return try subproof(m - k, start: start + k, count: count - k, complete: false) + [subtreeHash(start: start, count: k)]
    }

    private func required(level: Int, index: UInt64) throws -> [UInt8] {
        guard let hash = try store.node(level: level, index: index) else {
            throw AuditError(.missingNode, "the audit log has no node at level \(level), index \(index): the store is incomplete")
        }
        return hash
    }

    /// The largest power of two strictly less than `n` (n ≥ 2).
    static func largestPowerOfTwo(below n: UInt64) -> UInt64 {
        UInt64(1) << UInt64(63 - (n - 1).leadingZeroBitCount)
    }
}

extension MerkleLog: Sendable where Store: Sendable {}
