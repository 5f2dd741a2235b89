import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import ISRCrypto
import ISRPKI
@testable import ISRPacket
import ISRRelayAPI
import ISRRelay
import NIOSSL
import Testing
import X509

/// Every refusal is a 4xx `application/problem+json` with a stable code, and leaves nothing behind.
@Suite(.serialized) struct RelayRefusalTests {
    func expectProblem(_ reply: Reply, _ status: HTTPResponse.Status, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.contentType == "application/problem+json", sourceLocation: sourceLocation)
        #expect(reply.problemCode == code, "\(reply.text)", sourceLocation: sourceLocation)
    }

    @Test func handshakesFailWithoutACertificateFromThisDeploymentOrWhenExpired() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        func attempt(_ tls: TLSConfiguration) async -> Bool {
            let configuration = TestClient.Configuration(tlsConfiguration: tls, timeout: .seconds(5), serverName: "localhost")
            do {
                let response = try await TestClient.withClient(host: "127.0.0.1", port: relay.port, configuration: configuration) { client in
                    try await client.execute(.init("/healthz", method: .get, authority: "localhost"))
                }
                return response.status == .ok
            } catch {
                return false
            }
        }
        #expect(await attempt(try relay.tls(for: relay.admin)), "the admin's certificate works")
        var noCertificate = try relay.tls(for: relay.admin)
        noCertificate.certificateChain = []
        noCertificate.privateKey = nil
        #expect(await attempt(noCertificate) == false)

        let stranger = try DeploymentCA.create(name: "Another deployment")
        let key = P256.Signing.PrivateKey()
        let foreign = try stranger.issueClientCertificate(for: MemberCertificateRequest(member: relay.admin.id, privateKey: key))
        let impostor = Person(id: relay.admin.id, keys: relay.admin.keys, tlsKeyPEM: key.pemRepresentation, certificatePEM: try foreign.serializeAsPEM().pemString)
        #expect(await attempt(try relay.tls(for: impostor)) == false, "a certificate from another CA")

        let ca = try DeploymentCA(certificatePEM: relay.caPEM, privateKeyPEM: try String(contentsOfFile: relay.directory + "/certs/ca.key", encoding: .utf8))
        let expired = try ca.issueClientCertificate(for: MemberCertificateRequest(member: relay.admin.id, privateKey: key),
                                                    now: Date().addingTimeInterval(-2 * 365 * 86_400))
        let lapsed = Person(id: relay.admin.id, keys: relay.admin.keys, tlsKeyPEM: key.pemRepresentation, certificatePEM: try expired.serializeAsPEM().pemString)
        #expect(await attempt(try relay.tls(for: lapsed)) == false, "an expired certificate")

        // A current certificate from this CA for someone never enrolled passes TLS but is refused by the relay.
        let unenrolled = try ca.issueClientCertificate(for: MemberCertificateRequest(member: try MemberID("eve@school-z"), privateKey: key))
        let eve = Person(id: try MemberID("eve@school-z"), keys: .generate(), tlsKeyPEM: key.pemRepresentation, certificatePEM: try unenrolled.serializeAsPEM().pemString)
        expectProblem(try await relay.request(eve, .get, "/v1/inbox"), .forbidden, "auth.not-enrolled")
    }

    @Test func spoofedRevokedAndSuspendedSendersAreRefused() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, carol) = try await relay.standardCast()
        let share = try await relay.build(.share, from: alice, to: [bob.id])
        let before = try await relay.service.store.auditSize()
        expectProblem(try await relay.send(share, as: bob), .forbidden, "packet.sender-mismatch")
        #expect(try await relay.service.store.auditSize() == before, "nothing stored")

        let revoke = try await relay.json(relay.admin, .post, "/v1/admin/members/carol@devon-csc/revoke", ["reason": "left the service"])
        #expect(revoke.status == .ok, "\(revoke.text)")
        expectProblem(try await relay.request(carol, .get, "/v1/inbox"), .forbidden, "auth.member-revoked")
        // Sealing to a revoked member's old key: refused by the relay with the reason.
        var keys = try await relay.keys(for: [bob.id], as: alice)
        keys[carol.id] = [carol.id: carol.keys.encryption.publicKey]
        let body = RelayHarness.body(for: .share, purpose: "child-in-need")
        let header = PacketHeader(kind: .share, sender: alice.id, recipients: [bob.id, carol.id], purpose: "child-in-need", lawfulBasis: "public-task",
                                  consent: .refused, createdAt: 1, fieldNames: body.fieldNames, subjectReference: "CASE-7", retentionDays: 90)
        let toRevoked = try PacketSealer.seal(header: header, body: body, keys: keys, signer: alice.keys.signing)
        expectProblem(try await relay.send(toRevoked, as: alice), .unprocessableContent, "recipient.revoked")

        #expect(try await relay.request(relay.admin, .post, "/v1/admin/agencies/school-a/suspend").status == .ok)
        expectProblem(try await relay.request(alice, .get, "/v1/inbox"), .forbidden, "auth.agency-suspended")
        #expect(try await relay.request(relay.admin, .post, "/v1/admin/agencies/school-a/reinstate").status == .ok)
        #expect(try await relay.request(alice, .get, "/v1/inbox").status == .ok)
    }

    @Test func malformedOversizeTruncatedAndOffPolicyPacketsAreRefusedAndNothingIsStored() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, _) = try await relay.standardCast()
        let good = try await relay.build(.share, from: alice, to: [bob.id])
        let before = try await relay.service.store.auditSize()
        func post(_ bytes: [UInt8]) async throws -> Reply {
            try await relay.request(alice, .post, "/v1/packets", body: bytes, contentType: "application/octet-stream")
        }
        // A packet body is any bytes as far as the OpenAPI document can say, so what its DER must hold is content: 422.
        expectProblem(try await post(Array("not a packet".utf8)), .unprocessableContent, "packet.malformed")
        expectProblem(try await post(Array(good.bytes.prefix(good.bytes.count / 2))), .unprocessableContent, "packet.truncated")
        expectProblem(try await post([UInt8](repeating: 0x30, count: 70_000)), .contentTooLarge, "http.413")
        expectProblem(try await post([]), .unprocessableContent, "packet.truncated")
        var flipped = good.bytes
        flipped[flipped.count - 10] ^= 1
        expectProblem(try await post(flipped), .unprocessableContent, "packet.bad-signature")

        let offPolicy = PacketBody(statement: "deliberately off-policy", items: [BodyItem(tag: .fact, text: "x", source: "y", refersTo: "2026-01-01")],
                                   fields: [SubjectField(name: "nhs_number", value: "9434765919")], subjectInformed: true)
        let early = try await relay.build(.share, from: alice, to: [bob.id], purpose: "early-help", basis: "vital-interests", consent: .given, body: offPolicy)
        let refused = try await relay.send(early, as: alice)
        expectProblem(refused, .unprocessableContent, "policy.refused")
        let rules = try #require(try JSONSerialization.jsonObject(with: Data(refused.body)) as? [String: Any])["violations"] as? [[String: String]]
        #expect(Set(rules?.compactMap { $0["rule"] } ?? []) == ["policy.lawful-basis-not-allowed", "policy.field-not-allowed", "policy.required-field-missing"])

        let unknownHeader = PacketHeader(kind: .share, sender: alice.id, recipients: [try MemberID("ghost@school-a")], purpose: "child-in-need",
                                         lawfulBasis: "public-task", consent: .refused, createdAt: 1, fieldNames: RelayHarness.body(for: .share, purpose: "x").fieldNames,
                                         subjectReference: "CASE-7", retentionDays: 90)
        let ghost = try PacketSealer.seal(header: unknownHeader, body: RelayHarness.body(for: .share, purpose: "x"),
                                          keys: [try MemberID("ghost@school-a"): [bob.id: bob.keys.encryption.publicKey]], signer: alice.keys.signing)
        expectProblem(try await relay.send(ghost, as: alice), .unprocessableContent, "recipient.unknown")
        // A correctly signed header with an unknown kind: refused after verification, when the header is parsed.
        let valid = PacketHeader(kind: .share, sender: alice.id, recipients: [bob.id], purpose: "child-in-need", lawfulBasis: "public-task",
                                 consent: .refused, createdAt: 1, fieldNames: RelayHarness.body(for: .share, purpose: "x").fieldNames,
                                 subjectReference: "CASE-7", retentionDays: 90)
        let renamed = try valid.derEncoded().replacing([0x0c, 0x05] + Array("share".utf8), with: [0x0c, 0x05] + Array("rumor".utf8))
        let unknownKind = try PacketSealer.sealUnchecked(header: valid, bodyBytes: RelayHarness.body(for: .share, purpose: "x").derEncoded(),
                                                         members: [bob.id: bob.keys.encryption.publicKey], signer: alice.keys.signing,
                                                         limits: .standard, headerBytes: renamed)
        expectProblem(try await relay.send(unknownKind, as: alice), .unprocessableContent, "packet.invalid-header")
        #expect(try await relay.service.store.auditSize() == before, "no refusal left a record")
        #expect(try await relay.request(bob, .get, "/v1/inbox").json(ListBody<InboxItem>.self).items.isEmpty)
    }

    @Test func badRequestsToTheJSONAndAdminRoutesAreProblems() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, _, _) = try await relay.standardCast()
        expectProblem(try await relay.request(relay.admin, .post, "/v1/admin/agencies", body: Array("{not json".utf8), contentType: "application/json"),
                      .badRequest, "http.400")
        expectProblem(try await relay.json(relay.admin, .post, "/v1/admin/agencies", ["id": 7, "name": "x", "kind": "school"]), .badRequest, "http.400")
        expectProblem(try await relay.json(relay.admin, .post, "/v1/admin/agencies", ["id": "Bad Id", "name": "x", "kind": "school"]), .badRequest, "admin.invalid-agency-id")
        expectProblem(try await relay.json(relay.admin, .post, "/v1/admin/agencies", ["id": "church-a", "name": "x", "kind": "church"]), .badRequest, "admin.invalid-agency-kind")
        expectProblem(try await relay.json(relay.admin, .post, "/v1/admin/agencies", ["id": "school-a", "name": "Again", "kind": "school"]), .conflict, "store.already-exists")
        expectProblem(try await relay.json(alice, .post, "/v1/admin/agencies", ["id": "school-b", "name": "B", "kind": "school"]), .forbidden, "admin.required")
        expectProblem(try await relay.json(relay.admin, .post, "/v1/admin/members", ["certificate_request": "nonsense", "display_name": "X", "role": "practitioner",
                                                                                     "signing_key": "", "encryption_key": "", "directory_entry": ""]), .unprocessableContent, "pki.invalid-pem")
        expectProblem(try await relay.request(alice, .get, "/v1/no-such-route"), .notFound, "http.404")
        expectProblem(try await relay.request(alice, .get, "/v1/packets/not-hex"), .badRequest, "invalid-packet-id")
        expectProblem(try await relay.request(alice, .get, "/v1/packets/\(PacketID.random().hex)"), .notFound, "not-found")
        expectProblem(try await relay.request(relay.admin, .get, "/v1/audit/leaves?start=5&end=2"), .unprocessableContent, "audit.range")
        expectProblem(try await relay.request(alice, .get, "/v1/audit/leaves?start=0&end=2"), .forbidden, "audit.whole-log")
        expectProblem(try await relay.request(alice, .get, "/v1/audit/inclusion?index=x&size=1"), .badRequest, "invalid-query")
        expectProblem(try await relay.json(alice, .post, "/v1/packets/\(PacketID.random().hex)/receipt", ["signature": "AAAA"]), .badRequest, "invalid-signature")
    }

    @Test func lifecycleRefusalsEachHaveTheirCode() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, dsl, bob, carol) = try await relay.standardCast()
        let before = try await relay.service.store.auditSize()
        // A sender cannot be one of their recipients.
        expectProblem(try await relay.send(try await relay.build(.share, from: alice, to: [alice.id, bob.id]), as: alice), .unprocessableContent, "lifecycle.self-addressed")
        #expect(try await relay.service.store.auditSize() == before)

        let share = try await relay.build(.share, from: alice, to: [bob.id], urgency: .urgent)
        let id = try PacketHeader(derEncoded: share.headerBytes).id
        #expect(try await relay.send(share, as: alice).status == .created)
        // A receipt, or a read-back, before the recipient fetched the packet.
        expectProblem(try await relay.postReceipt(id, bytes: share.bytes, as: bob), .conflict, "store.invalid-transition")
        expectProblem(try await relay.send(try await relay.build(.readback, from: bob, to: [alice.id], inReplyTo: id), as: bob), .unprocessableContent, "lifecycle.not-fetched")
        // Replies by someone who is not a party, and replies by the wrong party.
        expectProblem(try await relay.send(try await relay.build(.readback, from: carol, to: [alice.id], inReplyTo: id), as: carol), .unprocessableContent, "lifecycle.not-a-party")
        expectProblem(try await relay.send(try await relay.build(.readback, from: dsl, to: [alice.id], inReplyTo: id), as: dsl), .unprocessableContent, "lifecycle.not-a-party")
        _ = try await relay.fetchAndOpen(id, as: bob, from: alice.id)
        expectProblem(try await relay.send(try await relay.build(.decline, from: bob, to: [alice.id], inReplyTo: id), as: bob), .unprocessableContent, "lifecycle.wrong-target")
        expectProblem(try await relay.send(try await relay.build(.readback, from: bob, to: [carol.id], inReplyTo: id), as: bob), .unprocessableContent, "lifecycle.wrong-recipients")
        expectProblem(try await relay.send(try await relay.build(.confirm, from: bob, to: [alice.id], inReplyTo: id), as: bob), .unprocessableContent, "lifecycle.wrong-party")
        let readBack = try await relay.build(.readback, from: bob, to: [alice.id], inReplyTo: id)
        let readBackID = try PacketHeader(derEncoded: readBack.headerBytes).id
        #expect(try await relay.send(readBack, as: bob).status == .created)
        expectProblem(try await relay.send(try await relay.build(.readback, from: bob, to: [alice.id], inReplyTo: id), as: bob), .unprocessableContent, "lifecycle.wrong-state")
        // A read-back cannot be withdrawn: it is part of the share's record.
        expectProblem(try await relay.request(bob, .post, "/v1/packets/\(readBackID.hex)/withdraw"), .conflict, "lifecycle.wrong-state")

        // A clarification keeps the original urgency: an urgent share's new read-back is due within 2 hours, not days.
        relay.advance(byHours: 1)
        #expect(try await relay.send(try await relay.build(.clarify, from: alice, to: [bob.id], inReplyTo: id), as: alice).status == .created)
        let due = try #require(try await relay.status(id, as: alice).recipients.first?.deadline)
        #expect(due <= relay.clock.now + 2 * 3_600_000, "urgent: the cap of urgent_max_hours applies to the new deadline too")

        // A resend of identical bytes after its recipient was revoked gets the original answer, not a refusal.
        let first = try await relay.send(share, as: alice).json(AcceptReceipt.self)
        #expect(try await relay.json(relay.admin, .post, "/v1/admin/members/bob@devon-csc/revoke", ["reason": "left"]).status == .ok)
        let again = try await relay.send(share, as: alice)
        let answer = try again.json(AcceptReceipt.self)
        #expect(again.status == .ok && answer.duplicate && answer.leafIndex == first.leafIndex, "\(again.text)")
        expectProblem(try await relay.send(try await relay.build(.share, from: alice, to: [bob.id], keys: [bob.id: [bob.id: bob.keys.encryption.publicKey]]), as: alice),
                      .unprocessableContent, "recipient.revoked")
    }

    @Test func listingsPageAndBadCursorsAreProblems() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, _) = try await relay.standardCast()
        for _ in 0..<5 { _ = try await relay.send(try await relay.build(.share, from: alice, to: [bob.id]), as: alice) }
        let page = try await relay.request(bob, .get, "/v1/inbox?limit=2").json(ListBody<InboxItem>.self)
        #expect(page.items.count == 2 && page.next != nil)
        #expect(try await relay.inbox(of: bob).count == 5)
        let sent = try await relay.request(alice, .get, "/v1/sent?limit=3").json(ListBody<PacketStatus>.self)
        #expect(sent.items.count == 3 && sent.next != nil)
        expectProblem(try await relay.request(bob, .get, "/v1/inbox?limit=0"), .badRequest, "invalid-query")
        expectProblem(try await relay.request(bob, .get, "/v1/inbox?limit=501"), .badRequest, "invalid-query")
        expectProblem(try await relay.request(bob, .get, "/v1/notices?before=-1"), .badRequest, "invalid-query")
        expectProblem(try await relay.request(alice, .get, "/v1/sent?before=abc"), .badRequest, "invalid-query")
    }
}
