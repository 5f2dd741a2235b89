import Crypto
import Foundation
import HTTPTypes
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import Testing
@testable import ISRRelay

/// Agency admins over real TLS: they invite, approve, revoke and set roles within their own agency only, cannot make
/// admins, and the entries they sign verify for clients through the deployment admin's voucher.
@Suite(.serialized) struct RelayAgencyAdminTests {
    /// Enrols `id` by invitation with `role`, approved by `approver` with an entry carrying `authority`; returns the person.
    func enrolByInvitation(_ relay: RelayHarness, _ raw: String, role: String, approver: Person, authority: DirectoryEntry.Authority? = nil,
                           expect status: HTTPResponse.Status = .ok) async throws -> Person? {
        let id = try MemberID(raw)
        let code = InvitationCode.generate(adminKey: relay.admin.keys.signing.publicKey)
        let invited = try await relay.json(approver, .post, "/v1/admin/invitations", ["items": [[
            "member": raw, "display_name": id.local, "role": role, "code_hash": Data(code.hash).base64EncodedString(), "expires_in_seconds": 3600]]])
        guard invited.status == .created else {
            #expect(invited.status == status, "\(invited.text)")
            return nil
        }
        let keys = PractitionerKeys.generate()
        let tlsKey = P256.Signing.PrivateKey()
        let request = try MemberKeyRequest(member: id, signing: keys.signing, encryptionKey: keys.encryption.publicKey, tlsKey: tlsKey)
        let submission: [String: Any] = ["code": code.text, "certificate_request": try request.certificateRequest.pem(),
                                         "signing_key": Data(request.signingKey.bytes).base64EncodedString(),
                                         "encryption_key": Data(request.encryptionKey.bytes).base64EncodedString(),
                                         "proof": Data(request.proof).base64EncodedString()]
        #expect(try await relay.json(nil, .post, "/v1/enrolments", submission).status == .accepted)
        let entry = DirectoryEntry(member: id, displayName: id.local, agencyName: id.agency.rawValue.capitalized, agencyKind: relay.agencyKinds[id.agency.rawValue] ?? "school",
                                   signingKey: keys.signing.publicKey, encryptionKey: keys.encryption.publicKey, issuedAt: 1, authority: authority)
            .signed(by: approver.id, key: approver.keys.signing)
        let approved = try await relay.json(approver, .post, "/v1/admin/invitations/\(raw)/approve", ["directory_entry": Data(entry).base64EncodedString()])
        #expect(approved.status == status, "\(approved.text)")
        guard approved.status == .ok else { return nil }
        let issued = try #require(try await relay.json(nil, .post, "/v1/enrolments", submission).json(EnrolmentProgress.self).enrolment)
        // Whoever approved, the practitioner is handed the deployment admin's key to pin, and the approver's entry if needed.
        #expect(issued.adminId == relay.admin.id.rawValue && (issued.approverEntry != nil) == (approver.id != relay.admin.id))
        return Person(id: id, keys: keys, tlsKeyPEM: tlsKey.pemRepresentation, certificatePEM: issued.certificate)
    }

    @Test func anAgencyAdminAdministersTheirOwnAgencyOnly() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        try await relay.addAgency("school-a", kind: "school")
        try await relay.addAgency("devon-csc", kind: "childrens-social-care")
        let bob = try await relay.enrol("bob@devon-csc")
        // The entry must carry the authority the role needs.
        _ = try await enrolByInvitation(relay, "zed@school-a", role: "agency-admin", approver: relay.admin, authority: nil, expect: .unprocessableContent)
        let carol = try #require(try await enrolByInvitation(relay, "carol@school-a", role: "agency-admin", approver: relay.admin,
                                                             authority: .agency(try AgencyID("school-a"))))
        let dave = try #require(try await enrolByInvitation(relay, "dave@school-a", role: "practitioner", approver: carol))
        #expect(try await relay.request(dave, .get, "/v1/inbox").status == .ok)

        // Outside their agency, making admins, and deployment-wide operations are refused.
        _ = try await enrolByInvitation(relay, "erin@devon-csc", role: "practitioner", approver: carol, expect: .forbidden)
        _ = try await enrolByInvitation(relay, "frank@school-a", role: "agency-admin", approver: carol, expect: .forbidden)
        #expect(try await relay.json(carol, .post, "/v1/admin/agencies", ["id": "x", "name": "X", "kind": "school"]).problemCode == "admin.required")
        #expect(try await relay.json(carol, .post, "/v1/admin/members/\(bob.id)/revoke", ["reason": "test"]).problemCode == "admin.other-agency")
        #expect(try await relay.json(carol, .put, "/v1/admin/roles/duty@devon-csc", ["members": [bob.id.rawValue]]).problemCode == "admin.other-agency")
        #expect(try await relay.json(carol, .post, "/v1/admin/members/\(carol.id)/role", ["role": "admin"]).problemCode == "admin.grant")
        // Nor an auditor, who reads every agency's events.
        #expect(try await relay.json(carol, .post, "/v1/admin/members/\(dave.id)/role", ["role": "auditor"]).problemCode == "admin.grant")
        // Within it, they set roles and role addresses, see their agency's invitations, and revoke.
        #expect(try await relay.json(carol, .post, "/v1/admin/members/\(dave.id)/role", ["role": "dsl"]).status == .ok)
        #expect(try await relay.json(carol, .put, "/v1/admin/roles/duty@school-a", ["members": [dave.id.rawValue]]).status == .ok)
        let seen = try await relay.request(carol, .get, "/v1/admin/invitations?state=collected").json(ListBody<InvitationBody>.self).items.map(\.member)
        #expect(seen == ["carol@school-a", "dave@school-a"], "school-a's collected invitations only: \(seen)")
        #expect(try await relay.json(carol, .post, "/v1/admin/members/\(dave.id)/revoke", ["reason": "left the school"]).status == .ok)

        // A client pinning the deployment admin verifies dave's entry through carol's.
        let listed = try await relay.request(bob, .get, "/v1/directory").json(ListBody<DirectoryMember>.self).items
        var entries: [MemberID: [UInt8]] = [:]
        for member in listed { if let text = member.directoryEntry, let data = Data(base64Encoded: text) { entries[try MemberID(member.id)] = Array(data) } }
        let trust = DirectoryTrust(root: relay.admin.id, rootKey: relay.admin.keys.signing.publicKey)
        let daveEntry = try #require(entries[dave.id])
        #expect(try trust.verify(daveEntry, entries: entries, isActive: { _ in true }).signingKey == dave.keys.signing.publicKey)
        // Once carol is revoked by the deployment admin, clients stop trusting what she signed.
        #expect(try await relay.json(relay.admin, .post, "/v1/admin/members/\(carol.id)/revoke", ["reason": "left"]).status == .ok)
        let statuses = Dictionary(uniqueKeysWithValues: try await relay.request(bob, .get, "/v1/directory").json(ListBody<DirectoryMember>.self).items.map { ($0.id, $0.status) })
        #expect(throws: PKIError.self) { try trust.verify(daveEntry, entries: entries, isActive: { statuses[$0.rawValue] == "active" }) }
    }
}
