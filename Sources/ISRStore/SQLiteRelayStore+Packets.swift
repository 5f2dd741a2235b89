import Foundation
import GRDB
import ISRAudit
import ISRCrypto
import ISRPacket

extension SQLiteRelayStore {
    public func insertPacket(_ packet: NewPacket, event: AuditEvent, linked: LinkedTransition?) async throws -> AcceptOutcome {
        try await write { db in
            let id = Data(packet.record.id.bytes)
            if let existing = try Self.record(packet.record.id, db) {
                guard ConstantTime.equal(existing.digest, packet.record.digest) else {
                    throw StoreError(.packetConflict, "packet \(packet.record.id) was already sent with different content; a new packet needs a new id")
                }
                return .duplicate(existing)
            }
            if let linked { try Self.checkTransition(linked.packet, allowedFrom: linked.allowedFrom, db) }
            let leaf = try Self.append(event, db)
            var record = packet.record
            record.leafIndex = leaf
            try db.cachedStatement(sql: """
                INSERT INTO packets (id, sender, kind, purpose, recipients, state, accepted_at, deadline, leaf_index, digest, bytes,
                                     in_reply_to, relates_to, retention_days)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [id, record.sender.rawValue, record.kind.rawValue, record.purpose, record.recipients.map(\.rawValue).joined(separator: ","),
                                 record.state.rawValue, record.acceptedAt, record.deadline, Int64(leaf), Data(record.digest), Data(packet.bytes),
                                 record.inReplyTo.map { Data($0.bytes) }, record.relatesTo.map { Data($0.bytes) }, record.retentionDays])
            for (member, via) in packet.deliveries {
                try db.cachedStatement(sql: "INSERT INTO packet_recipients (packet_id, member_id, via) VALUES (?, ?, ?)").execute(arguments: [id, member.rawValue, via.rawValue])
            }
            try Self.recordState(id: record.id, state: record.state.rawValue, at: event.time, actor: event.actor, leaf: leaf, db)
            if let linked {
                try Self.applyTransition(linked.packet, to: linked.to, at: event.time, actor: event.actor, leaf: leaf, db)
                if let deadline = linked.newDeadline {
                    try db.cachedStatement(sql: "UPDATE packets SET deadline = ?, overdue_at = NULL WHERE id = ?").execute(arguments: [deadline, Data(linked.packet.bytes)])
                }
            }
            return .accepted(record)
        }
    }

    public func packet(_ id: PacketID) async throws -> PacketRecord? {
        try await read { db in try Self.record(id, db) }
    }

    public func packetView(_ id: PacketID, bytes: Bool, history: Bool) async throws -> PacketView? {
        try await read { db in
            guard let record = try Self.record(id, db) else { return nil }
            var view = PacketView(record: record, deliveries: try Self.deliveries(id, db))
            if bytes { view.bytes = try Self.bytes(id, db) }
            if history { view.history = try Self.history(id, db) }
            return view
        }
    }

    static func record(_ id: PacketID, _ db: Database) throws -> PacketRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(packetColumns) FROM packets WHERE id = ?"), arguments: [Data(id.bytes)]).map(packetRecord)
    }

    /// The exact packet bytes, or nil once purged.
    static func bytes(_ id: PacketID, _ db: Database) throws -> [UInt8]? {
        try Data.fetchOne(db.cachedStatement(sql: "SELECT bytes FROM packets WHERE id = ?"), arguments: [Data(id.bytes)]).map { Array($0) }
    }

    static func deliveries(_ id: PacketID, _ db: Database) throws -> [Delivery] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT member_id, via, delivered_at, read_at FROM packet_recipients WHERE packet_id = ? ORDER BY member_id"),
                         arguments: [Data(id.bytes)]).map { row in
            Delivery(member: try MemberID(row.decode(String.self, forColumn: "member_id")), via: try MemberID(row.decode(String.self, forColumn: "via")),
                     deliveredAt: try row.decode(Int64?.self, forColumn: "delivered_at"), readAt: try row.decode(Int64?.self, forColumn: "read_at"))
        }
    }

    public func transition(_ id: PacketID, to: PacketState, allowedFrom: Set<PacketState>, event: AuditEvent) async throws -> UInt64 {
        try await write { db in
            try Self.checkTransition(id, allowedFrom: allowedFrom, db)
            let leaf = try Self.append(event, db)
            try Self.applyTransition(id, to: to, at: event.time, actor: event.actor, leaf: leaf, db)
            return leaf
        }
    }

    public func recordDelivery(_ id: PacketID, member: MemberID, event: AuditEvent) async throws -> UInt64? {
        try await write { db in
            let key: [any DatabaseValueConvertible] = [Data(id.bytes), member.rawValue]
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT delivered_at FROM packet_recipients WHERE packet_id = ? AND member_id = ?"), arguments: StatementArguments(key)) else {
                throw StoreError(.notFound, "packet \(id) has no stanza for \(member)")
            }
            guard try row.decode(Int64?.self, forColumn: "delivered_at") == nil else { return nil }
            let leaf = try Self.append(event, db)
            try db.cachedStatement(sql: "UPDATE packet_recipients SET delivered_at = ? WHERE packet_id = ? AND member_id = ?").execute(
                           arguments: StatementArguments([event.time] + key))
            try db.cachedStatement(sql: "UPDATE packets SET state = 'delivered' WHERE id = ? AND state = 'accepted'").execute(arguments: [Data(id.bytes)])
            try Self.recordState(id: id, state: "delivered", at: event.time, actor: member.rawValue, leaf: leaf, db)
            return leaf
        }
    }

    public func recordReceipt(_ id: PacketID, member: MemberID, receipt: [UInt8], event: AuditEvent) async throws -> UInt64 {
        try await write { db in
            let key: [any DatabaseValueConvertible] = [Data(id.bytes), member.rawValue]
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT read_at FROM packet_recipients WHERE packet_id = ? AND member_id = ?"), arguments: StatementArguments(key)) else {
                throw StoreError(.notFound, "packet \(id) has no stanza for \(member)")
            }
            guard try row.decode(Int64?.self, forColumn: "read_at") == nil else {
                throw StoreError(.alreadyExists, "\(member) already posted a receipt for packet \(id)")
            }
            let leaf = try Self.append(event, db)
            try db.cachedStatement(sql: "UPDATE packet_recipients SET receipt = ?, read_at = ?, delivered_at = COALESCE(delivered_at, ?) WHERE packet_id = ? AND member_id = ?").execute(
                           arguments: StatementArguments([Data(receipt), event.time, event.time] + key))
            try db.cachedStatement(sql: "UPDATE packets SET state = 'read' WHERE id = ? AND state IN ('accepted', 'delivered')").execute(arguments: [Data(id.bytes)])
            try Self.recordState(id: id, state: "read", at: event.time, actor: member.rawValue, leaf: leaf, db)
            return leaf
        }
    }

    static func history(_ id: PacketID, _ db: Database) throws -> [PacketStateChange] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT state, at, actor, leaf_index FROM packet_states WHERE packet_id = ? ORDER BY rowid"), arguments: [Data(id.bytes)]).map { row in
            PacketStateChange(state: try row.decode(String.self, forColumn: "state"), at: try row.decode(Int64.self, forColumn: "at"),
                              actor: try row.decode(String.self, forColumn: "actor"), leafIndex: UInt64(try row.decode(Int64.self, forColumn: "leaf_index")))
        }
    }

    public func inbox(_ member: MemberID) async throws -> [InboxEntry] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.packetColumns(prefix: "p.")), r.via AS via, r.delivered_at AS delivered_at, r.read_at AS read_at
                FROM packet_recipients r JOIN packets p ON p.id = r.packet_id
                WHERE r.member_id = ? AND p.state NOT IN ('held', 'withdrawn')
                ORDER BY p.accepted_at DESC, p.leaf_index DESC LIMIT 1000
                """), arguments: [member.rawValue]).map { row in
                InboxEntry(packet: try Self.packetRecord(row), via: try MemberID(row.decode(String.self, forColumn: "via")),
                           deliveredAt: try row.decode(Int64?.self, forColumn: "delivered_at"), readAt: try row.decode(Int64?.self, forColumn: "read_at"))
            }
        }
    }

    public func sent(by member: MemberID) async throws -> [PacketRecord] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Self.packetColumns) FROM packets WHERE sender = ? ORDER BY accepted_at DESC, leaf_index DESC LIMIT 1000"),
                             arguments: [member.rawValue]).map(Self.packetRecord)
        }
    }

    public func overdue(now: Int64) async throws -> [PacketRecord] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.packetColumns) FROM packets WHERE deadline IS NOT NULL AND deadline < ? AND overdue_at IS NULL
                AND state IN ('held', 'accepted', 'delivered', 'read', 'clarification-requested') ORDER BY deadline LIMIT 1000
                """), arguments: [now]).map(Self.packetRecord)
        }
    }

    public func markOverdue(_ id: PacketID, notices: [(recipient: MemberID, body: [UInt8])], event: AuditEvent) async throws -> UInt64 {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE packets SET overdue_at = ? WHERE id = ? AND overdue_at IS NULL").execute(arguments: [event.time, Data(id.bytes)])
            guard db.changesCount == 1 else { throw StoreError(.invalidTransition, "packet \(id) is unknown or was already escalated") }
            let leaf = try Self.append(event, db)
            for notice in notices {
                try db.cachedStatement(sql: "INSERT INTO notices (recipient, packet_id, body, created_at) VALUES (?, ?, ?, ?)").execute(
                               arguments: [notice.recipient.rawValue, Data(id.bytes), Data(notice.body), event.time])
            }
            try Self.recordState(id: id, state: "overdue", at: event.time, actor: event.actor, leaf: leaf, db)
            return leaf
        }
    }

    public func notices(for member: MemberID) async throws -> [StoredNotice] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT recipient, packet_id, body, created_at FROM notices
                WHERE recipient = ? OR recipient IN (SELECT address FROM role_members WHERE member_id = ?)
                ORDER BY id DESC LIMIT 500
                """), arguments: [member.rawValue, member.rawValue]).map { row in
                StoredNotice(recipient: try MemberID(row.decode(String.self, forColumn: "recipient")),
                             packetID: try PacketID(bytes: row.decode(Data.self, forColumn: "packet_id")),
                             body: Array(try row.decode(Data.self, forColumn: "body")), createdAt: try row.decode(Int64.self, forColumn: "created_at"))
            }
        }
    }

    public func purgeable(now: Int64) async throws -> [PacketRecord] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.packetColumns) FROM packets WHERE state = 'confirmed' AND bytes IS NOT NULL AND confirmed_at IS NOT NULL
                AND confirmed_at + retention_days * 86400000 < ? LIMIT 1000
                """), arguments: [now]).map(Self.packetRecord)
        }
    }

    public func purge(_ id: PacketID, event: AuditEvent) async throws -> UInt64 {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE packets SET bytes = NULL WHERE id = ? AND bytes IS NOT NULL").execute(arguments: [Data(id.bytes)])
            guard db.changesCount == 1 else { throw StoreError(.invalidTransition, "packet \(id) is unknown or already purged") }
            let leaf = try Self.append(event, db)
            try Self.recordState(id: id, state: "purged", at: event.time, actor: event.actor, leaf: leaf, db)
            return leaf
        }
    }

    // MARK: Row mapping and shared steps

    /// Every column a `PacketRecord` needs; never the ciphertext itself (only whether it is still held).
    static let packetColumns = packetColumns(prefix: "")

    static func packetColumns(prefix p: String) -> String {
        ["id", "sender", "kind", "purpose", "recipients", "state", "accepted_at", "deadline", "leaf_index", "digest", "in_reply_to", "relates_to",
         "retention_days", "overdue_at"].map { p + $0 }.joined(separator: ", ") + ", \(p)bytes IS NOT NULL AS has_bytes"
    }

    static func checkTransition(_ id: PacketID, allowedFrom: Set<PacketState>, _ db: Database) throws {
        guard let text = try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM packets WHERE id = ?"), arguments: [Data(id.bytes)]) else {
            throw StoreError(.notFound, "packet \(id) is not known to this relay")
        }
        guard let state = PacketState(rawValue: text), allowedFrom.contains(state) else {
            let allowed = allowedFrom.map(\.rawValue).sorted().joined(separator: ", ")
            throw StoreError(.invalidTransition, "packet \(id) is \(text); this step needs it to be \(allowed)")
        }
    }

    static func applyTransition(_ id: PacketID, to: PacketState, at: Int64, actor: String, leaf: UInt64, _ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE packets SET state = ? WHERE id = ?").execute(arguments: [to.rawValue, Data(id.bytes)])
        if to == .confirmed {
            try db.cachedStatement(sql: "UPDATE packets SET confirmed_at = ? WHERE id = ?").execute(arguments: [at, Data(id.bytes)])
        }
        try recordState(id: id, state: to.rawValue, at: at, actor: actor, leaf: leaf, db)
    }

    static func recordState(id: PacketID, state: String, at: Int64, actor: String, leaf: UInt64, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO packet_states (packet_id, state, at, actor, leaf_index) VALUES (?, ?, ?, ?, ?)").execute(
                       arguments: [Data(id.bytes), state, at, actor, Int64(leaf)])
    }

    static func packetRecord(_ row: Row) throws -> PacketRecord {
        guard let kind = PacketKind(rawValue: try row.decode(String.self, forColumn: "kind")),
              let state = PacketState(rawValue: try row.decode(String.self, forColumn: "state")) else {
            throw StoreError(.corrupt, "a packet row has an unknown kind or state")
        }
        let recipients = try row.decode(String.self, forColumn: "recipients").split(separator: ",").map { text throws in try MemberID(String(text)) }
        return PacketRecord(
            id: try PacketID(bytes: row.decode(Data.self, forColumn: "id")), sender: try MemberID(row.decode(String.self, forColumn: "sender")),
            kind: kind, purpose: try row.decode(String.self, forColumn: "purpose"), recipients: recipients, state: state,
            acceptedAt: try row.decode(Int64.self, forColumn: "accepted_at"), deadline: try row.decode(Int64?.self, forColumn: "deadline"),
            leafIndex: UInt64(try row.decode(Int64.self, forColumn: "leaf_index")), digest: Array(try row.decode(Data.self, forColumn: "digest")),
            inReplyTo: try row.decode(Data?.self, forColumn: "in_reply_to").map { data throws in try PacketID(bytes: data) },
            relatesTo: try row.decode(Data?.self, forColumn: "relates_to").map { data throws in try PacketID(bytes: data) },
            retentionDays: try row.decode(Int.self, forColumn: "retention_days"), overdueAt: try row.decode(Int64?.self, forColumn: "overdue_at"),
            hasCiphertext: try row.decode(Bool.self, forColumn: "has_bytes"))
    }
}
