import Foundation
import ISRAudit
import ISRPacket

extension SQLRelayStore {
    /// Appends `events` as consecutive audit leaves in one durable transaction and returns the new log size.
    /// A bulk import: isr-bench uses it to grow a throw-away log to a million leaves for its scale check.
    public func appendAuditEvents(_ events: [AuditEvent]) async throws -> UInt64 {
        try await write { db in
            for event in events { _ = try Self.append(event, db) }
            return try Self.auditSize(db)
        }
    }

    public func auditSize() async throws -> UInt64 {
        try await read { db in try Self.auditSize(db) }
    }

    public func auditLeaves(start: UInt64, end: UInt64) async throws -> [[UInt8]] {
        guard start <= end, end - start <= 1000 else {
            throw StoreError(.invalidTransition, "ask for at most 1000 leaves at a time, with start ≤ end")
        }
        return try await read { db in
            try db.values(Data.self, "SELECT data FROM audit_leaves WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index", [Int64(clamping: start), Int64(clamping: end)]).map { Array($0) }
        }
    }

    public func partyLeaves(_ member: MemberID, size: UInt64, after: UInt64?, limit: Int) async throws -> [UInt64] {
        try await read { db in
            try Self.checkSize(size, db)
            return try db.values(Int64.self, """
                WITH mine(id) AS (
                    SELECT id FROM packets WHERE sender = ?1
                    UNION SELECT packet_id FROM packet_recipients WHERE member_id = ?1
                )
                SELECT leaf_index FROM (
                    SELECT leaf_index FROM audit_leaves WHERE actor = ?1
                    UNION SELECT p.leaf_index FROM packets p JOIN mine ON mine.id = p.id
                    UNION SELECT s.leaf_index FROM packet_states s JOIN mine ON mine.id = s.packet_id
                ) AS party
                WHERE leaf_index < ?2 AND leaf_index > ?3 ORDER BY leaf_index LIMIT ?4
                """, [member.rawValue, Int64(clamping: size), after.map { Int64(clamping: $0) } ?? -1, limit]).map { UInt64($0) }
        }
    }

    public func rootHash(size: UInt64) async throws -> [UInt8] {
        try await read { db in
            try Self.checkSize(size, db)
            return try MerkleLog(store: SQLMerkleNodes(db: db)).rootHash(size: size)
        }
    }

    public func inclusionProof(index: UInt64, size: UInt64) async throws -> [[UInt8]] {
        try await read { db in
            try Self.checkSize(size, db)
            return try MerkleLog(store: SQLMerkleNodes(db: db)).inclusionProof(index: index, size: size)
        }
    }

    public func consistencyProof(oldSize: UInt64, newSize: UInt64) async throws -> [[UInt8]] {
        try await read { db in
            try Self.checkSize(newSize, db)
            return try MerkleLog(store: SQLMerkleNodes(db: db)).consistencyProof(oldSize: oldSize, newSize: newSize)
        }
    }

    static func checkSize(_ size: UInt64, _ db: any SQLSession) throws {
        let current = try auditSize(db)
        guard size <= current else {
            throw AuditError(.indexOutOfRange, "the audit log has \(current) leaves; a tree of \(size) does not exist yet")
        }
    }
}
