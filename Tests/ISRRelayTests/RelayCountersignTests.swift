import Foundation
import HTTPTypes
import ISRCrypto
import ISRPacket
import ISRRelayAPI
import ISRRelay
import Testing

/// A purpose that needs a second person: the sender's dsl/manager reads the held packet, then releases or returns it;
/// the read-back deadline starts at release; an emergency release goes at once and the countersignature follows.
@Suite(.serialized) struct RelayCountersignTests {
    func enquiry(_ relay: RelayHarness, from alice: Person, to bob: Person, emergency: String? = nil) async throws -> (PacketID, SealedPacket, Reply) {
        let share = try await relay.build(.share, from: alice, to: [bob.id], purpose: "child-protection-enquiry", basis: "statutory-duty")
        var headers = HTTPFields()
        if let emergency, let name = HTTPField.Name("ISR-Emergency-Release") {
            headers[name] = emergency.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
        }
        let reply = try await relay.request(alice, .post, "/v1/packets", body: share.bytes, contentType: "application/octet-stream", headers: headers)
        return (try PacketHeader(derEncoded: share.headerBytes).id, share, reply)
    }

    func countersign(_ relay: RelayHarness, _ id: PacketID, _ share: SealedPacket, as person: Person) async throws -> Reply {
        let signature = Countersignature.sign(packet: share.bytes, id: id, countersigner: person.id, key: person.keys.signing)
        return try await relay.json(person, .post, "/v1/packets/\(id.hex)/countersign", ["signature": Data(signature).base64EncodedString()])
    }

    @Test func theDSLReadsTheHeldEnquiryThenReleasesItAndTheDeadlineStartsAtRelease() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, dsl, bob, _) = try await relay.standardCast()
        let (id, share, sent) = try await enquiry(relay, from: alice, to: bob)
        let receipt = try sent.json(AcceptReceipt.self)
        #expect(receipt.state == "held" && receipt.deadline == nil, "no read-back deadline while held")
        #expect(try await relay.inbox(of: bob).isEmpty)
        #expect(try await relay.request(bob, .get, "/v1/packets/\(id.hex)").status == .notFound)

        let waiting = try await relay.inbox(of: dsl)
        #expect(waiting.map(\.id) == [id.hex] && waiting.first?.countersign == true && waiting.first?.state == "awaiting-countersignature")
        // Not blind: refused until the DSL has fetched it, and what they fetch opens with their own key.
        let blind = try await countersign(relay, id, share, as: dsl)
        #expect(blind.status == .unprocessableContent && blind.problemCode == "countersign.unread", "\(blind.text)")
        let seen = try await relay.fetchAndOpen(id, as: dsl, from: alice.id)
        #expect(seen.body.items.count == 2 && seen.header.purpose == "child-protection-enquiry")

        #expect(try await countersign(relay, id, share, as: alice).status == .forbidden, "a practitioner cannot release their own share")
        #expect(try await countersign(relay, id, share, as: bob).status == .notFound, "another agency cannot")

        relay.advance(byHours: 0.5)
        let released = try await countersign(relay, id, share, as: dsl)
        #expect(released.status == .ok, "\(released.text)")
        let status = try await relay.status(id, as: alice)
        #expect(status.history.map(\.state) == ["held", "delivered", "countersigned"])
        #expect(status.history.last?.actor == "dina@school-a")
        let releasedAt = try #require(status.countersignedAt)
        #expect(status.recipients.first?.deadline == releasedAt + 4 * 3_600_000, "the 4-hour read-back deadline counts from release, not from sending")
        #expect(try await relay.inbox(of: dsl).isEmpty, "countersigned: no longer waiting for the DSL")
        _ = try await relay.fetchAndOpen(id, as: bob, from: alice.id)
        _ = try await relay.fetchAndOpen(id, as: bob, from: alice.id)
        #expect(try await relay.status(id, as: alice).history.map(\.state) == ["held", "delivered", "countersigned", "delivered"], "a second fetch records nothing")
        #expect(try await relay.request(dsl, .get, "/v1/packets/\(id.hex)").status == .notFound, "released: the DSL fetched it to countersign, not to keep")
        #expect(try await countersign(relay, id, share, as: dsl).problemCode == "countersign.not-awaited")
    }

    @Test func theDSLCanReturnItWithReasonsAndItNeverReachesTheRecipient() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, dsl, bob, _) = try await relay.standardCast()
        let (id, share, _) = try await enquiry(relay, from: alice, to: bob)
        _ = try await relay.fetchAndOpen(id, as: dsl, from: alice.id)
        let reason = "Threshold for s.47 not met on this information: send it as a MASH enquiry."
        let bad = try await relay.json(dsl, .post, "/v1/packets/\(id.hex)/return", [
            "signature": Data(Countersignature.signReturn(packet: share.bytes, id: id, countersigner: dsl.id, reason: "other words", key: dsl.keys.signing)).base64EncodedString(),
            "reason": reason,
        ])
        #expect(bad.problemCode == "countersign.bad-signature", "the signature covers the reasons")
        let signature = Countersignature.signReturn(packet: share.bytes, id: id, countersigner: dsl.id, reason: reason, key: dsl.keys.signing)
        let returned = try await relay.json(dsl, .post, "/v1/packets/\(id.hex)/return", ["signature": Data(signature).base64EncodedString(), "reason": reason])
        #expect(returned.status == .ok, "\(returned.text)")
        let status = try await relay.status(id, as: alice)
        #expect(status.state == "returned" && status.returnReason == reason)
        #expect(status.history.map(\.state) == ["held", "delivered", "returned"])
        #expect(try await relay.request(bob, .get, "/v1/packets/\(id.hex)").status == .notFound)
        #expect(try await relay.inbox(of: bob).isEmpty)
        #expect(try await relay.inbox(of: dsl).isEmpty)
        #expect(try await countersign(relay, id, share, as: dsl).status == .conflict, "a returned packet cannot then be released")
    }

    @Test func aLateCountersignatureEscalatesToTheSendersSideOnly() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, dsl, bob, carol) = try await relay.standardCast()
        let (id, _, _) = try await enquiry(relay, from: alice, to: bob)
        relay.advance(byHours: 0.9)
        #expect(try await relay.service.escalateOverdue() == 0)
        relay.advance(byHours: 0.2) // past countersign_within = 1 hour
        #expect(try await relay.service.escalateOverdue() == 1)
        #expect(try await relay.service.escalateOverdue() == 0, "once")
        for person in [alice, dsl] {
            let notices = try await relay.request(person, .get, "/v1/notices").json(ListBody<NoticeBody>.self).items
            #expect(notices.map(\.packet) == [id.hex] && notices.first?.late == "countersignature", "\(person.id) is told")
        }
        for person in [bob, carol] {
            #expect(try await relay.request(person, .get, "/v1/notices").json(ListBody<NoticeBody>.self).items.isEmpty, "recipients never hear of a held packet")
        }
        let status = try await relay.status(id, as: alice)
        #expect(status.overdue && status.history.last?.state == "countersign-overdue")
        #expect(status.recipients.first?.overdue == false, "the read-back clock has not started")
    }

    @Test func anEmergencyReleaseGoesAtOnceAndItsCountersignatureFollows() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, dsl, bob, _) = try await relay.standardCast()
        let reason = "Child disclosed she will be taken abroad tonight; the DSL is not reachable."
        let (id, share, sent) = try await enquiry(relay, from: alice, to: bob, emergency: reason)
        #expect(sent.status == .created, "\(sent.text)")
        let receipt = try sent.json(AcceptReceipt.self)
        #expect(receipt.state == "accepted" && receipt.deadline != nil)
        _ = try await relay.fetchAndOpen(id, as: bob, from: alice.id)
        #expect(try await relay.inbox(of: dsl).first?.state == "awaiting-countersignature", "the retrospective countersignature is due")
        let status = try await relay.status(id, as: alice)
        #expect(status.emergency && status.emergencyReason == reason && status.history.first?.state == "emergency-released")
        #expect(try await relay.status(id, as: bob).emergencyReason == nil, "the reason is for the sender's side")
        // The audit leaf records the release and binds the reason by its digest, not its words.
        let size = try await relay.service.store.auditSize()
        let leaf = try await relay.service.store.auditLeaves(start: receipt.leafIndex, end: receipt.leafIndex + 1)[0]
        #expect(!String(decoding: leaf, as: UTF8.self).contains("abroad") && size > receipt.leafIndex)

        relay.advance(byHours: 1.5)
        #expect(try await relay.service.escalateOverdue() == 1, "the retrospective countersignature is late")
        #expect(try await relay.request(dsl, .get, "/v1/notices").json(ListBody<NoticeBody>.self).items.count == 1)
        _ = try await relay.fetchAndOpen(id, as: dsl, from: alice.id)
        #expect(try await countersign(relay, id, share, as: dsl).status == .ok)
        let after = try await relay.status(id, as: alice)
        #expect(after.countersignedAt != nil && !after.overdue)

        // Only a purpose that needs a countersignature can be released in an emergency.
        let ordinary = try await relay.build(.share, from: alice, to: [bob.id])
        var headers = HTTPFields()
        headers[try #require(HTTPField.Name("ISR-Emergency-Release"))] = "urgent"
        let refused = try await relay.request(alice, .post, "/v1/packets", body: ordinary.bytes, contentType: "application/octet-stream", headers: headers)
        #expect(refused.status == .unprocessableContent && refused.problemCode == "countersign.not-needed", "\(refused.text)")
    }
}
