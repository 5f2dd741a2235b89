import ISRAudit
import ISRPacket

/// A `RelayStore` over SQL: every business operation is written once, in the extensions of this protocol, against
/// `SQLSession`; an implementation supplies durable write transactions (answered only after commit), consistent read
/// snapshots, the in-memory registry, and its tree head.
public protocol SQLRelayStore: RelayStore {
    /// Runs `body` in a write transaction and returns its value once that transaction is durable. A throw rolls back
    /// everything `body` did.
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws(StoreError) -> T
    /// `write` for a body whose value carries its leaf positions: a store may run it before the log's edge is known,
    /// with placeholder positions (`AuditTail.holdPositions`), and shifts them before returning the value.
    func writePositioned<T: LeafPositioned>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws(StoreError) -> T
    /// Runs `body` on one consistent snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws(StoreError) -> T
    /// The registry held in memory, dropped after every registry change.
    var registry: RegistryCache { get }
}

extension SQLRelayStore {
    public func writePositioned<T: LeafPositioned>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws(StoreError) -> T {
        try await write(body)
    }

    /// The number of leaves in the log as `db` sees it.
    public static func auditSize(_ db: any SQLSession) throws -> UInt64 {
        UInt64(try db.value(Int64.self, "SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM audit_leaves") ?? 0)
    }

    /// The size and root of the log as `db` sees it.
    public static func treeHead(_ db: any SQLSession) throws -> TreeHead {
        let size = try auditSize(db)
        return TreeHead(size: size, root: try MerkleLog(store: SQLMerkleNodes(db: db)).rootHash(size: size))
    }

    /// Appends `event` as the next audit leaf, with the Merkle nodes it completes, inside the caller's transaction.
    /// The caller's transaction must be the only writer of the log (SQLite's single writer; PostgreSQL's advisory lock).
    static func append(_ event: AuditEvent, _ db: any SQLSession) throws -> UInt64 {
        let data = event.derEncoded()
        let hash = MerkleHash.leaf(data)
        let size: UInt64
        let nodes: [MerkleNode]
        var after: MerkleFrontier?
        if let tail = db.auditTail {
            // Positions held (the edge is not known yet): the nodes come when the writer settles them.
            if let position = tail.placeholder(forLeafHash: hash) {
                try db.perform("INSERT INTO audit_leaves (leaf_index, data, hash, actor) VALUES (?, ?, ?, ?)", [Int64(position), data, hash, event.actor])
                return position
            }
            var edge = try tail.frontier ?? rightEdge(db)
            size = edge.size
            nodes = edge.append(leafHash: hash)
            after = edge
        } else {
            size = try auditSize(db)
            nodes = try MerkleLog(store: SQLMerkleNodes(db: db)).nodesForAppend(leafHash: hash, at: size)
        }
        try db.perform("INSERT INTO audit_leaves (leaf_index, data, hash, actor) VALUES (?, ?, ?, ?)", [Int64(size), data, hash, event.actor])
        try insertNodes(nodes, db)
        if let after { db.auditTail?.frontier = after }
        return size
    }

    static func insertNodes(_ nodes: [MerkleNode], _ db: any SQLSession) throws {
        try db.perform("INSERT INTO merkle_nodes (level, idx, hash) VALUES \(rows(3, nodes.count))", nodes.flatMap { node -> [any SQLArgument] in [node.level, Int64(node.index), node.hash] })
    }

    /// Gives the leaves appended at placeholder positions (`AuditTail.holdPositions`) their real positions after the
    /// log's edge, which `db`'s tail must now know, and writes the Merkle nodes they complete; returns how positions
    /// shift (nil if none were held). What was written with a placeholder must then be shifted before it is sent.
    public static func settlePositions(_ db: any SQLSession) throws -> LeafShift? {
        guard let settled = db.auditTail?.settle() else { return nil }
        try insertNodes(settled.nodes, db)
        return settled.shift
    }

    /// The log's right edge as `db` sees it: its size and the roots of its complete subtrees, read in one query.
    static func rightEdge(_ db: any SQLSession) throws -> MerkleFrontier {
        let size = try auditSize(db)
        let positions = MerkleFrontier.rootPositions(size: size)
        guard !positions.isEmpty else { return MerkleFrontier() }
        let wanted = Array(repeating: "(level = ? AND idx = ?)", count: positions.count).joined(separator: " OR ")
        var found: [Int: [UInt8]] = [:]
        for row in try db.rows("SELECT level, hash FROM merkle_nodes WHERE \(wanted)", positions.flatMap { position -> [any SQLArgument] in [position.level, Int64(position.index)] }) {
            found[try row.decode(Int.self, forColumn: "level")] = try row.decode([UInt8].self, forColumn: "hash")
        }
        let roots = try positions.map { position in
            guard let hash = found[position.level] else {
                throw StoreError(.corrupt, "the audit log of \(size) leaves lacks its Merkle node at level \(position.level), index \(position.index)")
            }
            return hash
        }
        do {
            return try MerkleFrontier(size: size, roots: roots)
        } catch {
            throw StoreError(.corrupt, "the audit log's right edge cannot be rebuilt: \(error)")
        }
    }
}

/// Merkle nodes read inside one transaction or snapshot, so proofs and appends see one consistent tree.
struct SQLMerkleNodes: MerkleNodeStore {
    let db: any SQLSession

    func node(level: Int, index: UInt64) throws -> [UInt8]? {
        try db.value([UInt8].self, "SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?", [level, Int64(clamping: index)])
    }
}
