import Foundation
import GRDB
import ISRAudit
import ISRCrypto
import ISRLifecycle
import ISRPacket
import Testing
@testable import ISRStore

/// A database written by the previous release (migrations v1 and v2: one state per packet) opened by this one: the v3
/// migration gives every header address an obligation carrying the packet's old state, and the packet its phase.
@Suite struct SQLiteMigrationTests {
    @Test func aVersion2DatabaseBecomesPerRecipient() async throws {
        let dir = NSTemporaryDirectory() + "isr-migrate-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/relay.sqlite"
        let old = try DatabaseQueue(path: path)
        try SQLiteSchema.migrator.migrate(old, upTo: "v2-escalation-notices")
        let ids = (1...4).map { n in try! PacketID(bytes: Array(SHA256.hash(Array("old \(n)".utf8)).prefix(16))) }
        try await old.write { db in
            try db.execute(sql: "INSERT INTO agencies VALUES ('school-a', 'School A', 'school', 'active', 1), ('devon-csc', 'CSC', 'childrens-social-care', 'active', 1)")
            try db.execute(sql: """
                INSERT INTO members VALUES ('alice@school-a', 'school-a', 'Alice', 'practitioner', zeroblob(32), zeroblob(32), 'fa', 'active', NULL, 1),
                                           ('bob@devon-csc', 'devon-csc', 'Bob', 'practitioner', zeroblob(32), zeroblob(32), 'fb', 'active', NULL, 1)
                """)
            // acknowledged to two addresses; held; withdrawn; confirmed (with a deadline and an overdue mark).
            for (n, (state, recipients)) in [("acknowledged", "bob@devon-csc,duty@devon-csc"), ("held", "bob@devon-csc"), ("withdrawn", "bob@devon-csc"),
                                              ("confirmed", "bob@devon-csc")].enumerated() {
                try db.execute(sql: """
                    INSERT INTO packets (id, sender, kind, purpose, recipients, state, accepted_at, deadline, leaf_index, digest, bytes, retention_days, overdue_at)
                    VALUES (?, 'alice@school-a', 'share', 'child-in-need', ?, ?, 1000, 5000, ?, zeroblob(32), x'00', 90, ?)
                    """, arguments: [Data(ids[n].bytes), recipients, state, n, state == "confirmed" ? 6000 : nil])
                try db.execute(sql: "INSERT INTO packet_states VALUES (?, ?, ?, 'alice@school-a', ?)", arguments: [Data(ids[n].bytes), state, 2000 + n, n])
            }
        }
        try old.close()

        let store = try SQLiteRelayStore(path: path)
        let acknowledged = try #require(try await store.packetView(ids[0], bytes: false, history: false))
        #expect(acknowledged.record.phase == .accepted)
        #expect(acknowledged.obligations.map(\.address.rawValue) == ["bob@devon-csc", "duty@devon-csc"])
        #expect(acknowledged.obligations.map(\.state) == [.acknowledged, .acknowledged] && acknowledged.obligations.allSatisfy { $0.deadline == 5000 })
        #expect(try await store.packet(ids[1])?.phase == .held)
        #expect(try await store.packetView(ids[1], bytes: false, history: false)?.obligations.map(\.state) == [.pending])
        #expect(try await store.packet(ids[2])?.phase == .withdrawn)
        let confirmed = try #require(try await store.packetView(ids[3], bytes: false, history: false))
        #expect(confirmed.record.phase == .accepted && confirmed.obligations.first?.state == .confirmed && confirmed.obligations.first?.overdueAt == 6000)
        // Retention now counts from the last event the old history recorded.
        #expect(try await store.purgeable(now: 2003 + 90 * 86_400_000, limit: 10).map(\.id) == [ids[0], ids[1], ids[2]])
        try store.close()
    }

    /// v8 indexes packets stored before it by their subject reference, read from the stored header; a reply inherits
    /// its share's; a purged packet (no bytes left) stays unindexed. v9 records each existing leaf's actor.
    @Test func aVersion7DatabaseGetsItsSubjectIndex() async throws {
        let dir = NSTemporaryDirectory() + "isr-migrate-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/relay.sqlite"
        let old = try DatabaseQueue(path: path)
        try SQLiteSchema.migrator.migrate(old, upTo: "v7-devices-and-key-history")
        let alice = try MemberID("alice@school-a"), bob = try MemberID("bob@devon-csc")
        let signer = SigningKeyPair.generate()
        let box = EncryptionKeyPair.generate().publicKey
        func sealed(_ kind: PacketKind, reference: String?, inReplyTo: PacketID? = nil) throws -> SealedPacket {
            let header = PacketHeader(kind: kind, sender: alice, recipients: [bob], purpose: "child-in-need", lawfulBasis: nil, consent: .notApplicable, createdAt: 1,
                                      subjectReference: reference, inReplyTo: inReplyTo, retentionDays: 90)
            return try PacketSealer.seal(header: header, body: PacketBody(statement: "s"), deviceKeys: [bob: [bob: [box]]], signer: signer)
        }
        let share = try sealed(.share, reference: "CASE-7")
        let shareID = try PacketHeader(derEncoded: share.headerBytes).id
        let reply = try sealed(.readback, reference: nil, inReplyTo: shareID)
        let purged = try sealed(.share, reference: "CASE-7")
        try await old.write { db in
            try db.execute(sql: "INSERT INTO agencies VALUES ('school-a', 'School A', 'school', 'active', 1), ('devon-csc', 'CSC', 'childrens-social-care', 'active', 1)")
            try db.execute(sql: """
                INSERT INTO members (id, agency_id, display_name, role, signing_key, encryption_key, certificate_fingerprint, status, enrolled_at)
                VALUES ('alice@school-a', 'school-a', 'Alice', 'practitioner', zeroblob(32), zeroblob(32), 'fa', 'active', 1)
                """)
            for (n, (packet, bytes)) in [(share, true), (reply, true), (purged, false)].enumerated() {
                let header = try PacketHeader(derEncoded: packet.headerBytes)
                try db.execute(sql: """
                    INSERT INTO packets (id, sender, kind, purpose, recipients, state, accepted_at, leaf_index, digest, bytes, in_reply_to, retention_days)
                    VALUES (?, 'alice@school-a', ?, 'child-in-need', 'bob@devon-csc', 'accepted', 1000, ?, zeroblob(32), ?, ?, 90)
                    """, arguments: [Data(header.id.bytes), header.kind.rawValue, n, bytes ? Data(packet.bytes) : nil, header.inReplyTo.map { Data($0.bytes) }])
            }
        }
        // An audit leaf written before v9, caused by bob: v9 reads its actor back, so bob is given it as his own event.
        let bobs = AuditEvent(kind: "member.certificate-renewed", time: 1, actor: bob.rawValue, attributes: ["member": bob.rawValue])
        try await old.write { db in
            try db.execute(sql: "INSERT INTO audit_leaves (leaf_index, data, hash) VALUES (0, ?, ?)", arguments: [Data(bobs.derEncoded()), Data(bobs.leafHash)])
            try db.execute(sql: "INSERT INTO merkle_nodes (level, idx, hash) VALUES (0, 0, ?)", arguments: [Data(bobs.leafHash)])
        }
        try old.close()
        let store = try SQLiteRelayStore(path: path)
        #expect(try await store.partyLeaves(bob, size: 1, after: nil, limit: 10) == [0])
        let found = try await store.packets(aboutSubject: SubjectKey.of("CASE-7"), party: alice, limit: 10).map(\.id)
        #expect(found == [shareID, try PacketHeader(derEncoded: reply.headerBytes).id])
        #expect(try await store.packets(aboutSubject: SubjectKey.of("CASE-7"), party: bob, limit: 10).isEmpty, "bob holds no stanza row here")
        // v10 rebuilt members and invitations with an `auditor` role: alice is still there, the indexes are back, and the
        // CHECK admits an auditor but still nothing unknown.
        #expect(try await store.member(alice)?.role == .practitioner)
        try store.close()
        let migrated = try DatabaseQueue(path: path)
        try await migrated.write { db in
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'invitations' AND sql IS NOT NULL")
            #expect(indexes.contains("invitations_live_per_device"), "\(indexes)")
            try db.execute(sql: """
                INSERT INTO members (id, agency_id, display_name, role, signing_key, encryption_key, certificate_fingerprint, status, enrolled_at)
                VALUES ('audrey@school-a', 'school-a', 'Audrey', 'auditor', zeroblob(32), zeroblob(32), 'fb', 'active', 1)
                """)
            #expect(throws: (any Error).self) {
                try db.execute(sql: """
                    INSERT INTO members (id, agency_id, display_name, role, signing_key, encryption_key, certificate_fingerprint, status, enrolled_at)
                    VALUES ('zed@school-a', 'school-a', 'Zed', 'overlord', zeroblob(32), zeroblob(32), 'fc', 'active', 1)
                    """)
            }
        }
        try migrated.close()
    }
}
