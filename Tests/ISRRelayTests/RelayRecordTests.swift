import Foundation
import ISRAudit
import ISRCrypto
import ISRPacket
import ISRRelayAPI
import Testing

/// The relay's part of the record over mutual TLS: a chronology query answered only for the caller's own packets
/// (replies found with the share they answer), and exports recorded as audit leaves without the subject reference.
@Suite(.serialized) struct RelayRecordTests {
    @Test func aMemberFindsOnlyTheirOwnPacketsAboutACase() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, dsl, bob, carol) = try await relay.standardCast()
        let (share, _) = try await relay.acknowledgedShare(from: alice, to: bob)
        func record(_ person: Person, _ reference: String) async throws -> (Int, [String], String) {
            let reply = try await relay.json(person, .post, "/v1/record", ["subject_reference": reference])
            let ids = (try? reply.json(ListBody<PacketStatus>.self).items.map(\.id)) ?? []
            return (Int(reply.status.code), ids, reply.text)
        }
        // The share and bob's read-back (which carries no reference of its own) for both parties, oldest first.
        let mine = try await record(alice, "CASE-7")
        #expect(mine.0 == 200 && mine.1.count == 2 && mine.1.first == share.hex, "\(mine.2)")
        #expect(try await record(bob, "CASE-7").1 == mine.1)
        // Carol (bob's agency) and the sender's DSL hold no stanza: the same empty answer as a case nobody wrote about.
        for person in [carol, dsl] {
            let outsider = try await record(person, "CASE-7")
            let unknown = try await record(person, "CASE-UNKNOWN")
            #expect(outsider.0 == 200 && outsider.1.isEmpty && outsider.2 == unknown.2, "\(outsider.2)")
        }
        let bad = try await relay.json(alice, .post, "/v1/record", ["subject_reference": "Sam Example"])
        #expect(bad.status == .badRequest && bad.problemCode == "record.subject-reference", "\(bad.text)")
    }

    @Test func anExportIsAnAuditLeafNamingThePacketsAndTheManifestOnly() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, carol) = try await relay.standardCast()
        let (share, _) = try await relay.acknowledgedShare(from: alice, to: bob)
        let digest = Hex.encode(SHA256.hash(Array("manifest".utf8)))
        let reply = try await relay.json(alice, .post, "/v1/exports", ["packets": [share.hex], "manifest_digest": digest, "redacted": true])
        #expect(reply.status == .created, "\(reply.text)")
        let receipt = try reply.json(ExportReceipt.self)
        let leaves = try await relay.request(relay.admin, .get, "/v1/audit/leaves?start=\(receipt.leafIndex)&end=\(receipt.leafIndex + 1)").json(LeavesBody.self)
        let encoded = try #require(leaves.leaves.first)
        let leaf = try AuditEvent(derEncoded: Array(try #require(Data(base64Encoded: encoded))))
        #expect(leaf.kind == "record.exported" && leaf.actor == "alice@school-a")
        #expect(leaf.attributes.map(\.key) == ["manifest-sha256", "packets", "redacted"] && leaf.attributes.map(\.value) == [digest, share.hex, "yes"])
        #expect(!leaf.derEncoded().contains(Array("CASE-7".utf8)), "the subject reference never enters the log")
        // Only a party exports a packet; ids and digests are checked.
        let outsider = try await relay.json(carol, .post, "/v1/exports", ["packets": [share.hex], "manifest_digest": digest, "redacted": false])
        #expect(outsider.status == .notFound, "\(outsider.text)")
        let badDigest = try await relay.json(alice, .post, "/v1/exports", ["packets": [share.hex], "manifest_digest": "ABC", "redacted": false])
        #expect(badDigest.status == .badRequest && badDigest.problemCode == "export.manifest")
        let none = try await relay.json(alice, .post, "/v1/exports", ["packets": [String](), "manifest_digest": digest, "redacted": false])
        #expect(none.status == .badRequest && none.problemCode == "export.packets")
    }
}

extension Array where Element == UInt8 {
    func contains(_ needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<($0 + needle.count)]) == needle }
    }
}
