import Crypto
import Foundation
import ISRAudit
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import ISRRelay
import Testing

@Suite(.serialized) struct RelayDirectoryTests {
    @Test func everyDirectoryEntryVerifiesAgainstThePinnedAdminKey() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, _) = try await relay.standardCast()
        let pinned = relay.admin.keys.signing.publicKey // what a client pins at enrolment
        let directory = try await relay.request(alice, .get, "/v1/directory").json(ListBody<DirectoryMember>.self).items
        #expect(directory.count == 5)
        for member in directory {
            let text = try #require(member.directoryEntry)
            let signed = Array(try #require(Data(base64Encoded: text)))
            let entry = try DirectoryEntry.verified(signed, adminKey: pinned)
            #expect(entry.member.rawValue == member.id && entry.displayName == member.displayName)
            #expect(Data(entry.signingKey.bytes).base64EncodedString() == member.signingKey)
            #expect(Data(entry.encryptionKey.bytes).base64EncodedString() == member.encryptionKey)
        }
        // A relay that swapped bob's key would be caught: the entry no longer matches what it serves.
        let bobEntry = try DirectoryEntry.verified(Array(Data(base64Encoded: directory.first { $0.id == bob.id.rawValue }!.directoryEntry!)!), adminKey: pinned)
        #expect(bobEntry.encryptionKey == bob.keys.encryption.publicKey)
        #expect(throws: PKIError.self) {
            try DirectoryEntry.verified(Array(Data(base64Encoded: directory[0].directoryEntry!)!), adminKey: alice.keys.signing.publicKey)
        }
    }

    @Test func enrolmentNeedsAnEntryTheAdminSignedForExactlyThatPerson() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        try await relay.addAgency("school-a", kind: "school")
        let id = try MemberID("eve@school-a")
        let keys = PractitionerKeys.generate()
        let csr = try MemberCertificateRequest(member: id, privateKey: P256.Signing.PrivateKey()).pem()
        func enrol(entry: [UInt8]) async throws -> Reply {
            try await relay.json(relay.admin, .post, "/v1/admin/members", [
                "certificate_request": csr, "display_name": "Eve", "role": "practitioner", "directory_entry": Data(entry).base64EncodedString(),
                "signing_key": Data(keys.signing.publicKey.bytes).base64EncodedString(),
                "encryption_key": Data(keys.encryption.publicKey.bytes).base64EncodedString(),
            ])
        }
        let honest = DirectoryEntry(member: id, displayName: "Eve", agencyName: "School-A", agencyKind: "school", signingKey: keys.signing.publicKey,
                                    encryptionKey: keys.encryption.publicKey, issuedAt: 1)
        let forged = try await enrol(entry: honest.signed(by: relay.admin.id, key: SigningKeyPair.generate()))
        #expect(forged.status == .unprocessableContent && forged.problemCode == "admin.entry-signature", "\(forged.text)")
        let otherKeys = DirectoryEntry(member: id, displayName: "Eve", agencyName: "School-A", agencyKind: "school",
                                       signingKey: SigningKeyPair.generate().publicKey, encryptionKey: keys.encryption.publicKey, issuedAt: 1)
        let mismatch = try await enrol(entry: otherKeys.signed(by: relay.admin.id, key: relay.admin.keys.signing))
        #expect(mismatch.status == .unprocessableContent && mismatch.problemCode == "admin.entry-mismatch", "\(mismatch.text)")
        #expect(try await enrol(entry: honest.signed(by: relay.admin.id, key: relay.admin.keys.signing)).status == .created)
    }

    @Test func aRequestAnsweredByAShareAndEveryAcceptanceProvablyInTheLog() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, _) = try await relay.standardCast()
        let request = try await relay.build(.request, from: bob, to: [alice.id])
        let requestID = try PacketHeader(derEncoded: request.headerBytes).id
        let asked = try await relay.send(request, as: bob).json(AcceptReceipt.self)
        _ = try await relay.fetchAndOpen(requestID, as: alice, from: bob.id)
        let answer = try await relay.build(.share, from: alice, to: [bob.id], inReplyTo: requestID)
        #expect(try await relay.send(answer, as: alice).status == .created)
        #expect(try await relay.status(requestID, as: bob).state == "answered")

        let checkpoint = try await relay.request(bob, .get, "/v1/audit/checkpoint").json(CheckpointBody.self)
        let leaf = try await relay.request(relay.admin, .get, "/v1/audit/leaves?start=\(asked.leafIndex)&end=\(asked.leafIndex + 1)").json(LeavesBody.self)
        let first = try #require(leaf.leaves.first)
        let data = Array(try #require(Data(base64Encoded: first)))
        let event = try AuditEvent(derEncoded: data)
        #expect(event.kind == "packet.accepted" && event.packetID == requestID.bytes && event.actor == bob.id.rawValue)
        #expect(!event.attributes.contains { $0.value.contains("CASE-7") }, "leaves carry metadata only")
        let proof = try await relay.request(bob, .get, "/v1/audit/inclusion?index=\(asked.leafIndex)&size=\(checkpoint.size)").json(ProofBody.self)
        try MerkleVerifier.verifyInclusion(leafHash: MerkleHash.leaf(data), index: asked.leafIndex, size: checkpoint.size,
                                           proof: proof.proof.map { Array(Data(base64Encoded: $0) ?? Data()) },
                                           root: Array(try #require(Data(base64Encoded: checkpoint.root))))
    }
}
