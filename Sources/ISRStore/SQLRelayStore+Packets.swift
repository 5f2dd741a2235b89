import Foundation
import ISRAudit
import ISRCrypto
import ISRLifecycle
import ISRPacket

extension SQLRelayStore {
    public func insertPacket(_ packet: NewPacket, event: AuditEvent, linked: [LinkedTransition]) async throws -> AcceptOutcome {
        try await writePositioned { db in
            let id = Data(packet.record.id.bytes)
            let parties = [packet.record.sender] + packet.deliveries.map(\.member)
            let admissible = Self.admissible(id, parties)
            // The packet's id is its primary key: a retry's insert would fail the group's usual path all the same.
            if try !db.expects(admissible.sql, admissible.arguments, keyed: ["packets"]) {
                let admission = try Self.admission(id, parties, db)
                if admission.known, let existing = try Self.record(packet.record.id, db) {
                    guard ConstantTime.equal(existing.digest, packet.record.digest) else {
                        throw StoreError(.packetConflict, "packet \(packet.record.id) was already sent with different content; a new packet needs a new id")
                    }
                    return .duplicate(existing)
                }
                try Self.requireActive(parties, active: admission.active)
            }
            for link in linked {
                let applies = Self.linkApplies(link)
                if try !db.expects(applies.sql, applies.arguments, keyed: []) { try Self.checkLink(link, db) }
            }
            let leaf = try Self.append(event, db)
            var record = packet.record
            record.leafIndex = leaf
            // A reply without a subject reference of its own inherits its thread's; any other packet reads nothing.
            let inherits = record.inReplyTo != nil || record.relatesTo != nil
            try db.perform("""
                INSERT INTO packets (id, sender, kind, purpose, recipients, state, accepted_at, deadline, leaf_index, digest, bytes,
                                     in_reply_to, relates_to, retention_days, urgency, countersign_due, emergency, emergency_reason, subject_key)
                VALUES \(inherits ? Self.inheritedSubject : Self.rows(19, 1))
                """, [id, record.sender.rawValue, record.kind.rawValue, record.purpose, record.recipients.map(\.rawValue).joined(separator: ","),
                                 record.phase.rawValue, record.acceptedAt, record.deadline, Int64(leaf), Data(record.digest), Data(packet.bytes),
                                 record.inReplyTo.map { Data($0.bytes) }, record.relatesTo.map { Data($0.bytes) }, record.retentionDays,
                                 record.urgency.rawValue, record.countersignDue, record.emergency, record.emergencyReason, packet.subjectKey.map { Data($0) }])
            let retention = Int64(record.retentionDays) * 86_400_000
            try db.perform("INSERT INTO packet_retention (packet_id, retention_ms, purge_at) VALUES (?, ?, ?)", [id, retention, event.time + retention])
            if !packet.deliveries.isEmpty {
                try db.perform("INSERT INTO packet_recipients (packet_id, member_id, via, countersigner) VALUES \(Self.rows(4, packet.deliveries.count))",
                               packet.deliveries.flatMap { stanza -> [any SQLArgument] in [id, stanza.member.rawValue, stanza.via.rawValue, stanza.countersigner] })
            }
            if !packet.obligations.isEmpty {
                try db.perform("INSERT INTO packet_obligations (packet_id, address, state, deadline) VALUES \(Self.rows(4, packet.obligations.count))",
                               packet.obligations.flatMap { obligation -> [any SQLArgument] in [id, obligation.address.rawValue, obligation.state.rawValue, obligation.deadline] })
            }
            let first: LifecycleEvent = record.emergency ? .emergencyReleased : (record.phase == .held ? .held : .accepted)
            try Self.recordState(id: record.id, event: first, at: event.time, actor: event.actor, leaf: leaf, db)
            for link in linked { try Self.applyLink(link, answer: record.id, at: event.time, actor: event.actor, leaf: leaf, db) }
            return .accepted(record)
        }
    }

    public func packet(_ id: PacketID) async throws -> PacketRecord? {
        try await read { db in try Self.record(id, db) }
    }

    public func packetView(_ id: PacketID, bytes: Bool, history: Bool) async throws -> PacketView? {
        try await read { db in
            let key: [any SQLArgument] = [Data(id.bytes)]
            var queries: [(sql: String, arguments: [any SQLArgument])] = [
                ("SELECT \(Self.packetColumns)\(bytes ? ", bytes" : "") FROM packets WHERE id = ?", key),
                (Self.obligationsQuery, key), (Self.deliveriesQuery, key),
            ]
            if history { queries.append((Self.historyQuery(db.dialect), key)) }
            let results = try db.rows(queries)
            guard let row = results[0].first else { return nil }
            var view = PacketView(record: try Self.packetRecord(row), obligations: try results[1].map(Self.obligation), deliveries: try results[2].map(Self.delivery))
            if bytes { view.bytes = try row.decode(Data?.self, forColumn: "bytes").map { Array($0) } }
            if history { view.history = try results[3].map { try Self.historyStep($0, id) } }
            return view
        }
    }

    public func changePhase(_ id: PacketID, _ change: PhaseChange, event: AuditEvent) async throws -> UInt64 {
        try await write { db in
            guard let record = try Self.record(id, db) else { throw StoreError(.notFound, "packet \(id) is not known to this relay") }
            guard change.rule.from.contains(record.phase) else {
                let allowed = change.rule.from.map(\.rawValue).sorted().joined(separator: " or ")
                throw StoreError(.invalidTransition, "packet \(id) is \(record.phase.rawValue); to \(change.rule.step.rawValue) it, it must be \(allowed)")
            }
            if change.countersignature, !record.awaitsCountersignature {
                throw StoreError(.invalidTransition, "packet \(id) is not waiting for a countersignature")
            }
            if change.onlyIfUnfetched {
                let fetched = try db.value(Int.self, "SELECT COUNT(*) FROM packet_recipients WHERE packet_id = ? AND countersigner = 0 AND delivered_at IS NOT NULL", [Data(id.bytes)]) ?? 0
                guard fetched == 0 else { throw StoreError(.invalidTransition, "packet \(id) has already been fetched by a recipient; send a correction instead") }
            }
            let leaf = try Self.append(event, db)
            try db.perform("UPDATE packets SET state = ? WHERE id = ?", [change.rule.to.rawValue, Data(id.bytes)])
            try Self.touch(id, at: event.time, db)
            if let reason = change.returnReason {
                try db.perform("UPDATE packets SET return_reason = ? WHERE id = ?", [reason, Data(id.bytes)])
            }
            if change.countersignature {
                try db.perform("UPDATE packets SET countersigned_at = ? WHERE id = ?", [event.time, Data(id.bytes)])
            }
            if let deadline = change.releaseDeadline {
                try db.perform("UPDATE packets SET deadline = ? WHERE id = ? AND deadline IS NULL", [deadline, Data(id.bytes)])
                try db.perform("UPDATE packet_obligations SET deadline = ? WHERE packet_id = ? AND deadline IS NULL", [deadline, Data(id.bytes)])
            }
            try Self.recordState(id: id, event: change.rule.event, at: event.time, actor: event.actor, leaf: leaf, db)
            return leaf
        }
    }

    public func recordDelivery(_ id: PacketID, member: MemberID, event: AuditEvent) async throws -> UInt64? {
        try await writePositioned { db in
            let usual = Self.usualStanza(id, member, fetched: false)
            if try !db.expects(usual.sql, usual.arguments, keyed: []) {
                let (delivery, record) = try Self.stanza(id, member, db)
                guard delivery.mayFetch(record) else { throw Delivery.unavailable(record) }
                guard delivery.deliveredAt == nil else { return nil }
            }
            let leaf = try Self.append(event, db)
            try Self.advanceObligation(id, member, Lifecycle.onFetch, db)
            try db.perform("UPDATE packet_recipients SET delivered_at = ? WHERE packet_id = ? AND member_id = ?", [event.time, Data(id.bytes), member.rawValue])
            try Self.touch(id, at: event.time, db)
            try Self.recordState(id: id, event: .delivered, at: event.time, actor: member.rawValue, leaf: leaf, db)
            return leaf
        }
    }

    public func recordReceipt(_ id: PacketID, member: MemberID, receipt: [UInt8], event: AuditEvent) async throws -> UInt64 {
        try await writePositioned { db in
            let usual = Self.usualStanza(id, member, fetched: true)
            if try !db.expects(usual.sql, usual.arguments, keyed: []) {
                let (delivery, record) = try Self.stanza(id, member, db)
                guard delivery.mayFetch(record) else { throw Delivery.unavailable(record) }
                guard delivery.deliveredAt != nil else {
                    throw StoreError(.invalidTransition, "you have not fetched packet \(id) yet; a receipt says you read it, so fetch it first (`isr read`)")
                }
                guard delivery.readAt == nil else {
                    throw StoreError(.alreadyExists, "\(member) already posted a receipt for packet \(id)")
                }
            }
            let leaf = try Self.append(event, db)
            try Self.advanceObligation(id, member, Lifecycle.onReceipt, db)
            try db.perform("UPDATE packet_recipients SET receipt = ?, read_at = ? WHERE packet_id = ? AND member_id = ?", [Data(receipt), event.time, Data(id.bytes), member.rawValue])
            try Self.touch(id, at: event.time, db)
            try Self.recordState(id: id, event: .read, at: event.time, actor: member.rawValue, leaf: leaf, db)
            return leaf
        }
    }

    public func inbox(_ member: MemberID, before: Int64?, limit: Int) async throws -> Page<InboxEntry> {
        try await read { db in
            let rows = try db.rows("""
                SELECT \(Self.packetColumns(prefix: "p.")), r.via AS via, r.countersigner AS countersigner, r.delivered_at AS delivered_at,
                       r.read_at AS read_at, o.state AS o_state, o.deadline AS o_deadline, o.answered_by AS o_answered_by
                FROM packet_recipients r JOIN packets p ON p.id = r.packet_id
                LEFT JOIN packet_obligations o ON o.packet_id = r.packet_id AND o.address = r.via AND r.countersigner = 0
                WHERE r.member_id = ? AND p.leaf_index < ?
                  AND ((r.countersigner = 0 AND p.state IN (\(Self.sql(PacketPhase.allCases.filter(\.isDeliverable)))))
                       OR (r.countersigner = 1 AND p.countersign_due IS NOT NULL AND p.countersigned_at IS NULL
                           AND p.state IN (\(Self.sql(Lifecycle.phaseRule(.countersign).from)))))
                ORDER BY p.leaf_index DESC LIMIT ?
                """, [member.rawValue, before ?? Int64.max, limit + 1])
            let entries = try rows.prefix(limit).map { row in
                InboxEntry(packet: try Self.packetRecord(row), via: try MemberID(row.decode(String.self, forColumn: "via")),
                           countersigner: try row.decode(Bool.self, forColumn: "countersigner"),
                           state: try row.decode(String?.self, forColumn: "o_state").map(Self.recipientState),
                           deadline: try row.decode(Int64?.self, forColumn: "o_deadline"),
                           answeredBy: try row.decode(String?.self, forColumn: "o_answered_by").map { text throws in try MemberID(text) },
                           deliveredAt: try row.decode(Int64?.self, forColumn: "delivered_at"), readAt: try row.decode(Int64?.self, forColumn: "read_at"))
            }
            return Page(items: entries, next: rows.count > limit ? entries.last.map { Int64($0.packet.leafIndex) } : nil)
        }
    }

    public func sent(by member: MemberID, before: Int64?, limit: Int) async throws -> Page<PacketRecord> {
        try await read { db in
            let records = try db.rows("SELECT \(Self.packetColumns) FROM packets WHERE sender = ? AND leaf_index < ? ORDER BY leaf_index DESC LIMIT ?", [member.rawValue, before ?? Int64.max, limit + 1]).map(Self.packetRecord)
            let page = Array(records.prefix(limit))
            return Page(items: page, next: records.count > limit ? page.last.map { Int64($0.leafIndex) } : nil)
        }
    }

    public func packets(aboutSubject key: [UInt8], party member: MemberID, limit: Int) async throws -> [PacketRecord] {
        try await read { db in
            try db.rows("""
                SELECT \(Self.packetColumns) FROM packets
                WHERE subject_key = ? AND (sender = ? OR EXISTS (SELECT 1 FROM packet_recipients r WHERE r.packet_id = packets.id AND r.member_id = ?))
                ORDER BY leaf_index LIMIT ?
                """, [Data(key), member.rawValue, member.rawValue, limit]).map(Self.packetRecord)
        }
    }

    public func overdue(now: Int64, limit: Int) async throws -> [OverdueItem] {
        try await read { db in
            let recipients = try db.rows("""
                SELECT \(Self.packetColumns(prefix: "p.")), o.address AS o_address, o.deadline AS o_deadline
                FROM packet_obligations o JOIN packets p ON p.id = o.packet_id
                WHERE o.deadline IS NOT NULL AND o.deadline < ? AND o.overdue_at IS NULL
                  AND o.state IN (\(Self.sql(RecipientState.awaitingAnswer))) AND p.state IN (\(Self.sql(PacketPhase.allCases.filter(\.isDeliverable))))
                ORDER BY o.deadline LIMIT ?
                """, [now, limit]).map { row in
                OverdueItem(packet: try Self.packetRecord(row), address: try MemberID(row.decode(String.self, forColumn: "o_address")),
                            deadline: try row.decode(Int64.self, forColumn: "o_deadline"))
            }
            let countersignatures = try db.rows("""
                SELECT \(Self.packetColumns) FROM packets
                WHERE countersign_due IS NOT NULL AND countersign_due < ? AND countersigned_at IS NULL AND countersign_overdue_at IS NULL
                  AND state IN (\(Self.sql(Lifecycle.phaseRule(.countersign).from)))
                ORDER BY countersign_due LIMIT ?
                """, [now, limit]).map { row in
                let record = try Self.packetRecord(row)
                return OverdueItem(packet: record, address: nil, deadline: record.countersignDue ?? 0)
            }
            return recipients + countersignatures
        }
    }

    public func markOverdue(_ id: PacketID, address: MemberID?, notices: [(recipient: MemberID, body: [UInt8])], event: AuditEvent) async throws -> UInt64 {
        try await write { db in
            let changed: Int
            if let address {
                changed = try db.execute("UPDATE packet_obligations SET overdue_at = ? WHERE packet_id = ? AND address = ? AND overdue_at IS NULL", [event.time, Data(id.bytes), address.rawValue])
            } else {
                changed = try db.execute("UPDATE packets SET countersign_overdue_at = ? WHERE id = ? AND countersign_overdue_at IS NULL", [event.time, Data(id.bytes)])
            }
            guard changed == 1 else { throw StoreError(.invalidTransition, "packet \(id) is unknown or was already escalated") }
            let leaf = try Self.append(event, db)
            for notice in notices {
                try db.perform("INSERT INTO notices (recipient, packet_id, body, created_at) VALUES (?, ?, ?, ?)", [notice.recipient.rawValue, Data(id.bytes), Data(notice.body), event.time])
            }
            try Self.touch(id, at: event.time, db)
            try Self.recordState(id: id, event: address == nil ? .countersignOverdue : .overdue, at: event.time, actor: event.actor, leaf: leaf, db)
            return leaf
        }
    }

    public func notices(for member: MemberID, before: Int64?, limit: Int) async throws -> Page<StoredNotice> {
        try await read { db in
            let notices = try db.rows("""
                SELECT id, recipient, packet_id, body, created_at FROM notices
                WHERE (recipient = ? OR recipient IN (SELECT address FROM role_members WHERE member_id = ?)) AND id < ?
                ORDER BY id DESC LIMIT ?
                """, [member.rawValue, member.rawValue, before ?? Int64.max, limit + 1]).map { row in
                StoredNotice(id: try row.decode(Int64.self, forColumn: "id"), recipient: try MemberID(row.decode(String.self, forColumn: "recipient")),
                             packetID: try PacketID(bytes: row.decode(Data.self, forColumn: "packet_id")),
                             body: Array(try row.decode(Data.self, forColumn: "body")), createdAt: try row.decode(Int64.self, forColumn: "created_at"))
            }
            let page = Array(notices.prefix(limit))
            return Page(items: page, next: notices.count > limit ? page.last?.id : nil)
        }
    }

    public func purgeable(now: Int64, limit: Int) async throws -> [PacketRecord] {
        try await read { db in
            try db.rows("""
                SELECT \(Self.packetColumns(prefix: "p.")) FROM packet_retention r JOIN packets p ON p.id = r.packet_id
                WHERE r.purge_at < ? ORDER BY r.purge_at LIMIT ?
                """, [now, limit]).map(Self.packetRecord)
        }
    }

    public func purge(_ id: PacketID, event: AuditEvent) async throws -> UInt64 {
        try await write { db in
            let changed = try db.execute("UPDATE packets SET bytes = NULL WHERE id = ? AND bytes IS NOT NULL", [Data(id.bytes)])
            guard changed == 1 else { throw StoreError(.invalidTransition, "packet \(id) is unknown or already purged") }
            let leaf = try Self.append(event, db)
            // Purged: nothing left to time (and purging is not an event that restarts retention).
            try db.perform("DELETE FROM packet_retention WHERE packet_id = ?", [Data(id.bytes)])
            try Self.recordState(id: id, event: .purged, at: event.time, actor: event.actor, leaf: leaf, db)
            return leaf
        }
    }

    // MARK: Row mapping and shared steps

    static func record(_ id: PacketID, _ db: any SQLSession) throws -> PacketRecord? {
        try db.row("SELECT \(packetColumns) FROM packets WHERE id = ?", [Data(id.bytes)]).map(packetRecord)
    }

    static var deliveriesQuery: String { "SELECT member_id, via, countersigner, delivered_at, read_at FROM packet_recipients WHERE packet_id = ? ORDER BY member_id" }

    static func delivery(_ row: SQLRow) throws -> Delivery {
        Delivery(member: try MemberID(row.decode(String.self, forColumn: "member_id")), via: try MemberID(row.decode(String.self, forColumn: "via")),
                 countersigner: try row.decode(Bool.self, forColumn: "countersigner"),
                 deliveredAt: try row.decode(Int64?.self, forColumn: "delivered_at"), readAt: try row.decode(Int64?.self, forColumn: "read_at"))
    }

    static var obligationsQuery: String { "SELECT address, state, deadline, overdue_at, answered_by, answer_packet FROM packet_obligations WHERE packet_id = ? ORDER BY address" }

    static func obligation(_ row: SQLRow) throws -> Obligation {
        Obligation(address: try MemberID(row.decode(String.self, forColumn: "address")), state: try recipientState(row.decode(String.self, forColumn: "state")),
                   deadline: try row.decode(Int64?.self, forColumn: "deadline"), overdueAt: try row.decode(Int64?.self, forColumn: "overdue_at"),
                   answeredBy: try row.decode(String?.self, forColumn: "answered_by").map { text throws in try MemberID(text) },
                   answer: try row.decode(Data?.self, forColumn: "answer_packet").map { data throws in try PacketID(bytes: data) })
    }

    static func historyQuery(_ dialect: SQLDialect) -> String {
        "SELECT state, at, actor, leaf_index FROM packet_states WHERE packet_id = ? ORDER BY \(dialect.insertionOrder)"
    }

    static func historyStep(_ row: SQLRow, _ id: PacketID) throws -> PacketStateChange {
        guard let event = LifecycleEvent(rawValue: try row.decode(String.self, forColumn: "state")) else {
            throw StoreError(.corrupt, "packet \(id) has a history step this relay does not know")
        }
        return PacketStateChange(event: event, at: try row.decode(Int64.self, forColumn: "at"), actor: try row.decode(String.self, forColumn: "actor"),
                                 leafIndex: UInt64(try row.decode(Int64.self, forColumn: "leaf_index")))
    }

    /// `member`'s stanza of packet `id` and the packet (one query), or not-found.
    static func stanza(_ id: PacketID, _ member: MemberID, _ db: any SQLSession) throws -> (Delivery, PacketRecord) {
        guard let row = try db.row("""
            SELECT \(packetColumns(prefix: "p.")), r.member_id AS member_id, r.via AS via, r.countersigner AS countersigner,
                   r.delivered_at AS delivered_at, r.read_at AS read_at
            FROM packets p JOIN packet_recipients r ON r.packet_id = p.id WHERE p.id = ? AND r.member_id = ?
            """, [Data(id.bytes), member.rawValue]) else {
            throw StoreError(.notFound, "packet \(id) has no stanza for \(member)")
        }
        return (try delivery(row), try packetRecord(row))
    }

    /// A query answering 1 in the usual case of a fetch (`fetched` false: not fetched before) or a receipt (`fetched`:
    /// fetched, no receipt yet): `member` holds a recipient's stanza (not a countersigner's) of a released packet. Then
    /// the stanza need not be read; on 0 it is, and the exact checks say what is wrong (or let a countersigner through).
    static func usualStanza(_ id: PacketID, _ member: MemberID, fetched: Bool) -> (sql: String, arguments: [any SQLArgument]) {
        let sql = """
            SELECT CASE WHEN EXISTS (SELECT 1 FROM packets p JOIN packet_recipients r ON r.packet_id = p.id
                WHERE p.id = ? AND r.member_id = ? AND r.countersigner = 0 AND p.state = ? AND \(fetched ? "r.delivered_at IS NOT NULL AND r.read_at IS NULL" : "r.delivered_at IS NULL"))
            THEN 1 ELSE 0 END
            """
        return (sql, [Data(id.bytes), member.rawValue, PacketPhase.accepted.rawValue])
    }

    /// Moves the obligation `member`'s stanza answers for along `transition`, if it is in a state the step starts from;
    /// a countersigner's stanza answers for none.
    static func advanceObligation(_ id: PacketID, _ member: MemberID, _ transition: ObligationTransition, _ db: any SQLSession) throws {
        try db.perform("""
            UPDATE packet_obligations SET state = ? WHERE packet_id = ?
            AND address = (SELECT via FROM packet_recipients WHERE packet_id = ? AND member_id = ? AND countersigner = 0) AND state IN (\(Self.sql(transition.from)))
            """, [transition.to.rawValue, Data(id.bytes), Data(id.bytes), member.rawValue])
    }

    /// A query answering 1 when packet `id` is new and every one of `parties` is an active member of an active agency:
    /// the usual case, in which `admission` need not be read.
    static func admissible(_ id: Data, _ parties: [MemberID]) -> (sql: String, arguments: [any SQLArgument]) {
        let unique = Array(Set(parties.map(\.rawValue))).sorted()
        let sql = """
            SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM packets WHERE id = ?)
                AND (SELECT COUNT(*) FROM members m JOIN agencies a ON a.id = m.agency_id
                     WHERE m.id IN (\(Array(repeating: "?", count: unique.count).joined(separator: ", "))) AND m.status = 'active' AND a.status = 'active') = ?
            THEN 1 ELSE 0 END
            """
        return (sql, [id] + unique + [Int64(unique.count)])
    }

    /// What an accept must know before it writes, in one query: which of `members` are active members of active
    /// agencies as this transaction sees the registry, and whether packet `id` is already stored (a retry).
    static func admission(_ id: Data, _ members: [MemberID], _ db: any SQLSession) throws -> (known: Bool, active: Set<String>) {
        let unique = Array(Set(members.map(\.rawValue)))
        // A member id is never empty, so the empty row can only say that the packet is known.
        let found = try db.values(String.self, """
            SELECT m.id FROM members m JOIN agencies a ON a.id = m.agency_id
            WHERE m.id IN (\(Array(repeating: "?", count: unique.count).joined(separator: ", "))) AND m.status = 'active' AND a.status = 'active'
            UNION ALL SELECT '' FROM packets WHERE id = ?
            """, unique + [id])
        return (found.contains(""), Set(found.filter { !$0.isEmpty }))
    }

    /// Refuses unless the sender (first) and every recipient are in `active` (from `admission`).
    static func requireActive(_ members: [MemberID], active: Set<String>) throws {
        let unique = Set(members)
        if let sender = members.first, !active.contains(sender.rawValue) {
            throw StoreError(.notActive, "\(sender) is no longer an active member of an active agency, so cannot send; ask an admin")
        }
        if let gone = unique.sorted().first(where: { !active.contains($0.rawValue) }) {
            throw StoreError(.notActive, "\(gone) is no longer an active member of an active agency; refresh the directory (`isr directory`) and send again without them")
        }
    }

    /// A query answering 1 when `link` passes `checkLink` (its target is released and the addressed obligation is in a
    /// state the step starts from, answered by whom it must be): the usual case, in which the target need not be read.
    /// Never looser than `checkLink`: on 0 that one runs and says what is wrong.
    static func linkApplies(_ link: LinkedTransition) -> (sql: String, arguments: [any SQLArgument]) {
        let from = link.transition.from.map(\.rawValue).sorted()
        let sql = """
            SELECT CASE WHEN EXISTS (SELECT 1 FROM packets p JOIN packet_obligations o ON o.packet_id = p.id
                WHERE p.id = ? AND p.state = ? AND o.address = ? AND o.state IN (\(Array(repeating: "?", count: from.count).joined(separator: ", ")))\(link.expectAnsweredBy == nil ? "" : " AND o.answered_by = ?"))
            THEN 1 ELSE 0 END
            """
        var arguments: [any SQLArgument] = [Data(link.packet.bytes), PacketPhase.accepted.rawValue, link.address.rawValue]
        arguments += from.map { $0 as any SQLArgument }
        if let expected = link.expectAnsweredBy { arguments.append(expected.rawValue) }
        return (sql, arguments)
    }

    /// Checks a linked transition against the target's obligation, under the write transaction.
    static func checkLink(_ link: LinkedTransition, _ db: any SQLSession) throws {
        guard let row = try db.row("""
            SELECT \(packetColumns(prefix: "p.")), o.state AS o_state, o.answered_by AS o_answered_by
            FROM packets p LEFT JOIN packet_obligations o ON o.packet_id = p.id AND o.address = ? WHERE p.id = ?
            """, [link.address.rawValue, Data(link.packet.bytes)]) else {
            throw StoreError(.notFound, "packet \(link.packet) is not known to this relay")
        }
        let record = try packetRecord(row)
        guard record.phase == .accepted else {
            throw StoreError(.invalidTransition, "packet \(link.packet) is \(record.phase.rawValue); only a released packet can be answered")
        }
        guard let stateText = try row.decode(String?.self, forColumn: "o_state") else {
            throw StoreError(.invalidTransition, "packet \(link.packet) was not addressed to \(link.address)")
        }
        let state = try recipientState(stateText)
        let answeredBy = try row.decode(String?.self, forColumn: "o_answered_by")
        guard link.transition.from.contains(state) else {
            let who = answeredBy.map { " by \($0)" } ?? ""
            let allowed = link.transition.from.map(\.rawValue).sorted().joined(separator: ", ")
            throw StoreError(.invalidTransition, "\(link.address)'s copy of packet \(link.packet) is \(state.rawValue)\(who); this step needs it to be \(allowed)")
        }
        if let expected = link.expectAnsweredBy, answeredBy != expected.rawValue {
            throw StoreError(.invalidTransition, "\(expected) did not read back packet \(link.packet) for \(link.address)")
        }
    }

    static func applyLink(_ link: LinkedTransition, answer: PacketID, at: Int64, actor: String, leaf: UInt64, _ db: any SQLSession) throws {
        // One statement for the obligation's row: what it changes depends on the step.
        var changes = ["state = ?"]
        var arguments: [any SQLArgument] = [link.transition.to.rawValue]
        if let answeredBy = link.answeredBy {
            changes += ["answered_by = ?", "answer_packet = ?"]
            arguments += [answeredBy.rawValue, Data(answer.bytes)]
        }
        if let deadline = link.newDeadline {
            changes += ["deadline = ?", "overdue_at = NULL"]
            arguments.append(deadline)
        }
        try db.perform("UPDATE packet_obligations SET \(changes.joined(separator: ", ")) WHERE packet_id = ? AND address = ?",
                       arguments + [Data(link.packet.bytes), link.address.rawValue])
        guard let event = LifecycleEvent(rawValue: link.transition.to.rawValue) else {
            throw StoreError(.corrupt, "the lifecycle named a step the history cannot record")
        }
        try touch(link.packet, at: at, db)
        try recordState(id: link.packet, event: event, at: at, actor: actor, leaf: leaf, db)
    }

    /// A packet row whose subject key, unless given (?19), is the one of the packet it answers (?12) or relates to (?13).
    static var inheritedSubject: String { """
        (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
         COALESCE(?19, (SELECT subject_key FROM packets WHERE id = ?12), (SELECT subject_key FROM packets WHERE id = ?13)))
        """ }

    /// `count` rows of `width` placeholders for a multi-row VALUES: `(?, ?), (?, ?)`.
    static func rows(_ width: Int, _ count: Int) -> String {
        let row = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        return Array(repeating: row, count: count).joined(separator: ", ")
    }

    /// A lifecycle value set as an SQL list (`'a', 'b'`): the states come from `ISRLifecycle`, never spelled here.
    /// Their raw values are fixed codes without quotes, so interpolating them is safe.
    static func sql<S: Sequence>(_ values: S) -> String where S.Element: RawRepresentable, S.Element.RawValue == String {
        values.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")
    }

    /// Records that something happened to the packet now (retention counts from its last event).
    static func touch(_ id: PacketID, at: Int64, _ db: any SQLSession) throws {
        try db.perform("UPDATE packet_retention SET purge_at = \(db.dialect.greatest)(purge_at, ? + retention_ms) WHERE packet_id = ?", [at, Data(id.bytes)])
    }

    static func recordState(id: PacketID, event: LifecycleEvent, at: Int64, actor: String, leaf: UInt64, _ db: any SQLSession) throws {
        try db.perform("INSERT INTO packet_states (packet_id, state, at, actor, leaf_index) VALUES (?, ?, ?, ?, ?)", [Data(id.bytes), event.rawValue, at, actor, Int64(leaf)])
    }

    static func recipientState(_ text: String) throws -> RecipientState {
        guard let state = RecipientState(rawValue: text) else { throw StoreError(.corrupt, "a recipient row has an unknown state") }
        return state
    }

    /// Every column a `PacketRecord` needs; never the ciphertext itself (only whether it is still held).
    static var packetColumns: String { packetColumns(prefix: "") }

    static func packetColumns(prefix p: String) -> String {
        ["id", "sender", "kind", "purpose", "recipients", "state", "urgency", "accepted_at", "deadline", "leaf_index", "digest", "in_reply_to", "relates_to",
         "retention_days", "countersign_due", "countersigned_at", "countersign_overdue_at", "emergency", "emergency_reason", "return_reason"].map { p + $0 }.joined(separator: ", ")
            + ", \(p)bytes IS NOT NULL AS has_bytes"
    }

    static func packetRecord(_ row: SQLRow) throws -> PacketRecord {
        guard let kind = PacketKind(rawValue: try row.decode(String.self, forColumn: "kind")),
              let phase = PacketPhase(rawValue: try row.decode(String.self, forColumn: "state")),
              let urgency = Urgency(rawValue: try row.decode(String.self, forColumn: "urgency")) else {
            throw StoreError(.corrupt, "a packet row has an unknown kind, phase or urgency")
        }
        let recipients = try row.decode(String.self, forColumn: "recipients").split(separator: ",").map { text throws in try MemberID(String(text)) }
        return PacketRecord(
            id: try PacketID(bytes: row.decode(Data.self, forColumn: "id")), sender: try MemberID(row.decode(String.self, forColumn: "sender")),
            kind: kind, purpose: try row.decode(String.self, forColumn: "purpose"), recipients: recipients, phase: phase, urgency: urgency,
            acceptedAt: try row.decode(Int64.self, forColumn: "accepted_at"), deadline: try row.decode(Int64?.self, forColumn: "deadline"),
            leafIndex: UInt64(try row.decode(Int64.self, forColumn: "leaf_index")), digest: Array(try row.decode(Data.self, forColumn: "digest")),
            inReplyTo: try row.decode(Data?.self, forColumn: "in_reply_to").map { data throws in try PacketID(bytes: data) },
            relatesTo: try row.decode(Data?.self, forColumn: "relates_to").map { data throws in try PacketID(bytes: data) },
            retentionDays: try row.decode(Int.self, forColumn: "retention_days"),
            countersignDue: try row.decode(Int64?.self, forColumn: "countersign_due"), countersignedAt: try row.decode(Int64?.self, forColumn: "countersigned_at"),
            countersignOverdueAt: try row.decode(Int64?.self, forColumn: "countersign_overdue_at"), emergency: try row.decode(Bool.self, forColumn: "emergency"),
            emergencyReason: try row.decode(String?.self, forColumn: "emergency_reason"), returnReason: try row.decode(String?.self, forColumn: "return_reason"),
            hasCiphertext: try row.decode(Bool.self, forColumn: "has_bytes"))
    }
}
