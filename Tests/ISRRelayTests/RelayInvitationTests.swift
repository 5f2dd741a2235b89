import Crypto
import Foundation
import HTTPTypes
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import Testing
@testable import ISRRelay

/// Enrolment by invitation through real TLS: only the enrolment routes answer without a client certificate, a code is
/// submitted once, an admin approves the keys, the practitioner collects a certificate that then works; wrong codes
/// are throttled and expired ones refused.
@Suite(.serialized) struct RelayInvitationTests {
    func invite(_ relay: RelayHarness, _ member: String, by person: Person? = nil, expires: Int64 = 7 * 86_400) async throws -> (InvitationCode, Reply) {
        let code = InvitationCode.generate(adminKey: (person ?? relay.admin).keys.signing.publicKey)
        let reply = try await relay.json(person ?? relay.admin, .post, "/v1/admin/invitations", ["items": [[
            "member": member, "display_name": "Dave Brown", "role": "practitioner", "code_hash": Data(code.hash).base64EncodedString(),
            "expires_in_seconds": expires]]])
        return (code, reply)
    }

    func submission(_ code: InvitationCode, _ request: MemberKeyRequest) throws -> [String: Any] {
        ["code": code.text, "certificate_request": try request.certificateRequest.pem(), "signing_key": Data(request.signingKey.bytes).base64EncodedString(),
         "encryption_key": Data(request.encryptionKey.bytes).base64EncodedString(), "proof": Data(request.proof).base64EncodedString()]
    }

    @Test func aPractitionerEnrolsWithACodeAndAnAdminsApproval() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        try await relay.addAgency("school-a", kind: "school")
        let alice = try await relay.enrol("alice@school-a")
        let dave = try MemberID("dave@school-a")
        #expect(try await invite(relay, dave.rawValue, by: alice).1.problemCode == "admin.required")
        let (code, invited) = try await invite(relay, dave.rawValue)
        #expect(invited.status == .created, "\(invited.text)")

        // Without a client certificate: only the enrolment routes answer.
        for path in ["/healthz", "/v1/directory", "/v1/admin/invitations"] {
            #expect(try await relay.request(nil, .get, path).problemCode == "auth.no-certificate", "\(path)")
        }
        let summary = try await relay.json(nil, .post, "/v1/enrolments/invitation", ["code": code.text.lowercased()])
        #expect(try summary.json(InvitationSummary.self) == InvitationSummary(member: dave.rawValue, displayName: "Dave Brown", role: "practitioner",
                                                                              agencyName: "School-A", agencyKind: "school", state: "open",
                                                                              expiresAt: relay.clock.now + 7 * 86_400_000, purpose: "enrol", device: "primary"))

        let signing = SigningKeyPair.generate()
        let encryption = EncryptionKeyPair.generate()
        let tlsKey = P256.Signing.PrivateKey()
        let request = try MemberKeyRequest(member: dave, signing: signing, encryptionKey: encryption.publicKey, tlsKey: tlsKey)
        let submitted = try await relay.json(nil, .post, "/v1/enrolments", try submission(code, request))
        #expect(submitted.status == .accepted, "\(submitted.text)")
        #expect(try submitted.json(EnrolmentProgress.self) == EnrolmentProgress(member: dave.rawValue, state: "submitted", fingerprint: request.fingerprint.description,
                                                                                enrolment: nil))
        // The same code with other keys is refused; the same request again only reports progress.
        let mallory = try MemberKeyRequest(member: dave, signing: .generate(), encryptionKey: EncryptionKeyPair.generate().publicKey, tlsKey: P256.Signing.PrivateKey())
        #expect(try await relay.json(nil, .post, "/v1/enrolments", try submission(code, mallory)).problemCode == "enrolment.code-used")
        #expect(try await relay.json(nil, .post, "/v1/enrolments", try submission(code, request)).status == .accepted)
        // A request for another member under this code, or with a broken proof, is refused.
        let other = try MemberKeyRequest(member: try MemberID("eve@school-a"), signing: signing, encryptionKey: encryption.publicKey, tlsKey: tlsKey)
        #expect(try await relay.json(nil, .post, "/v1/enrolments", try submission(code, other)).problemCode == PKIErrorCode.requestIdentity.rawValue)

        // The admin sees the submission with its fingerprint and approves the entry they signed.
        let pending = try await relay.request(relay.admin, .get, "/v1/admin/invitations?state=submitted").json(ListBody<InvitationBody>.self).items
        #expect(pending.map(\.member) == [dave.rawValue] && pending.first?.fingerprint == request.fingerprint.description)
        let entry = DirectoryEntry(member: dave, displayName: "Dave Brown", agencyName: "School-A", agencyKind: "school", signingKey: signing.publicKey,
                                   encryptionKey: encryption.publicKey, issuedAt: 1).signed(by: relay.admin.id, key: relay.admin.keys.signing)
        let wrongEntry = DirectoryEntry(member: dave, displayName: "Dave Brown", agencyName: "School-A", agencyKind: "school",
                                        signingKey: mallory.signingKey, encryptionKey: encryption.publicKey, issuedAt: 1)
            .signed(by: relay.admin.id, key: relay.admin.keys.signing)
        #expect(try await relay.json(relay.admin, .post, "/v1/admin/invitations/\(dave)/approve", ["directory_entry": Data(wrongEntry).base64EncodedString()])
            .problemCode == "admin.entry-mismatch")
        #expect(try await relay.json(alice, .post, "/v1/admin/invitations/\(dave)/approve", ["directory_entry": Data(entry).base64EncodedString()])
            .problemCode == "admin.required")
        let approved = try await relay.json(relay.admin, .post, "/v1/admin/invitations/\(dave)/approve", ["directory_entry": Data(entry).base64EncodedString()])
        #expect(approved.status == .ok, "\(approved.text)")
        #expect(try await relay.json(relay.admin, .post, "/v1/admin/invitations/\(dave)/approve", ["directory_entry": Data(entry).base64EncodedString()])
            .status == .notFound, "approved once")

        // The practitioner collects the certificate, and it works.
        let collected = try await relay.json(nil, .post, "/v1/enrolments", try submission(code, request))
        #expect(collected.status == .ok)
        let issued = try #require(try collected.json(EnrolmentProgress.self).enrolment)
        #expect(code.vouches(for: try SigningPublicKey(bytes: try #require(Data(base64Encoded: issued.adminKey)))))
        #expect(issued.directoryEntry == Data(entry).base64EncodedString() && issued.caCertificate == relay.caPEM)
        let person = Person(id: dave, keys: PractitionerKeys(signing: signing, encryption: encryption), tlsKeyPEM: tlsKey.pemRepresentation,
                            certificatePEM: issued.certificate)
        #expect(try await relay.request(person, .get, "/v1/inbox").status == .ok)
        #expect(try await relay.request(relay.admin, .get, "/v1/admin/invitations?state=collected").json(ListBody<InvitationBody>.self).items.map(\.member)
            == [dave.rawValue])
        // Inviting an enrolled, active member is refused.
        #expect(try await invite(relay, dave.rawValue).1.status == .conflict)
    }

    @Test func wrongCodesAreThrottledAndExpiredCodesRefused() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        try await relay.addAgency("school-a", kind: "school")
        let (code, invited) = try await invite(relay, "dave@school-a", expires: 3600)
        #expect(invited.status == .created)
        let guess = InvitationCode.generate(adminKey: relay.admin.keys.signing.publicKey)
        for _ in 0..<5 {
            #expect(try await relay.json(nil, .post, "/v1/enrolments/invitation", ["code": guess.text]).problemCode == "enrolment.invalid-code")
        }
        let limited = try await relay.json(nil, .post, "/v1/enrolments/invitation", ["code": code.text])
        #expect(limited.status == .tooManyRequests && limited.problemCode == "enrolment.rate-limited", "even the right code waits")
        relay.clock.advance(by: 61_000)
        #expect(try await relay.json(nil, .post, "/v1/enrolments/invitation", ["code": code.text]).status == .ok, "a minute later")
        #expect(try await relay.json(nil, .post, "/v1/enrolments/invitation", ["code": "ISR-not-a-code"]).problemCode == "enrolment.invalid-code")
        relay.clock.advance(by: 3600 * 1000)
        #expect(try await relay.json(nil, .post, "/v1/enrolments/invitation", ["code": code.text]).problemCode == "enrolment.invalid-code", "expired")
        // Invitations are bounded and checked.
        let bad = try await relay.json(relay.admin, .post, "/v1/admin/invitations", ["items": [[
            "member": "erin@school-a", "display_name": "Erin\u{1b}[2J", "role": "practitioner", "code_hash": Data(code.hash).base64EncodedString(),
            "expires_in_seconds": 3600]]])
        #expect(bad.problemCode == "admin.invalid-name")
        #expect(try await relay.json(relay.admin, .post, "/v1/admin/invitations", ["items": []]).problemCode == "admin.invitation-count")
    }
}
