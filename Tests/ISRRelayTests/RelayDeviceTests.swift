import Crypto
import Foundation
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import Testing

/// Devices over real TLS: a member opens a device code with their certificate, the new device submits keys with it and,
/// once approved, authenticates with its own certificate; senders must seal to every active device; a revoked device is
/// refused at once.
@Suite struct RelayDeviceTests {
    @Test func aSecondDeviceIsApprovedSealedToAndRevoked() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, carolPerson) = try await relay.standardCast()
        let code = InvitationCode.generate(adminKey: relay.admin.keys.signing.publicKey)
        func request(_ purpose: String, _ device: String, _ code: InvitationCode = code) -> [String: Any] {
            ["purpose": purpose, "device": device, "code_hash": Data(code.hash).base64EncodedString(), "expires_in_seconds": 3600]
        }
        #expect(try await relay.json(bob, .post, "/v1/devices/invitations", request("device", "My Tablet")).problemCode == "devices.invalid-name")
        #expect(try await relay.json(bob, .post, "/v1/devices/invitations", request("rekey", "tablet")).problemCode == "devices.rekey-other")
        #expect(try await relay.json(bob, .post, "/v1/devices/invitations", request("enrol", "tablet")).problemCode == "devices.invalid-purpose")
        #expect(try await relay.json(relay.admin, .post, "/v1/devices/invitations", request("rekey", "primary")).problemCode == "devices.rekey-pinned-admin")
        #expect(try await relay.json(bob, .post, "/v1/devices/invitations", request("device", "primary")).status == .conflict, "primary is taken")
        let opened = try await relay.json(bob, .post, "/v1/devices/invitations", request("device", "tablet"))
        #expect(opened.status == .created, "\(opened.text)")

        // The tablet makes its keys and submits them with the code; an admin approves the entry for exactly those keys.
        let tablet = PractitionerKeys.generate()
        let tlsKey = P256.Signing.PrivateKey()
        let keyRequest = try MemberKeyRequest(member: bob.id, signing: tablet.signing, encryptionKey: tablet.encryption.publicKey, tlsKey: tlsKey)
        let submission: [String: Any] = ["code": code.text, "certificate_request": try keyRequest.certificateRequest.pem(),
                                         "signing_key": Data(keyRequest.signingKey.bytes).base64EncodedString(),
                                         "encryption_key": Data(keyRequest.encryptionKey.bytes).base64EncodedString(),
                                         "proof": Data(keyRequest.proof).base64EncodedString()]
        #expect(try await relay.json(nil, .post, "/v1/enrolments", submission).status == .accepted)
        let pending = try await relay.request(relay.admin, .get, "/v1/admin/invitations?state=submitted").json(ListBody<InvitationBody>.self).items
        #expect(pending.map { "\($0.member) \($0.purpose ?? "") \($0.device ?? "")" } == ["bob@devon-csc device tablet"])
        let entry = DirectoryEntry(member: bob.id, displayName: "Bob", agencyName: "Devon-Csc", agencyKind: "childrens-social-care",
                                   signingKey: tablet.signing.publicKey, encryptionKey: tablet.encryption.publicKey, issuedAt: 2)
            .signed(by: relay.admin.id, key: relay.admin.keys.signing)
        let approved = try await relay.json(relay.admin, .post, "/v1/admin/invitations/bob@devon-csc/approve",
                                            ["directory_entry": Data(entry).base64EncodedString(), "device": "tablet"])
        #expect(approved.status == .ok, "\(approved.text)")
        let issued = try #require(try await relay.json(nil, .post, "/v1/enrolments", submission).json(EnrolmentProgress.self).enrolment)
        let bobTablet = Person(id: bob.id, keys: tablet, tlsKeyPEM: tlsKey.pemRepresentation, certificatePEM: issued.certificate)
        #expect(try await relay.request(bobTablet, .get, "/v1/inbox").status == .ok)
        let devices = try await relay.request(bob, .get, "/v1/devices").json(ListBody<DirectoryKey>.self).items
        #expect(devices.map { "\($0.device) \($0.state)" } == ["primary active", "tablet active"])

        // A packet sealed only to bob's first device is refused; sealed to both, it is accepted and the tablet opens it.
        let oneDevice = try await relay.build(.share, from: alice, to: [bob.id])
        let refused = try await relay.request(alice, .post, "/v1/packets", body: oneDevice.bytes, contentType: "application/octet-stream")
        #expect(refused.problemCode == "packet.stanzas-mismatch" && refused.text.contains("2 active devices"), "\(refused.text)")
        let both = try await relay.build(.share, from: alice, to: [bob.id],
                                         deviceKeys: [bob.id: [bob.id: [bob.keys.encryption.publicKey, tablet.encryption.publicKey]]])
        #expect(try await relay.request(alice, .post, "/v1/packets", body: both.bytes, contentType: "application/octet-stream").status == .created)
        let bothID = try PacketHeader(derEncoded: both.headerBytes).id
        let fetched = try await relay.request(bobTablet, .get, "/v1/packets/\(bothID.hex)")
        let openedOnTablet = try PacketOpener.open(fetched.body, as: bob.id, keys: [tablet.encryption], senderKeys: [alice.keys.signing.publicKey])
        #expect(openedOnTablet.header.id == bothID)
        // A receipt is checked against the key of the device that sends it.
        let signedByLaptopKey = DeliveryReceipt.sign(packet: fetched.body, id: bothID, recipient: bob.id, key: bob.keys.signing)
        #expect(try await relay.json(bobTablet, .post, "/v1/packets/\(bothID.hex)/receipt", ["signature": Data(signedByLaptopKey).base64EncodedString()])
            .status == .unprocessableContent, "signed with another device's key")
        #expect(try await relay.postReceipt(bothID, bytes: fetched.body, as: bobTablet).status == .ok)

        // A role address reaches every device of each of its members: duty@devon-csc is bob (two devices) and carol.
        let carol = try MemberID("carol@devon-csc"), duty = try MemberID("duty@devon-csc")
        let carolKey = try #require(try await relay.keys(for: [carol], as: alice)[carol]?[carol])
        let toDutyOneDevice = try await relay.build(.share, from: alice, to: [duty],
                                                    deviceKeys: [duty: [bob.id: [bob.keys.encryption.publicKey], carol: [carolKey]]])
        let dutyRefused = try await relay.request(alice, .post, "/v1/packets", body: toDutyOneDevice.bytes, contentType: "application/octet-stream")
        #expect(dutyRefused.problemCode == "packet.stanzas-mismatch" && dutyRefused.text.contains("2 active devices"), "\(dutyRefused.text)")
        let toDuty = try await relay.build(.share, from: alice, to: [duty],
                                           deviceKeys: [duty: [bob.id: [bob.keys.encryption.publicKey, tablet.encryption.publicKey], carol: [carolKey]]])
        #expect(try await relay.request(alice, .post, "/v1/packets", body: toDuty.bytes, contentType: "application/octet-stream").status == .created)
        let dutyID = try PacketHeader(derEncoded: toDuty.headerBytes).id
        // Bob answers for the role from his tablet; carol's inbox then shows the role's packet answered by bob.
        let dutyOnTablet = try await relay.request(bobTablet, .get, "/v1/packets/\(dutyID.hex)")
        #expect(try PacketOpener.open(dutyOnTablet.body, as: bob.id, keys: [tablet.encryption], senderKeys: [alice.keys.signing.publicKey]).header.id == dutyID)
        #expect(try await relay.postReceipt(dutyID, bytes: dutyOnTablet.body, as: bobTablet).status == .ok)
        let readBack = try await relay.build(.readback, from: bobTablet, to: [alice.id], inReplyTo: dutyID)
        #expect(try await relay.send(readBack, as: bobTablet).status == .created)
        let carolsInbox = try await relay.request(carolPerson, .get, "/v1/inbox").json(ListBody<InboxItem>.self).items
        #expect(carolsInbox.first { $0.id == dutyID.hex }?.answeredBy == bob.id.rawValue, "\(carolsInbox)")

        // Bob revokes the tablet: its certificate is refused at once, and nothing more is sealed to it.
        #expect(try await relay.json(bob, .post, "/v1/devices/tablet/revoke", ["reason": ""]).problemCode == "devices.reason")
        let revoked = try await relay.json(bob, .post, "/v1/devices/tablet/revoke", ["reason": "left on the train"])
        #expect(try revoked.json(ListBody<DirectoryKey>.self).items.map { "\($0.device) \($0.state)" } == ["primary active", "tablet revoked"])
        #expect(try await relay.request(bobTablet, .get, "/v1/inbox").problemCode == "auth.device-revoked")
        let after = try await relay.build(.share, from: alice, to: [bob.id])
        #expect(try await relay.request(alice, .post, "/v1/packets", body: after.bytes, contentType: "application/octet-stream").status == .created)
        #expect(try await relay.json(bob, .post, "/v1/devices/primary/revoke", ["reason": "x"]).status == .conflict, "the last device stays")
    }
}
