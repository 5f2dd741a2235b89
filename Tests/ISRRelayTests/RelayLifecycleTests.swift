import Foundation
import ISRAudit
import ISRStore
import ISRCrypto
import ISRPacket
import ISRRelayAPI
import ISRRelay
import Testing

@Suite(.serialized) struct RelayLifecycleTests {
    @Test func shareReadAcknowledgeConfirmOverMutualTLS() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, _) = try await relay.standardCast()

        let share = try await relay.build(.share, from: alice, to: [bob.id])
        let sent = try await relay.send(share, as: alice)
        #expect(sent.status == .created, "\(sent.text)")
        let receipt = try sent.json(AcceptReceipt.self)
        #expect(receipt.state == "accepted" && receipt.deadline != nil && !receipt.duplicate)
        // The signed checkpoint verifies with the relay's published key and includes the acceptance leaf.
        let key = try await relay.request(alice, .get, "/v1/audit/key").json(RelayKeyBody.self)
        let relayKey = try SigningPublicKey(bytes: try #require(Data(base64Encoded: key.signingKey)))
        let checkpoint = try SignedCheckpoint(encoded: Array(try #require(Data(base64Encoded: receipt.checkpoint)))).verified(with: relayKey)
        #expect(checkpoint.size > receipt.leafIndex)

        let inbox = try await relay.request(bob, .get, "/v1/inbox").json(ListBody<InboxItem>.self).items
        #expect(inbox.map(\.id) == [try PacketHeader(derEncoded: share.headerBytes).id.hex])
        let opened = try await relay.fetchAndOpen(try PacketHeader(derEncoded: share.headerBytes).id, as: bob, from: alice.id)
        #expect(opened.body.items.map(\.tag) == [.fact, .opinion])
        #expect(try await relay.postReceipt(opened.header.id, bytes: share.bytes, as: bob).status == .ok)

        let readback = try await relay.build(.readback, from: bob, to: [alice.id], inReplyTo: opened.header.id)
        #expect(try await relay.send(readback, as: bob).status == .created)
        let understood = try await relay.fetchAndOpen(try PacketHeader(derEncoded: readback.headerBytes).id, as: alice, from: bob.id)
        #expect(understood.body.concern == .medium)
        let confirm = try await relay.build(.confirm, from: alice, to: [bob.id], inReplyTo: opened.header.id)
        #expect(try await relay.send(confirm, as: alice).status == .created)

        let status = try await relay.status(opened.header.id, as: alice)
        #expect(status.state == "confirmed")
        #expect(status.history.map(\.state) == ["accepted", "delivered", "read", "acknowledged", "confirmed"])
        #expect(status.history.map(\.actor) == ["alice@school-a", "bob@devon-csc", "bob@devon-csc", "bob@devon-csc", "alice@school-a"])
        #expect(status.deliveries.first?.readAt != nil)
    }

    @Test func clarificationAsksForASecondReadBack() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, _) = try await relay.standardCast()
        let id = try await relay.acknowledgedShare(from: alice, to: bob).id
        let clarify = try await relay.send(try await relay.build(.clarify, from: alice, to: [bob.id], inReplyTo: id), as: alice)
        #expect(clarify.status == .created, "\(clarify.text)")
        #expect(try await relay.status(id, as: bob).state == "clarification-requested")
        // Confirming now is refused: the second read-back has not come.
        let early = try await relay.send(try await relay.build(.confirm, from: alice, to: [bob.id], inReplyTo: id), as: alice)
        #expect(early.status == .unprocessableContent && early.problemCode == "lifecycle.wrong-recipients", "\(early.text)")
        _ = try await relay.send(try await relay.build(.readback, from: bob, to: [alice.id], inReplyTo: id), as: bob)
        #expect(try await relay.send(try await relay.build(.confirm, from: alice, to: [bob.id], inReplyTo: id), as: alice).status == .created)
        #expect(try await relay.status(id, as: alice).history.map(\.state) == ["accepted", "delivered", "acknowledged", "clarification-requested", "acknowledged", "confirmed"])
        // Each step is its own audit event, naming the packet it changed.
        let size = try await relay.service.store.auditSize()
        let events = try await relay.service.store.auditLeaves(start: 0, end: size).map { try AuditEvent(derEncoded: $0) }
        let steps = events.filter { $0.attributes.contains { $0.key == "target" && $0.value == id.hex } }.map(\.kind)
        #expect(steps == ["packet.readback", "packet.clarified", "packet.readback", "packet.confirmed"])
    }

    @Test func aDeclinedRequestReachesTheRequesterWithReasons() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, _) = try await relay.standardCast()
        let request = try await relay.build(.request, from: bob, to: [alice.id])
        let requestID = try PacketHeader(derEncoded: request.headerBytes).id
        #expect(try await relay.send(request, as: bob).status == .created)
        _ = try await relay.fetchAndOpen(requestID, as: alice, from: bob.id)
        let reasons = PacketBody(statement: "Not shared: the school holds no attendance concerns beyond what the family already told you.")
        let decline = try await relay.build(.decline, from: alice, to: [bob.id], body: reasons, inReplyTo: requestID)
        #expect(try await relay.send(decline, as: alice).status == .created)
        #expect(try await relay.status(requestID, as: bob).state == "declined")
        let inbox = try await relay.request(bob, .get, "/v1/inbox").json(ListBody<InboxItem>.self).items
        let item = try #require(inbox.first { $0.kind == "decline" })
        #expect(item.inReplyTo == requestID.hex)
        let opened = try await relay.fetchAndOpen(try PacketID(hex: item.id), as: bob, from: alice.id)
        #expect(opened.body.statement == reasons.statement)
    }

    @Test func aRoleAddressReachesEveryMemberAndOneAcknowledges() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, carol) = try await relay.standardCast()
        let duty = try MemberID("duty@devon-csc")
        let share = try await relay.build(.share, from: alice, to: [duty])
        let id = try PacketHeader(derEncoded: share.headerBytes).id
        #expect(try await relay.send(share, as: alice).status == .created)
        for person in [bob, carol] {
            let inbox = try await relay.request(person, .get, "/v1/inbox").json(ListBody<InboxItem>.self).items
            #expect(inbox.first?.via == "duty@devon-csc")
            _ = try await relay.fetchAndOpen(id, as: person, from: alice.id)
        }
        _ = try await relay.send(try await relay.build(.readback, from: carol, to: [alice.id], inReplyTo: id), as: carol)
        let status = try await relay.status(id, as: alice)
        #expect(status.state == "acknowledged")
        #expect(status.history.last?.actor == "carol@devon-csc", "the record names who acknowledged")
        #expect(Set(status.deliveries.map(\.member)) == ["bob@devon-csc", "carol@devon-csc"])
    }

    @Test func resendingIsIdempotentAndReusedIdsConflict() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, _) = try await relay.standardCast()
        let id = PacketID.random()
        let share = try await relay.build(.share, from: alice, to: [bob.id], id: id)
        let first = try await relay.send(share, as: alice)
        let again = try await relay.send(share, as: alice)
        #expect(first.status == .created && again.status == .ok)
        let (firstReceipt, againReceipt) = (try first.json(AcceptReceipt.self), try again.json(AcceptReceipt.self))
        #expect(againReceipt.duplicate && againReceipt.leafIndex == firstReceipt.leafIndex)
        let other = try await relay.build(.share, from: alice, to: [bob.id], id: id)
        let conflict = try await relay.send(other, as: alice)
        #expect(conflict.status == .conflict && conflict.problemCode == "store.packet-conflict", "\(conflict.text)")
    }

    @Test func aSenderCanWithdrawWhatNobodyFetched() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, _) = try await relay.standardCast()
        let share = try await relay.build(.share, from: alice, to: [bob.id])
        let id = try PacketHeader(derEncoded: share.headerBytes).id
        _ = try await relay.send(share, as: alice)
        #expect(try await relay.request(bob, .post, "/v1/packets/\(id.hex)/withdraw").status == .notFound, "only the sender withdraws")
        #expect(try await relay.request(alice, .post, "/v1/packets/\(id.hex)/withdraw").status == .ok)
        #expect(try await relay.request(bob, .get, "/v1/packets/\(id.hex)").status == .notFound)
        #expect(try await relay.request(bob, .get, "/v1/inbox").json(ListBody<InboxItem>.self).items.isEmpty)
        let fetched = try await relay.build(.share, from: alice, to: [bob.id])
        let fetchedID = try PacketHeader(derEncoded: fetched.headerBytes).id
        _ = try await relay.send(fetched, as: alice)
        _ = try await relay.fetchAndOpen(fetchedID, as: bob, from: alice.id)
        #expect(try await relay.request(alice, .post, "/v1/packets/\(fetchedID.hex)/withdraw").status == .conflict, "too late once delivered")
    }
}
