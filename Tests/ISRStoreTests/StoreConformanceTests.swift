import Foundation
import ISRAudit
import ISRCrypto
import ISRLifecycle
import ISRPacket
@testable import ISRStore
import ISRStorePostgres
import ISRTestSupport
import Testing

/// The storage protocol's conformance suite: every `RelayStore` implementation must pass it unchanged.
/// Add a case to `StoreKind` for a new implementation (e.g. PostgreSQL) and the whole suite runs against it.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite
    /// A real PostgreSQL server the tests start themselves (one cluster per test process, a new database per store).
    case postgres

    var testDescription: String { rawValue }

    func make() async throws -> any RelayStore {
        switch self {
        case .sqlite:
            let dir = NSTemporaryDirectory() + "isr-store-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return try SQLiteRelayStore(path: dir + "/relay.sqlite")
        case .postgres:
            return try await PostgresRelayStore(url: try await TestPostgres.newDatabase())
        }
    }
}

enum Fixture {
    static let admin = try! MemberID("admin@devon-la")
    static let alice = try! MemberID("alice@school-a")
    static let bob = try! MemberID("bob@devon-csc")
    static let carol = try! MemberID("carol@devon-csc")
    static let duty = try! MemberID("duty@devon-csc")

    static func event(_ kind: String, _ actor: MemberID = admin, packet: PacketID? = nil, at time: Int64 = 1_795_000_000_000) -> AuditEvent {
        AuditEvent(kind: kind, time: time, actor: actor.rawValue, packetID: packet?.bytes)
    }

    static func member(_ id: MemberID, role: Member.Role = .practitioner) -> Member {
        Member(id: id, displayName: id.local.capitalized, role: role, signingKey: SHA256.hash(Array("sign \(id)".utf8)),
               encryptionKey: SHA256.hash(Array("enc \(id)".utf8)), certificateFingerprint: Hex.encode(SHA256.hash(Array("cert \(id)".utf8))), enrolledAt: 1)
    }

    /// A store with two agencies, three members and the duty role address.
    static func populated(_ kind: StoreKind) async throws -> any RelayStore {
        let store = try await kind.make()
        _ = try await populate(store)
        return store
    }

    /// Fills `store` as `populated` does; returns the log's size after it.
    static func populate(_ store: any RelayStore) async throws -> UInt64 {
        for (id, name, agencyKind) in [("school-a", "School A", "school"), ("devon-csc", "Devon children's social care", "childrens-social-care"),
                                       ("devon-la", "Devon County Council", "local-authority")] {
            _ = try await store.insertAgency(Agency(id: try AgencyID(id), name: name, kind: agencyKind, registeredAt: 1), event: event("agency.registered"))
        }
        for member in [admin, alice, bob, carol] {
            _ = try await store.insertMember(Self.member(member, role: member == admin ? .admin : .practitioner), event: event("member.enrolled"))
        }
        return try await store.setRoleAddress(duty, members: [bob, carol], event: event("role.set"))
    }

    static func id(_ n: Int) -> PacketID { try! PacketID(bytes: SHA256.hash(Array("id \(n)".utf8)).prefix(16)) }

    static func packet(_ n: Int, kind: PacketKind = .share, from sender: MemberID = alice, to recipients: [MemberID] = [bob],
                       deliveries: [(MemberID, MemberID)]? = nil, countersigners: [MemberID] = [], phase: PacketPhase = .accepted,
                       deadline: Int64? = nil, countersignDue: Int64? = nil, inReplyTo: PacketID? = nil, bytes: [UInt8]? = nil) -> NewPacket {
        let body = bytes ?? Array("packet \(n)".utf8)
        let record = PacketRecord(id: id(n), sender: sender, kind: kind, purpose: "child-in-need", recipients: recipients, phase: phase,
                                  acceptedAt: 1_795_000_000_000 + Int64(n), deadline: deadline, leafIndex: 0, digest: SHA256.hash(body),
                                  inReplyTo: inReplyTo, relatesTo: nil, retentionDays: 90, countersignDue: countersignDue)
        let stanzas = (deliveries ?? recipients.map { ($0, $0) }).map { NewPacket.Stanza(member: $0.0, via: $0.1) }
            + countersigners.map { NewPacket.Stanza(member: $0, via: $0, countersigner: true) }
        return NewPacket(record: record, bytes: body, deliveries: stanzas,
                         obligations: recipients.map { Obligation(address: $0, state: .pending, deadline: deadline) })
    }

    static let readBack = ObligationTransition(from: [.delivered, .read, .clarificationRequested], to: .acknowledged)
    static let confirmation = ObligationTransition(from: [.acknowledged], to: .confirmed)
}

@Suite(.blocksThreads) struct StoreConformanceTests {
    /// A writer keeps the log's right edge in memory across a group's appends: an operation that fails after
    /// appending must take its leaves back out of it, or the operations after it in the group would leave a gap.
    @Test(arguments: StoreKind.allCases)
    func anOperationThatFailsAfterAppendingLeavesNoGap(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        let before = try await store.treeHead().size
        func run<S: SQLRelayStore>(_ store: S) async throws -> [UInt64] {
            try await withThrowingTaskGroup(of: UInt64?.self) { group in
                for n in 0..<30 {
                    group.addTask {
                        do {
                            return try await store.write { db in
                                let leaf = try S.append(Fixture.event("test.appended", at: 1_795_000_000_000 + Int64(n)), db)
                                if n % 7 == 3 { throw StoreError(.invalidTransition, "operation \(n) fails after appending") }
                                return leaf
                            }
                        } catch let error as StoreError where error.code == .invalidTransition {
                            return nil
                        }
                    }
                }
                return try await group.reduce(into: [UInt64]()) { if let leaf = $1 { $0.append(leaf) } }
            }
        }
        let sql = try #require(store as? any SQLRelayStore)
        let leaves = try await run(sql)
        #expect(leaves.count == 30 - 4)
        #expect(Set(leaves) == Set(before..<(before + 26)), "gap-free leaves for the operations that succeeded")
        #expect(try await sql.verifyAuditLog().size == before + 26)
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func aPacketFromOrToAMemberNoLongerActiveIsRefusedInsideItsTransaction(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        _ = try await store.revokeMember(Fixture.carol, reason: "left", at: 2, event: Fixture.event("member.revoked"))
        let toCarol = await #expect(throws: StoreError.self) {
            try await store.insertPacket(Fixture.packet(1, to: [Fixture.duty], deliveries: [(Fixture.bob, Fixture.duty), (Fixture.carol, Fixture.duty)]),
                                         event: Fixture.event("packet.accepted", Fixture.alice, packet: Fixture.id(1)), linked: [])
        }
        #expect(toCarol?.code == .notActive && toCarol?.message.contains("carol@devon-csc") == true)
        _ = try await store.updateAgencyStatus(try AgencyID("school-a"), to: .suspended, event: Fixture.event("agency.suspended"))
        let fromSuspended = await #expect(throws: StoreError.self) {
            try await store.insertPacket(Fixture.packet(2), event: Fixture.event("packet.accepted", Fixture.alice, packet: Fixture.id(2)), linked: [])
        }
        #expect(fromSuspended?.code == .notActive && fromSuspended?.message.contains("cannot send") == true)
        let first = try await store.packet(Fixture.id(1))
        let second = try await store.packet(Fixture.id(2))
        #expect(first == nil && second == nil)
        #expect(try await store.auditSize() == 10, "nothing of either refused packet reached the log")
    }

    @Test(arguments: StoreKind.allCases)
    func registryRoundTripsAndRefusesDuplicatesAndOrphans(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        #expect(try await store.agencies().map(\.id.rawValue) == ["devon-csc", "devon-la", "school-a"])
        let duplicate = await #expect(throws: StoreError.self) {
            try await store.insertAgency(Agency(id: try AgencyID("school-a"), name: "Again", kind: "school", registeredAt: 2), event: Fixture.event("agency.registered"))
        }
        #expect(duplicate?.code == .alreadyExists)
        let orphan = await #expect(throws: StoreError.self) {
            try await store.insertMember(Fixture.member(try MemberID("eve@nowhere")), event: Fixture.event("member.enrolled"))
        }
        #expect(orphan?.code == .notFound)
        #expect(try await store.member(Fixture.alice) == Fixture.member(Fixture.alice))
        _ = try await store.updateMember(Fixture.alice, status: .revoked, role: .dsl, directoryEntry: [1, 2, 3], event: Fixture.event("member.revoked"))
        let revoked = try #require(try await store.member(Fixture.alice))
        #expect(revoked.status == .revoked && revoked.role == .dsl && revoked.directoryEntry == [1, 2, 3])
        _ = try await store.updateAgencyStatus(try AgencyID("school-a"), to: .suspended, event: Fixture.event("agency.suspended"))
        #expect(try await store.agency(try AgencyID("school-a"))?.status == .suspended)
        #expect(try await store.roleAddress(Fixture.duty) == [Fixture.bob, Fixture.carol])
        // A role address only holds members of its own agency, and never shadows a member id.
        await #expect(throws: StoreError.self) { try await store.setRoleAddress(Fixture.duty, members: [Fixture.alice], event: Fixture.event("role.set")) }
        await #expect(throws: StoreError.self) { try await store.setRoleAddress(Fixture.bob, members: [Fixture.carol], event: Fixture.event("role.set")) }
        // Ten successful registry operations (3 agencies, 4 members, 1 role address, 2 updates), ten leaves;
        // the four refusals left no trace.
        #expect(try await store.auditSize() == 10)
    }

    @Test(arguments: StoreKind.allCases)
    func acceptanceIsIdempotentAndConflictsLeaveNoTrace(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        let first = try await store.insertPacket(Fixture.packet(1), event: Fixture.event("packet.accepted", Fixture.alice), linked: [])
        guard case .accepted(let record) = first else { Issue.record("expected a new acceptance"); return }
        let size = try await store.auditSize()
        #expect(record.leafIndex == size - 1)
        let retry = try await store.insertPacket(Fixture.packet(1), event: Fixture.event("packet.accepted", Fixture.alice), linked: [])
        #expect(retry == .duplicate(record))
        let conflict = await #expect(throws: StoreError.self) {
            try await store.insertPacket(Fixture.packet(1, bytes: Array("other bytes".utf8)), event: Fixture.event("packet.accepted", Fixture.alice), linked: [])
        }
        #expect(conflict?.code == .packetConflict)
        #expect(try await store.auditSize() == size, "neither the retry nor the conflict wrote a leaf")
        #expect(try #require(try await store.packetView(record.id, bytes: true, history: false)).bytes == Array("packet 1".utf8))
        #expect(try await store.packet(record.id) == record)
    }

    @Test(arguments: StoreKind.allCases)
    func lifecycleIsRecordedPerRecipientWithTimesAndLinkedStepsAreAtomic(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        let share = try await store.insertPacket(Fixture.packet(1, to: [Fixture.duty], deliveries: [(Fixture.bob, Fixture.duty), (Fixture.carol, Fixture.duty)]),
                                                 event: Fixture.event("packet.accepted", Fixture.alice), linked: []).record
        #expect(try #require(try await store.packetView(share.id, bytes: false, history: false)).deliveries.map(\.member) == [Fixture.bob, Fixture.carol])
        #expect(try await store.inbox(Fixture.bob, before: nil, limit: 10).items.map(\.packet.id) == [share.id])
        #expect(try await store.inbox(Fixture.bob, before: nil, limit: 10).items.first?.via == Fixture.duty)
        #expect(try await store.inbox(Fixture.alice, before: nil, limit: 10).items.isEmpty)
        // A receipt before a fetch is refused: you read what you fetched.
        let unfetched = await #expect(throws: StoreError.self) {
            try await store.recordReceipt(share.id, member: Fixture.bob, receipt: [9, 9], event: Fixture.event("packet.read", Fixture.bob))
        }
        #expect(unfetched?.code == .invalidTransition)
        #expect(try await store.recordDelivery(share.id, member: Fixture.bob, event: Fixture.event("packet.delivered", Fixture.bob)) != nil)
        #expect(try await store.recordDelivery(share.id, member: Fixture.bob, event: Fixture.event("packet.delivered", Fixture.bob)) == nil, "second fetch records nothing")
        await #expect(throws: StoreError.self) { try await store.recordDelivery(share.id, member: Fixture.alice, event: Fixture.event("packet.delivered", Fixture.alice)) }
        _ = try await store.recordReceipt(share.id, member: Fixture.bob, receipt: [9, 9], event: Fixture.event("packet.read", Fixture.bob))
        await #expect(throws: StoreError.self) { try await store.recordReceipt(share.id, member: Fixture.bob, receipt: [9, 9], event: Fixture.event("packet.read", Fixture.bob)) }
        #expect(try await store.packetView(share.id, bytes: false, history: false)?.obligations.map(\.state) == [.read])

        // A confirm before any read-back is refused, and the confirm packet is not stored either.
        let sizeBefore = try await store.auditSize()
        let premature = await #expect(throws: StoreError.self) {
            try await store.insertPacket(Fixture.packet(2, kind: .confirm, from: Fixture.alice, to: [Fixture.bob], inReplyTo: share.id),
                                         event: Fixture.event("packet.accepted", Fixture.alice),
                                         linked: [LinkedTransition(packet: share.id, address: Fixture.duty, transition: Fixture.confirmation, expectAnsweredBy: Fixture.bob)])
        }
        #expect(premature?.code == .invalidTransition)
        #expect(try await store.auditSize() == sizeBefore)
        #expect(try await store.packet(Fixture.id(2)) == nil)

        let readback = Fixture.packet(3, kind: .readback, from: Fixture.bob, to: [Fixture.alice], inReplyTo: share.id)
        _ = try await store.insertPacket(readback, event: Fixture.event("packet.accepted", Fixture.bob),
                                         linked: [LinkedTransition(packet: share.id, address: Fixture.duty, transition: Fixture.readBack, answeredBy: Fixture.bob)])
        let acknowledged = try #require(try await store.packetView(share.id, bytes: false, history: false)).obligations
        #expect(acknowledged == [Obligation(address: Fixture.duty, state: .acknowledged, answeredBy: Fixture.bob, answer: Fixture.id(3))])
        // The role address is one obligation: carol cannot read it back again.
        let second = await #expect(throws: StoreError.self) {
            try await store.insertPacket(Fixture.packet(5, kind: .readback, from: Fixture.carol, to: [Fixture.alice], inReplyTo: share.id),
                                         event: Fixture.event("packet.accepted", Fixture.carol),
                                         linked: [LinkedTransition(packet: share.id, address: Fixture.duty, transition: Fixture.readBack, answeredBy: Fixture.carol)])
        }
        #expect(second?.message.contains("acknowledged by bob@devon-csc") == true, "\(String(describing: second))")
        // A confirmation naming the wrong reader is refused under the transaction.
        await #expect(throws: StoreError.self) {
            try await store.insertPacket(Fixture.packet(6, kind: .confirm, from: Fixture.alice, to: [Fixture.carol], inReplyTo: share.id),
                                         event: Fixture.event("packet.accepted", Fixture.alice),
                                         linked: [LinkedTransition(packet: share.id, address: Fixture.duty, transition: Fixture.confirmation, expectAnsweredBy: Fixture.carol)])
        }
        _ = try await store.insertPacket(Fixture.packet(4, kind: .confirm, from: Fixture.alice, to: [Fixture.bob], inReplyTo: share.id),
                                         event: Fixture.event("packet.accepted", Fixture.alice),
                                         linked: [LinkedTransition(packet: share.id, address: Fixture.duty, transition: Fixture.confirmation, expectAnsweredBy: Fixture.bob)])
        let history = try #require(try await store.packetView(share.id, bytes: false, history: true)).history
        #expect(history.map(\.event) == [.accepted, .delivered, .read, .acknowledged, .confirmed])
        #expect(history.map(\.actor) == ["alice@school-a", "bob@devon-csc", "bob@devon-csc", "bob@devon-csc", "alice@school-a"])
        #expect(history.map(\.leafIndex) == history.map(\.leafIndex).sorted())
        #expect(try await store.sent(by: Fixture.alice, before: nil, limit: 10).items.map(\.id).contains(share.id))
    }

    /// Read-backs and confirmations sent together: a role address's one obligation is read back once, whoever of its
    /// members races for it, and a confirmation needs the read-back before it. PostgreSQL's writer checks each step
    /// ahead on the server: the check must see the steps its group took before it.
    @Test(arguments: StoreKind.allCases)
    func readBacksSentTogetherAnswerEachObligationOnce(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        let shares = 1...12
        for n in shares {
            let share = Fixture.packet(n, to: [Fixture.duty], deliveries: [(Fixture.bob, Fixture.duty), (Fixture.carol, Fixture.duty)])
            _ = try await store.insertPacket(share, event: Fixture.event("packet.accepted", Fixture.alice, packet: share.record.id), linked: [])
            for member in [Fixture.bob, Fixture.carol] {
                _ = try await store.recordDelivery(Fixture.id(n), member: member, event: Fixture.event("packet.delivered", member, packet: Fixture.id(n)))
            }
        }
        let before = try await store.auditSize()
        // Bob and carol each read back every share at once; for the even ones, alice's confirmation of bob's read-back
        // follows his right behind (it gets through only after his, in the same group or a later one).
        enum Step: Hashable { case readBack(Int, MemberID), confirm(Int) }
        func send(_ step: Step) async -> Bool {
            let (packet, link): (NewPacket, LinkedTransition) = switch step {
            case .readBack(let n, let member):
                (Fixture.packet(100 + 2 * n + (member == Fixture.bob ? 0 : 1), kind: .readback, from: member, to: [Fixture.alice], inReplyTo: Fixture.id(n)),
                 LinkedTransition(packet: Fixture.id(n), address: Fixture.duty, transition: Fixture.readBack, answeredBy: member))
            case .confirm(let n):
                (Fixture.packet(200 + n, kind: .confirm, from: Fixture.alice, to: [Fixture.bob], inReplyTo: Fixture.id(n)),
                 LinkedTransition(packet: Fixture.id(n), address: Fixture.duty, transition: Fixture.confirmation, expectAnsweredBy: Fixture.bob))
            }
            do {
                _ = try await store.insertPacket(packet, event: Fixture.event("packet.accepted", packet.record.sender, packet: packet.record.id), linked: [link])
                return true
            } catch let error as StoreError {
                #expect(error.code == .invalidTransition, "\(step): \(error)")
                return false
            } catch {
                Issue.record("\(step): \(error)")
                return false
            }
        }
        let steps = shares.flatMap { n in [Step.readBack(n, Fixture.bob), .readBack(n, Fixture.carol)] + (n % 2 == 0 ? [.confirm(n)] : []) }
        let through = await withTaskGroup(of: (Step, Bool).self) { group in
            for step in steps { group.addTask { (step, await send(step)) } }
            return await group.reduce(into: [Step: Bool]()) { $0[$1.0] = $1.1 }
        }
        var stored = 0
        for n in shares {
            let obligation = try #require(try await store.packetView(Fixture.id(n), bytes: false, history: false)?.obligations.first)
            let readers = [Fixture.bob, Fixture.carol].filter { through[.readBack(n, $0)] == true }
            #expect(readers.count == 1, "share \(n) was read back once: \(readers)")
            #expect(obligation.answeredBy == readers.first, "share \(n)'s obligation names who read it back")
            let confirmed = through[.confirm(n)] == true
            #expect(!confirmed || readers == [Fixture.bob], "share \(n) was confirmed only after bob's read-back")
            #expect(obligation.state == (confirmed ? .confirmed : .acknowledged), "share \(n)")
            stored += readers.count + (confirmed ? 1 : 0)
        }
        #expect(try await store.auditSize() == before + UInt64(stored), "a leaf for every step that got through, none for the others")
        #expect(try await (store as? any SQLRelayStore)?.verifyAuditLog().size == before + UInt64(stored))
        try await store.close()
    }

    /// Fetches and receipts sent twice at once: each is recorded once (the second fetch records nothing, the second
    /// receipt is refused), and a member without a stanza gets not-found. PostgreSQL's writer checks the stanza ahead on
    /// the server: the check must see the steps its group took before it.
    @Test(arguments: StoreKind.allCases)
    func fetchesAndReceiptsSentTwiceAtOnceAreRecordedOnce(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        let shares = 1...10
        for n in shares {
            _ = try await store.insertPacket(Fixture.packet(n), event: Fixture.event("packet.accepted", Fixture.alice, packet: Fixture.id(n)), linked: [])
        }
        let before = try await store.auditSize()
        let fetched = try await withThrowingTaskGroup(of: UInt64?.self) { group in
            for n in shares.flatMap({ [$0, $0] }) {
                group.addTask { try await store.recordDelivery(Fixture.id(n), member: Fixture.bob, event: Fixture.event("packet.delivered", Fixture.bob, packet: Fixture.id(n))) }
            }
            return try await group.reduce(into: [UInt64?]()) { $0.append($1) }
        }
        #expect(fetched.compactMap { $0 }.count == shares.count, "one fetch of each recorded, the other records nothing: \(fetched)")
        let receipts = await withTaskGroup(of: StoreErrorCode?.self) { group in
            for (n, member) in shares.flatMap({ [($0, Fixture.bob), ($0, Fixture.bob), ($0, Fixture.carol)] }) {
                group.addTask {
                    do {
                        _ = try await store.recordReceipt(Fixture.id(n), member: member, receipt: [1, 2], event: Fixture.event("packet.read", member, packet: Fixture.id(n)))
                        return nil
                    } catch let error as StoreError {
                        return error.code
                    } catch {
                        return .corrupt
                    }
                }
            }
            return await group.reduce(into: [StoreErrorCode?]()) { $0.append($1) }
        }
        #expect(receipts.filter { $0 == nil }.count == shares.count, "one receipt of each recorded: \(receipts)")
        #expect(receipts.filter { $0 == .alreadyExists }.count == shares.count, "the other refused as a repeat")
        #expect(receipts.filter { $0 == .notFound }.count == shares.count, "carol holds no stanza")
        for n in shares {
            let view = try #require(try await store.packetView(Fixture.id(n), bytes: false, history: true))
            #expect(view.obligations.map(\.state) == [.read])
            #expect(view.history.map(\.event) == [.accepted, .delivered, .read])
        }
        #expect(try await store.auditSize() == before + UInt64(2 * shares.count))
        #expect(try await (store as? any SQLRelayStore)?.verifyAuditLog().size == before + UInt64(2 * shares.count))
        try await store.close()
    }

    @Test(arguments: StoreKind.allCases)
    func twoRecipientsEachHaveTheirOwnStateAndDeadline(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        let share = try await store.insertPacket(Fixture.packet(1, to: [Fixture.bob, Fixture.carol], deadline: 5_000),
                                                 event: Fixture.event("packet.accepted", Fixture.alice), linked: []).record
        for member in [Fixture.bob, Fixture.carol] {
            _ = try await store.recordDelivery(share.id, member: member, event: Fixture.event("packet.delivered", member))
        }
        _ = try await store.insertPacket(Fixture.packet(2, kind: .readback, from: Fixture.bob, to: [Fixture.alice], inReplyTo: share.id),
                                         event: Fixture.event("packet.readback", Fixture.bob),
                                         linked: [LinkedTransition(packet: share.id, address: Fixture.bob, transition: Fixture.readBack, answeredBy: Fixture.bob)])
        let view = try #require(try await store.packetView(share.id, bytes: false, history: false))
        #expect(view.obligations.map(\.state) == [.acknowledged, .delivered], "bob read back; carol has not yet")
        // Only carol is overdue after the deadline; escalating her leaves bob alone.
        let overdue = try await store.overdue(now: 6_000, limit: 10)
        #expect(overdue.map(\.address) == [Fixture.carol])
        _ = try await store.markOverdue(share.id, address: Fixture.carol, notices: [(Fixture.alice, [7])], event: Fixture.event("packet.overdue"))
        #expect(try await store.overdue(now: 6_000, limit: 10).isEmpty)
        _ = try await store.insertPacket(Fixture.packet(3, kind: .readback, from: Fixture.carol, to: [Fixture.alice], inReplyTo: share.id),
                                         event: Fixture.event("packet.readback", Fixture.carol),
                                         linked: [LinkedTransition(packet: share.id, address: Fixture.carol, transition: Fixture.readBack, answeredBy: Fixture.carol)])
        #expect(try await store.packetView(share.id, bytes: false, history: false)?.obligations.map(\.state) == [.acknowledged, .acknowledged])
    }

    @Test(arguments: StoreKind.allCases)
    func aHeldPacketIsForItsCountersignerUntilReleasedAndItsDeadlineStartsThen(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        let dsl = try MemberID("dina@school-a")
        _ = try await store.insertMember(Fixture.member(dsl, role: .dsl), event: Fixture.event("member.enrolled"))
        let held = try await store.insertPacket(Fixture.packet(1, countersigners: [dsl], phase: .held, countersignDue: 3_000),
                                                event: Fixture.event("packet.accepted", Fixture.alice), linked: []).record
        #expect(try await store.inbox(Fixture.bob, before: nil, limit: 10).items.isEmpty, "recipients do not see a held packet")
        await #expect(throws: StoreError.self) { try await store.recordDelivery(held.id, member: Fixture.bob, event: Fixture.event("packet.delivered", Fixture.bob)) }
        let countersignerInbox = try await store.inbox(dsl, before: nil, limit: 10).items
        #expect(countersignerInbox.map(\.packet.id) == [held.id] && countersignerInbox.first?.countersigner == true)
        #expect(try await store.recordDelivery(held.id, member: dsl, event: Fixture.event("packet.delivered", dsl)) != nil, "the countersigner can fetch it")
        // Nobody countersigned in time: escalated once, to the sender's side.
        #expect(try await store.overdue(now: 4_000, limit: 10).map(\.address) == [nil])
        _ = try await store.markOverdue(held.id, address: nil, notices: [(dsl, [1])], event: Fixture.event("packet.countersign-overdue"))
        #expect(try await store.overdue(now: 4_000, limit: 10).isEmpty)
        // A withdrawal is refused once a recipient fetched it; a countersigner's fetch does not count.
        let release = PhaseChange(rule: Lifecycle.phaseRule(.countersign), countersignature: true, releaseDeadline: 9_000)
        _ = try await store.changePhase(held.id, release, event: Fixture.event("packet.countersigned", dsl))
        let released = try #require(try await store.packetView(held.id, bytes: false, history: true))
        #expect(released.record.phase == .accepted && released.record.deadline == 9_000 && released.obligations.map(\.deadline) == [9_000])
        #expect(released.history.map(\.event) == [.held, .delivered, .countersignOverdue, .countersigned])
        #expect(try await store.inbox(dsl, before: nil, limit: 10).items.isEmpty, "once countersigned it leaves the countersigner's inbox")
        let again = await #expect(throws: StoreError.self) { try await store.changePhase(held.id, release, event: Fixture.event("packet.countersigned", dsl)) }
        #expect(again?.code == .invalidTransition)
        _ = try await store.recordDelivery(held.id, member: Fixture.bob, event: Fixture.event("packet.delivered", Fixture.bob))
        let withdraw = await #expect(throws: StoreError.self) {
            try await store.changePhase(held.id, PhaseChange(rule: Lifecycle.phaseRule(.withdraw), onlyIfUnfetched: true), event: Fixture.event("packet.withdrawn", Fixture.alice))
        }
        #expect(withdraw?.message.contains("already been fetched") == true)
    }

    @Test(arguments: StoreKind.allCases)
    func listingsPageWithACursorAndNothingFallsOff(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        for n in 1...25 { _ = try await store.insertPacket(Fixture.packet(n), event: Fixture.event("packet.accepted", Fixture.alice), linked: []) }
        var seen: [PacketID] = []
        var cursor: Int64?
        for _ in 0..<10 {
            let page = try await store.inbox(Fixture.bob, before: cursor, limit: 10)
            seen += page.items.map(\.packet.id)
            guard let next = page.next else { break }
            cursor = next
        }
        #expect(seen == (1...25).reversed().map(Fixture.id), "every packet once, newest first")
        let sent = try await store.sent(by: Fixture.alice, before: nil, limit: 25)
        #expect(sent.items.count == 25 && sent.next == nil)
        for n in 1...12 { _ = try await store.markOverdue(Fixture.id(n), address: Fixture.bob, notices: [(Fixture.alice, [UInt8(n)])], event: Fixture.event("packet.overdue")) }
        let first = try await store.notices(for: Fixture.alice, before: nil, limit: 5)
        let rest = try await store.notices(for: Fixture.alice, before: first.next, limit: 50)
        #expect((first.items + rest.items).map(\.body) == (1...12).reversed().map { [UInt8($0)] } && rest.next == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func overdueIsEscalatedOnceAndEveryKindIsPurgedAfterRetentionFromItsLastEvent(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        let late = try await store.insertPacket(Fixture.packet(1, deadline: 1_000), event: Fixture.event("packet.accepted", Fixture.alice, at: 500), linked: []).record
        _ = try await store.insertPacket(Fixture.packet(2, deadline: 5_000), event: Fixture.event("packet.accepted", Fixture.alice, at: 500), linked: [])
        #expect(try await store.overdue(now: 2_000, limit: 10).map(\.packet.id) == [late.id])
        _ = try await store.markOverdue(late.id, address: Fixture.bob, notices: [(Fixture.alice, [1]), (Fixture.duty, [2])], event: Fixture.event("packet.overdue", at: 2_000))
        #expect(try await store.overdue(now: 2_000, limit: 10).isEmpty)
        await #expect(throws: StoreError.self) { try await store.markOverdue(late.id, address: Fixture.bob, notices: [(Fixture.alice, [3])], event: Fixture.event("packet.overdue")) }
        #expect(try await store.notices(for: Fixture.alice, before: nil, limit: 10).items.map(\.body) == [[1]], "the refused second escalation stored no notice")
        #expect(try await store.notices(for: Fixture.carol, before: nil, limit: 10).items.map(\.body) == [[2]], "a role member sees the role's notices")
        #expect(try await store.notices(for: Fixture.admin, before: nil, limit: 10).items.isEmpty)
        #expect(try await store.packetView(late.id, bytes: false, history: false)?.obligations.first?.overdueAt != nil)

        // Never read back, never confirmed: retention still ends, counted from the last event (the escalation at 2 000).
        #expect(try await store.purgeable(now: 2_000 + 90 * 86_400_000, limit: 10).map(\.id).contains(late.id) == false)
        #expect(try await store.purgeable(now: 2_001 + 90 * 86_400_000, limit: 10).map(\.id).contains(late.id))
        _ = try await store.purge(late.id, event: Fixture.event("packet.purged"))
        let purged = try #require(try await store.packetView(late.id, bytes: true, history: true))
        #expect(purged.bytes == nil)
        #expect(try await store.packet(late.id)?.hasCiphertext == false)
        #expect(purged.history.map(\.event).last == .purged)
        await #expect(throws: StoreError.self) { try await store.purge(late.id, event: Fixture.event("packet.purged")) }
        let wrong = await #expect(throws: StoreError.self) {
            try await store.changePhase(late.id, PhaseChange(rule: Lifecycle.phaseRule(.countersign), countersignature: true), event: Fixture.event("packet.countersigned"))
        }
        #expect(wrong?.message.contains("not waiting for a countersignature") == true)
    }

    @Test(arguments: StoreKind.allCases)
    func theAuditLogProvesEveryLeafAndStaysConsistentUnderConcurrentWriters(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        let start = try await store.auditSize()
        let startRoot = try await store.rootHash(size: start)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for n in 0..<25 {
                        _ = try await store.insertPacket(Fixture.packet(1000 + writer * 100 + n), event: Fixture.event("packet.accepted", Fixture.alice), linked: [])
                    }
                }
            }
            try await group.waitForAll()
        }
        let size = try await store.auditSize()
        #expect(size == start + 200)
        let leaves = try await store.auditLeaves(start: 0, end: size)
        #expect(leaves.count == Int(size))
        for leaf in leaves { _ = try AuditEvent(derEncoded: leaf) }
        let root = try await store.rootHash(size: size)
        // The stored nodes agree with a tree rebuilt from the leaves alone.
        let rebuilt = InMemoryMerkleNodes()
        let log = MerkleLog(store: rebuilt)
        for (i, leaf) in leaves.enumerated() { rebuilt.insert(try log.nodesForAppend(leafHash: MerkleHash.leaf(leaf), at: UInt64(i))) }
        #expect(try log.rootHash(size: size) == root)
        for index in stride(from: UInt64(0), to: size, by: 7) {
            let proof = try await store.inclusionProof(index: index, size: size)
            try MerkleVerifier.verifyInclusion(leafHash: MerkleHash.leaf(leaves[Int(index)]), index: index, size: size, proof: proof, root: root)
        }
        let consistency = try await store.consistencyProof(oldSize: start, newSize: size)
        try MerkleVerifier.verifyConsistency(oldSize: start, newSize: size, oldRoot: startRoot, newRoot: root, proof: consistency)
        await #expect(throws: (any Error).self) { try await store.rootHash(size: size + 1) }
        await #expect(throws: StoreError.self) { try await store.auditLeaves(start: 0, end: 5000) }
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentWritesAreEachAnsweredAndARefusedOneLeavesTheOthersIntact(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        _ = try await store.insertPacket(Fixture.packet(1), event: Fixture.event("packet.accepted", Fixture.alice), linked: [])
        let start = try await store.auditSize()
        // 64 writers at once; every eighth resends packet 1 with other bytes and must be refused on its own.
        let results = await withTaskGroup(of: (Int, Result<AcceptOutcome, StoreError>).self) { group in
            for n in 0..<64 {
                group.addTask {
                    let packet = n % 8 == 0 ? Fixture.packet(1, bytes: Array("conflict \(n)".utf8)) : Fixture.packet(2000 + n)
                    do {
                        return (n, .success(try await store.insertPacket(packet, event: Fixture.event("packet.accepted", Fixture.alice), linked: [])))
                    } catch let error as StoreError {
                        return (n, .failure(error))
                    } catch {
                        return (n, .failure(StoreError(.unavailable, "\(error)")))
                    }
                }
            }
            var all: [(Int, Result<AcceptOutcome, StoreError>)] = []
            for await result in group { all.append(result) }
            return all
        }
        var leaves: Set<UInt64> = []
        for (n, result) in results {
            switch result {
            case .success(let outcome):
                #expect(n % 8 != 0, "writer \(n) should have been refused")
                guard case .accepted(let record) = outcome else { Issue.record("writer \(n): \(outcome)"); continue }
                leaves.insert(record.leafIndex)
                #expect(try await store.packet(record.id) == record)
            case .failure(let error):
                #expect(n % 8 == 0 && error.code == .packetConflict, "writer \(n): \(error)")
            }
        }
        #expect(leaves == Set(start..<(start + 56)), "each acknowledged write has its own leaf, with no gaps")
        #expect(try await store.auditSize() == start + 56)
        let head = try await store.treeHead()
        #expect(head == TreeHead(size: start + 56, root: try await store.rootHash(size: start + 56)), "the published tree head is the committed log")
    }

    @Test(arguments: StoreKind.allCases)
    func aPacketViewReadsTheRecordDeliveriesBytesAndHistoryTogether(kind: StoreKind) async throws {
        let store = try await Fixture.populated(kind)
        let share = try await store.insertPacket(Fixture.packet(1, to: [Fixture.duty], deliveries: [(Fixture.bob, Fixture.duty), (Fixture.carol, Fixture.duty)]),
                                                 event: Fixture.event("packet.accepted", Fixture.alice), linked: []).record
        _ = try await store.recordDelivery(share.id, member: Fixture.bob, event: Fixture.event("packet.delivered", Fixture.bob))
        let bare = try #require(try await store.packetView(share.id, bytes: false, history: false))
        #expect(bare.obligations.map(\.state) == [.delivered] && bare.bytes == nil && bare.history.isEmpty)
        #expect(bare.deliveries.map(\.member) == [Fixture.bob, Fixture.carol] && bare.deliveries.map(\.via) == [Fixture.duty, Fixture.duty])
        #expect(bare.deliveries[0].deliveredAt != nil && bare.deliveries[1].deliveredAt == nil, "bob fetched it, carol has not")
        let full = try #require(try await store.packetView(share.id, bytes: true, history: true))
        #expect(full.bytes == Array("packet 1".utf8))
        #expect(full.history.map(\.event) == [.accepted, .delivered] && full.history.map(\.actor) == ["alice@school-a", "bob@devon-csc"])
        #expect(full.deliveries == bare.deliveries)
        #expect(full.record == (try await store.packet(share.id)))
        #expect(try await store.packetView(Fixture.id(99), bytes: true, history: true) == nil)
    }
}

@Suite struct SQLiteDurabilityTests {
    @Test func commitsAreFullySynchronousInWALModeAndSurviveReopening() async throws {
        let dir = NSTemporaryDirectory() + "isr-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/relay.sqlite"
        let store = try SQLiteRelayStore(path: path)
        #expect(try await store.synchronousMode() == 2, "PRAGMA synchronous = FULL")
        #expect(try await store.journalMode() == "wal")
        _ = try await store.insertAgency(Agency(id: try AgencyID("school-a"), name: "School A", kind: "school", registeredAt: 1), event: Fixture.event("agency.registered"))
        let root = try await store.rootHash(size: 1)
        try store.close()
        let reopened = try SQLiteRelayStore(path: path)
        #expect(try await reopened.agency(try AgencyID("school-a"))?.name == "School A")
        #expect(try await reopened.rootHash(size: 1) == root)
        #expect(try await reopened.synchronousMode() == 2)
    }

    @Test func concurrentWritersShareCommits() async throws {
        let dir = NSTemporaryDirectory() + "isr-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try SQLiteRelayStore(path: dir + "/relay.sqlite")
        let before = store.groupCommit.groupsCommitted
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<64 {
                group.addTask {
                    _ = try await store.insertAgency(Agency(id: try AgencyID("agency-\(n)"), name: "Agency \(n)", kind: "school", registeredAt: 1),
                                                     event: Fixture.event("agency.registered"))
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.agencies().count == 64)
        let groups = store.groupCommit.groupsCommitted - before
        #expect(groups >= 1 && groups < 64, "64 concurrent writes took \(groups) commits")
    }

    @Test func aFileThatIsNotADatabaseIsAClearError() throws {
        let path = NSTemporaryDirectory() + "isr-notdb-\(UUID().uuidString)"
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) { try SQLiteRelayStore(path: path) }
        #expect(error?.message.contains("cannot open the relay database") == true)
    }
}
