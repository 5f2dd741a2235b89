import ISRAudit
import ISRStore
import NIOCore
import PostgresNIO

/// The `audit_head` row: the log's size, root and right edge (the roots of its complete subtrees) as the last group
/// of any instance left them, written in that group's transaction. Readers take the head from it in one row; a writer
/// takes the edge from it in the same round trip as its lock, instead of two reads of the log.
enum AuditHeadRow {
    /// Writes the head and edge `edge` describes; returns the head.
    static func write(_ edge: MerkleFrontier, _ db: PostgresSession) throws -> TreeHead {
        let root = edge.root
        try db.perform("""
            INSERT INTO audit_head (one, size, root, frontier) VALUES (1, ?, ?, ?)
            ON CONFLICT (one) DO UPDATE SET size = excluded.size, root = excluded.root, frontier = excluded.frontier
            """, [Int64(edge.size), root, Array(edge.roots.joined())])
        return TreeHead(size: edge.size, root: root)
    }

    static let query = "SELECT size, root, frontier FROM audit_head WHERE one = 1"

    /// Sends the query for the edge without waiting for its answer (`edge(answer:)` reads it).
    static func askEdge(_ db: PostgresSession) throws -> EventLoopFuture<[PostgresRow]> {
        try db.send(PlaceholderTranslation.shared.postgres(query, []), [])
    }

    /// The edge in the answer to `askEdge`.
    static func edge(answer: EventLoopFuture<[PostgresRow]>) throws -> MerkleFrontier? {
        try edge(in: PostgresSession.rows(answer.wait(), of: query).first)
    }

    /// The edge the row holds, read now.
    static func edge(_ db: PostgresSession) throws -> MerkleFrontier? {
        try edge(in: db.row(query))
    }

    /// The right edge the row holds, if it holds one whose roots give its root; nil to read the edge from the log.
    static func edge(in row: SQLRow?) throws -> MerkleFrontier? {
        guard let row,
              let frontier = try row.decode([UInt8]?.self, forColumn: "frontier"), frontier.count % 32 == 0 else { return nil }
        let size = try row.decode(Int64.self, forColumn: "size")
        let roots = stride(from: 0, to: frontier.count, by: 32).map { Array(frontier[$0..<($0 + 32)]) }
        guard size >= 0, let edge = try? MerkleFrontier(size: UInt64(size), roots: roots),
              edge.root == (try row.decode([UInt8].self, forColumn: "root")) else { return nil }
        return edge
    }
}
