import Foundation
import ISRAudit
import ISRCrypto
import ISRPacket
import ISRRelayAPI
import ISRRelay
import Testing

@Suite(.serialized) struct RelayEscalationTests {
    @Test func anUnacknowledgedShareIsEscalatedOnceWithSignedNoticesToSenderDSLAndDutyRole() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, dsl, bob, carol) = try await relay.standardCast()
        let late = try await relay.build(.share, from: alice, to: [bob.id])
        let lateID = try PacketHeader(derEncoded: late.headerBytes).id
        _ = try await relay.send(late, as: alice)
        let answeredID = try await relay.acknowledgedShare(from: alice, to: bob).id

        #expect(try await relay.service.escalateOverdue() == 0, "nothing is due yet")
        relay.advance(byHours: 24 * 7) // child-in-need: 3 working days
        #expect(try await relay.service.escalateOverdue() == 1, "only the share without a read-back")
        #expect(try await relay.service.escalateOverdue() == 0, "escalated once per deadline")

        let status = try await relay.status(lateID, as: alice)
        #expect(status.overdue && status.recipients.first?.overdueAt != nil)
        #expect(status.history.last?.state == "overdue" && status.history.last?.actor == "relay")
        #expect(try await relay.status(answeredID, as: alice).overdue == false)

        let relayKey = try SigningPublicKey(bytes: relay.service.relayKey.publicKey.bytes)
        for person in [alice, dsl, bob, carol] {
            let notices = try await relay.request(person, .get, "/v1/notices").json(ListBody<NoticeBody>.self).items
            #expect(notices.map(\.packet) == [lateID.hex], "\(person.id) is told")
            let notice = try EscalationNotice.verified(Array(try #require(Data(base64Encoded: notices[0].signed))), relayKey: relayKey)
            #expect(notice.notified == ["alice@school-a", "dina@school-a", "duty@devon-csc"])
            #expect(notice.late == "bob@devon-csc" && notices[0].late == "bob@devon-csc", "the notice says whose read-back is late")
            #expect(notice.packetID == lateID.bytes)
        }
        #expect(try await relay.request(relay.admin, .get, "/v1/notices").json(ListBody<NoticeBody>.self).items.isEmpty)

        // A late read-back, then a clarification: a new read-back is due, and missing it escalates again.
        _ = try await relay.fetchAndOpen(lateID, as: bob, from: alice.id)
        _ = try await relay.send(try await relay.build(.readback, from: bob, to: [alice.id], inReplyTo: lateID), as: bob)
        _ = try await relay.send(try await relay.build(.clarify, from: alice, to: [bob.id], inReplyTo: lateID), as: alice)
        let clarified = try await relay.status(lateID, as: alice)
        #expect(clarified.state == "clarification-requested" && !clarified.overdue && (clarified.recipients.first?.deadline ?? 0) > relay.clock.now)
        relay.advance(byHours: 24 * 7)
        #expect(try await relay.service.escalateOverdue() == 1)
        #expect(try await relay.request(alice, .get, "/v1/notices").json(ListBody<NoticeBody>.self).items.count == 2)
    }

    @Test func ciphertextIsPurgedWhenRetentionEndsAfterConfirmationButTheRecordStays() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, _) = try await relay.standardCast()
        let id = try await relay.acknowledgedShare(from: alice, to: bob).id
        _ = try await relay.send(try await relay.build(.confirm, from: alice, to: [bob.id], inReplyTo: id), as: alice)
        relay.advance(byHours: 24 * 89)
        #expect(try await relay.service.purgeExpired() == 0)
        relay.advance(byHours: 24 * 2)
        #expect(try await relay.service.purgeExpired() == 3, "the share, its read-back and the confirmation: every kind is purged")
        let gone = try await relay.request(bob, .get, "/v1/packets/\(id.hex)")
        #expect(gone.status == .gone && gone.problemCode == "packet.purged")
        let status = try await relay.status(id, as: alice)
        #expect(!status.ciphertextHeld && status.history.last?.state == "purged")
        let leaves = try await relay.request(alice, .get, "/v1/audit/checkpoint").json(CheckpointBody.self)
        #expect(leaves.size > 0)
    }

    @Test func correctionsOutcomesAndDecisionsFollowTheirRules() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, carol) = try await relay.standardCast()
        let share = try await relay.build(.share, from: alice, to: [bob.id, carol.id])
        let id = try PacketHeader(derEncoded: share.headerBytes).id
        _ = try await relay.send(share, as: alice)
        let partial = try await relay.send(try await relay.build(.correction, from: alice, to: [bob.id], relatesTo: id), as: alice)
        #expect(partial.status == .unprocessableContent && partial.text.contains("carol@devon-csc"), "\(partial.text)")
        #expect(try await relay.send(try await relay.build(.correction, from: alice, to: [bob.id, carol.id], relatesTo: id), as: alice).status == .created)
        let notMine = try await relay.send(try await relay.build(.correction, from: bob, to: [alice.id], relatesTo: id), as: bob)
        #expect(notMine.status == .unprocessableContent, "only the sender corrects")
        let outcome = try await relay.build(.outcome, from: bob, to: [alice.id], relatesTo: id)
        #expect(try await relay.send(outcome, as: bob).status == .created)
        let reasons = PacketBody(statement: "Decided not to share: the concern is already known to the allocated social worker.")
        let decision = try await relay.build(.decision, from: alice, to: [alice.id], body: reasons)
        #expect(try await relay.send(decision, as: alice).status == .created)
        let recorded = try await relay.fetchAndOpen(try PacketHeader(derEncoded: decision.headerBytes).id, as: alice, from: alice.id)
        #expect(recorded.body.statement == reasons.statement && recorded.header.kind == .decision)
    }
}
