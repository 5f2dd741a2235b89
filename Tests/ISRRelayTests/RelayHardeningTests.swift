import Foundation
import HTTPTypes
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import ISRStore
import ISRAudit
import Testing
@testable import ISRRelay

/// What a fuzzer and a review found, fixed: proofs asked beyond the log are the client's mistake (422: the request matches
/// the OpenAPI document, the log has no such tree), not a damaged store (503); a known path asked with an undeclared method answers 405 with `Allow`; a reply cannot tell an unknown
/// packet from someone else's; member ids and role addresses cannot collide; a file cannot add an admin to a used store.
@Suite(.serialized) struct RelayHardeningTests {
    @Test func proofsBeyondTheLogAreRefusedNotStoreFailures() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        for path in ["/v1/audit/inclusion?index=571&size=1", "/v1/audit/consistency?new=1099511627776&old=0", "/v1/audit/inclusion?index=0&size=1099511627776",
                     "/v1/audit/consistency?old=5&new=2"] {
            let reply = try await relay.request(relay.admin, .get, path)
            #expect(reply.status == .unprocessableContent && reply.problemCode == "audit.range", "\(path): \(reply.status) \(reply.text)")
        }
        // Schemathesis found these crashed the relay (an unsigned cursor past Int64 converted for SQLite).
        for path in ["/v1/audit/mine?size=1&after=18446744073709551614", "/v1/audit/leaves?start=18446744073709551614&end=18446744073709551615"] {
            let reply = try await relay.request(relay.admin, .get, path)
            #expect(reply.status == .ok || reply.status == .unprocessableContent, "\(path): \(reply.status) \(reply.text)")
        }
        #expect(try await relay.request(relay.admin, .get, "/v1/audit/mine?size=1&after=18446744073709551614").json(PartyLeavesBody.self).leaves.isEmpty)
    }

    /// Path parameters are percent-decoded (a client may send `alice%40school-a`), and an admin cannot lock themselves
    /// out: not by suspending their own agency, revoking themselves or changing their own role (fuzzing did all three).
    @Test func pathsArePercentDecodedAndAdminsCannotLockThemselvesOut() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, _, _) = try await relay.standardCast()
        let entry = try await relay.request(alice, .get, "/v1/directory/alice%40school-a")
        #expect(try entry.status == .ok && entry.json(DirectoryMember.self).id == "alice@school-a", "\(entry.text)")
        let admin = relay.admin.id
        for (path, body) in [("/v1/admin/agencies/\(admin.agency)/suspend", [String: Any]()), ("/v1/admin/members/\(admin)/revoke", ["reason": "testing"]),
                             ("/v1/admin/members/\(admin.rawValue.replacingOccurrences(of: "@", with: "%40"))/role", ["role": "practitioner"])] {
            let reply = try await relay.json(relay.admin, .post, path, body)
            #expect(reply.status == .conflict && reply.problemCode == "admin.self", "\(path): \(reply.status) \(reply.text)")
        }
        #expect(try await relay.request(relay.admin, .get, "/v1/inbox").status == .ok, "the admin still works")
        // Names and reasons are checked as the document states them: characters, not bytes; something besides white space.
        let blank = try await relay.json(relay.admin, .post, "/v1/admin/members/alice@school-a/revoke", ["reason": " \t\n "])
        #expect(blank.status == .badRequest && blank.problemCode == "admin.reason", "\(blank.text)")
        let long = try await relay.json(relay.admin, .post, "/v1/admin/agencies", ["id": "wide", "name": String(repeating: "é", count: 200), "kind": "school"])
        #expect(long.status == .created, "200 characters of two bytes each are 200 characters: \(long.text)")
    }

    @Test func anUndeclaredMethodOnAKnownPathIs405WithAllow() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        for (method, path, allow) in [(HTTPRequest.Method.trace, "/v1/inbox", "GET"), (.delete, "/v1/packets/00112233445566778899aabbccddeeff", "GET"),
                                      (.put, "/v1/packets", "POST"), (.post, "/v1/audit/checkpoint", "GET")] {
            let reply = try await relay.request(relay.admin, method, path)
            #expect(reply.status == .methodNotAllowed && reply.problemCode == "http.405", "\(method) \(path): \(reply.status) \(reply.text)")
            #expect(reply.headers[.allow] == allow, "\(method) \(path)")
        }
        #expect(try await relay.request(relay.admin, .get, "/v1/nothing-here").status == .notFound)
    }

    @Test func aReplyCannotTellAnUnknownPacketFromSomeoneElses() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, carol) = try await relay.standardCast()
        let share = try await relay.build(.share, from: alice, to: [bob.id])
        let id = try PacketHeader(derEncoded: share.headerBytes).id
        #expect(try await relay.send(share, as: alice).status == .created)
        let unknown = try PacketID(hex: "00112233445566778899aabbccddeeff")
        let theirs = try await relay.send(try await relay.build(.readback, from: carol, to: [alice.id], inReplyTo: id), as: carol)
        let nobodys = try await relay.send(try await relay.build(.readback, from: carol, to: [alice.id], inReplyTo: unknown), as: carol)
        #expect(theirs.status == .unprocessableContent && theirs.problemCode == "lifecycle.not-a-party", "\(theirs.text)")
        #expect(nobodys.status == theirs.status && nobodys.text == theirs.text.replacingOccurrences(of: id.hex, with: unknown.hex), "\(nobodys.text)")
    }

    @Test func memberIDsAndRoleAddressesCannotCollide() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (_, _, bob, _) = try await relay.standardCast()
        #expect(try await relay.json(relay.admin, .put, "/v1/admin/roles/duty@devon-csc", ["members": [bob.id.rawValue]]).status == .ok)
        // Enrolling, or inviting, someone under the role's address is refused; so is a role address named like a member.
        let duty = Member(id: try MemberID("duty@devon-csc"), displayName: "Duty", role: .practitioner, signingKey: Array(repeating: 1, count: 32),
                          encryptionKey: Array(repeating: 2, count: 32), certificateFingerprint: "f", directoryEntry: nil, enrolledAt: 1)
        await #expect(throws: StoreError.self, "a member cannot take a role address's id") {
            try await relay.service.store.insertMember(duty, event: AuditEvent(kind: "member.enrolled", time: 1, actor: "test"))
        }
        let invite = try await relay.json(relay.admin, .post, "/v1/admin/invitations", ["items": [[
            "member": "duty@devon-csc", "display_name": "Duty", "role": "practitioner", "code_hash": Data(SHA256.hash([1])).base64EncodedString(),
            "expires_in_seconds": 3600]]])
        #expect(invite.status == .conflict && invite.text.contains("is a role address"), "\(invite.text)")
        let role = try await relay.json(relay.admin, .put, "/v1/admin/roles/bob@devon-csc", ["members": [bob.id.rawValue]])
        #expect(role.status == .conflict && role.text.contains("is a member"), "\(role.text)")
    }

    @Test func aFirstAdminFileAddsNoAdminToAStoreInUse() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let intruder = SigningKeyPair.generate()
        let file = FirstAdmin(id: "mallory@devon-la", displayName: "Mallory", agencyName: "Devon LA", agencyKind: "local-authority",
                              signingKey: Data(intruder.publicKey.bytes).base64EncodedString(),
                              encryptionKey: Data(EncryptionKeyPair.generate().publicKey.bytes).base64EncodedString(),
                              certificateFingerprint: String(repeating: "ab", count: 32), directoryEntry: "")
        let path = NSTemporaryDirectory() + "first-admin-\(UUID().uuidString).json"
        try FirstAdmin.coders.0.encode(file).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await RelayServer.registerFirstAdmin(path, service: relay.service)
        #expect(try await relay.service.store.member(try MemberID("mallory@devon-la")) == nil)
    }

    @Test func namesAndReasonsFromTheNetworkRefuseControlCharacters() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (_, _, bob, _) = try await relay.standardCast()
        let agency = try await relay.json(relay.admin, .post, "/v1/admin/agencies", ["id": "school-b", "name": "School B\u{1B}[2J", "kind": "school"])
        #expect(agency.status == .badRequest && agency.problemCode == "admin.invalid-name", "\(agency.text)")
        let revoke = try await relay.json(relay.admin, .post, "/v1/admin/members/\(bob.id.rawValue)/revoke", ["reason": "left\u{07}"])
        #expect(revoke.status == .badRequest && revoke.problemCode == "admin.reason", "\(revoke.text)")
    }

    @Test func aThirdAgencySeesNothingOfAnotherAgencysSharing() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, _) = try await relay.standardCast()
        try await relay.addAgency("police-a", kind: "police")
        let pete = try await relay.enrol("pete@police-a")
        let (id, _) = try await relay.acknowledgedShare(from: alice, to: bob)
        // (The packet id itself pete already has: he asks with it, and is answered as for an id that does not exist.)
        let secrets = ["alice@school-a", "bob@devon-csc", "child-in-need", "CASE-7"]
        // The whole log is for admins; pete's own events name only him.
        #expect(try await relay.request(pete, .get, "/v1/audit/leaves?start=0&end=1").problemCode == "audit.whole-log")
        let size = try await relay.request(pete, .get, "/v1/audit/checkpoint").json(CheckpointBody.self).size
        let mine = try await relay.request(pete, .get, "/v1/audit/mine?size=\(size)").json(PartyLeavesBody.self)
        let events = try mine.leaves.map { try AuditEvent(derEncoded: Array(Data(base64Encoded: $0.leaf) ?? Data())) }
        #expect(events.allSatisfy { $0.actor == "pete@police-a" } , "\(events.map(\.kind))")
        var seen = mine.leaves.map(\.leaf).joined()
        for event in events { seen += String(decoding: event.derEncoded(), as: UTF8.self) }
        for path in ["/v1/inbox", "/v1/sent", "/v1/notices", "/v1/packets/\(id.hex)/status", "/v1/packets/\(id.hex)"] {
            let reply = try await relay.request(pete, .get, path)
            let unknown = try await relay.request(pete, .get, path.replacingOccurrences(of: id.hex, with: "00112233445566778899aabbccddeeff"))
            #expect(reply.status == unknown.status && reply.text.replacingOccurrences(of: id.hex, with: "00112233445566778899aabbccddeeff") == unknown.text, "\(path)")
            seen += reply.text
        }
        seen += try await relay.json(pete, .post, "/v1/record", ["subject_reference": "CASE-7"]).text
        for secret in secrets { #expect(!seen.contains(secret), "pete learned \(secret): \(seen.prefix(3000))") }
        // Alice's own events include her share, its delivery and bob's read-back, each proved in the tree.
        let hers = try await relay.request(alice, .get, "/v1/audit/mine?size=\(size)").json(PartyLeavesBody.self)
        let kinds = try hers.leaves.map { try AuditEvent(derEncoded: Array(Data(base64Encoded: $0.leaf) ?? Data())).kind }
        #expect(kinds.contains("packet.accepted") && kinds.contains("packet.delivered") && kinds.contains("packet.readback"), "\(kinds)")
        #expect(try await relay.request(alice, .get, "/v1/audit/mine?size=0").problemCode == "audit.range")
    }

    /// An auditor reads the whole log and does nothing else: sends nothing, receives nothing, administers nobody; only a
    /// deployment admin makes one.
    @Test func anAuditorReadsTheWholeLogAndNothingMore() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, carol) = try await relay.standardCast()
        try await relay.addAgency("lscp", kind: "local-authority")
        let audrey = try await relay.enrol("audrey@lscp", role: "auditor", agencyKind: "local-authority")
        _ = try await relay.acknowledgedShare(from: alice, to: bob)
        let size = try await relay.request(audrey, .get, "/v1/audit/checkpoint").json(CheckpointBody.self).size
        let leaves = try await relay.request(audrey, .get, "/v1/audit/leaves?start=0&end=\(size)")
        #expect(leaves.status == .ok, "\(leaves.text)")
        let kinds = try leaves.json(LeavesBody.self).leaves.map { try AuditEvent(derEncoded: Array(Data(base64Encoded: $0) ?? Data())).kind }
        #expect(kinds.contains("packet.accepted") && kinds.contains("packet.readback") && kinds.count == Int(size), "\(kinds)")
        let send = try await relay.send(try await relay.build(.share, from: audrey, to: [bob.id]), as: audrey)
        #expect(send.status == .forbidden && send.problemCode == "auditor.read-only", "\(send.text)")
        let toAuditor = try await relay.send(try await relay.build(.share, from: alice, to: [audrey.id]), as: alice)
        #expect(toAuditor.status == .unprocessableContent && toAuditor.problemCode == "recipient.auditor", "\(toAuditor.text)")
        let role = try await relay.json(relay.admin, .put, "/v1/admin/roles/scrutiny@lscp", ["members": [audrey.id.rawValue]])
        #expect(role.status == .unprocessableContent && role.problemCode == "admin.role-auditor", "\(role.text)")
        #expect(try await relay.json(audrey, .post, "/v1/admin/agencies", ["id": "x-a", "name": "X", "kind": "school"]).problemCode == "admin.required")
        #expect(try await relay.json(audrey, .post, "/v1/admin/members/bob@devon-csc/revoke", ["reason": "no"]).problemCode == "admin.required")
        // (An agency admin cannot make an auditor: RelayAgencyAdminTests.)
        // Revocation reasons are for admins: the log (which the auditor reads) binds each by its SHA-256 only.
        let reason = "Left the service after a conduct investigation"
        #expect(try await relay.json(relay.admin, .post, "/v1/admin/members/\(carol.id)/revoke", ["reason": reason]).status == .ok)
        let after = try await relay.request(audrey, .get, "/v1/audit/checkpoint").json(CheckpointBody.self).size
        let log = try await relay.request(audrey, .get, "/v1/audit/leaves?start=0&end=\(after)").json(LeavesBody.self).leaves
        let events = try log.map { try AuditEvent(derEncoded: Array(Data(base64Encoded: $0) ?? Data())) }
        #expect(events.allSatisfy { !$0.attributes.contains { $0.value.contains("conduct") } }, "no event holds the reason")
        let revoked = try #require(events.lastIndex { $0.kind == "member.revoked" })
        let attributes = Dictionary(events[revoked].attributes, uniquingKeysWith: { a, _ in a })
        #expect(attributes["reason-sha256"] == Hex.encode(SHA256.hash(Array(reason.utf8))) && attributes["reason"] == nil, "\(attributes)")
        let reasons = try await relay.request(relay.admin, .get, "/v1/admin/revocations").json(ListBody<RevocationBody>.self).items
        #expect(reasons.map(\.reason) == [reason] && reasons.first?.leafIndex == UInt64(revoked) && reasons.first?.member == carol.id.rawValue, "\(reasons)")
        for outsider in [audrey, alice] {
            #expect(try await relay.request(outsider, .get, "/v1/admin/revocations").problemCode == "admin.required")
        }
    }
}
