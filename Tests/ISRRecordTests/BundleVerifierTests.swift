import Foundation
import ISRAudit
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import ISRTestSupport
import Testing
@testable import ISRRecord

/// A small deployment made in memory with real keys: an admin, a teacher and a social worker, one share read with a
/// signed receipt, a relay log with a signed checkpoint. Bundles of it are verified, altered and refused.
struct Deployment {
    let admin = try! MemberID("admin@devon-la")
    let adminKey = SigningKeyPair.generate()
    let relayKey = SigningKeyPair.generate()
    let alice = try! MemberID("alice@school-a")
    let aliceKey = SigningKeyPair.generate()
    let bob = try! MemberID("bob@devon-csc")
    let bobKey = SigningKeyPair.generate()
    let bobBox = EncryptionKeyPair.generate()
    let contentKey = ContentKey.generate()
    let header: PacketHeader
    let body = PacketBody(statement: "Attendance and presentation",
                          items: [BodyItem(tag: .fact, text: "Attendance 62% this term", source: "register", refersTo: "2026-11-13")],
                          fields: [SubjectField(name: "name", value: "Sam Example")], consentDetail: "Given by mother", subjectInformed: true)
    let packet: SealedPacket
    var events: [AuditEvent] = []

    init() throws {
        header = PacketHeader(kind: .share, sender: alice, recipients: [bob], purpose: "child-in-need", lawfulBasis: "public-task", consent: .given,
                              createdAt: 1_795_000_000, fieldNames: ["name"], subjectReference: "CASE-1", retentionDays: 90)
        packet = try PacketSealer.seal(header: header, body: body, deviceKeys: [bob: [bob: [bobBox.publicKey]]], signer: aliceKey, contentKey: contentKey)
        let digest = SHA256.hash(packet.bytes)
        events = [
            AuditEvent(kind: "member.enrolled", time: 1, actor: "relay", attributes: ["member": admin.rawValue]),
            AuditEvent(kind: "packet.accepted", time: 1_795_000_001_000, actor: alice.rawValue, packetID: header.id.bytes, attributes: ["digest": Hex.encode(digest)]),
            AuditEvent(kind: "packet.delivered", time: 1_795_000_002_000, actor: bob.rawValue, packetID: header.id.bytes),
            AuditEvent(kind: "packet.read", time: 1_795_000_003_000, actor: bob.rawValue, packetID: header.id.bytes, attributes: [
                "receipt": Hex.encode(DeliveryReceipt.sign(packet: packet.bytes, id: header.id, recipient: bob, key: bobKey)),
            ]),
        ]
    }

    func entry(_ member: MemberID, _ key: SigningKeyPair, name: String) -> [UInt8] {
        DirectoryEntry(member: member, displayName: name, agencyName: member.agency.rawValue, agencyKind: "school", signingKey: key.publicKey,
                       encryptionKey: EncryptionKeyPair.generate().publicKey, issuedAt: 1).signed(by: admin, key: adminKey)
    }

    /// A bundle of the share, its leaves proved against a checkpoint of `checkpointSize` leaves (default: all of them).
    func bundle(checkpointSize: UInt64? = nil, leafIndices: [UInt64] = [1, 2, 3], contentKey include: Bool = true,
                signer: SigningKeyPair? = nil, extraEvents: [AuditEvent] = []) throws -> [UInt8] {
        let all = events + extraEvents
        let nodes = InMemoryMerkleNodes()
        let log = MerkleLog(store: nodes)
        for (index, event) in all.enumerated() { nodes.insert(try log.nodesForAppend(leafHash: event.leafHash, at: UInt64(index))) }
        let size = checkpointSize ?? UInt64(all.count)
        let checkpoint = try SignedCheckpoint(signing: Checkpoint(origin: "relay.test", size: size, root: try log.rootHash(size: size), time: 1_795_000_009_000),
                                              with: relayKey)
        let leaves = try leafIndices.map { index in
            EvidenceBundle.Leaf(index: index, data: all[Int(index)].derEncoded(),
                                proof: index < size ? try log.inclusionProof(index: index, size: size) : try log.inclusionProof(index: index, size: UInt64(all.count)))
        }
        let key = contentKey.secret.withUnsafeBytes { Array($0) }
        let evidence = EvidenceBundle(exporter: alice, exportedAt: 1_795_000_010_000, admin: admin, adminKey: adminKey.publicKey, origin: "relay.test",
                                      relayKey: relayKey.publicKey, directoryEntries: [entry(alice, aliceKey, name: "Alice Smith"), entry(bob, bobKey, name: "Bob Jones")],
                                      packets: [(header.id, EvidenceBundle.Packet(bytes: packet.bytes, contentKey: include ? key : nil))],
                                      checkpoint: checkpoint.encoded(), checkpointSize: size, leaves: leaves, report: "<!DOCTYPE html><title>r</title>",
                                      redactedFields: include ? [] : ["name"])
        return try evidence.write(signedBy: signer ?? aliceKey).bytes
    }
}

@Suite(.blocksThreads) struct BundleVerifierTests {
    @Test func aBundleProvesWhoSentWhatWhoReadItAndThatItIsInTheLog() throws {
        let deployment = try Deployment()
        let result = try BundleVerifier.verify(try deployment.bundle(), adminKey: deployment.adminKey.publicKey.fingerprint)
        #expect(result.exporter == "alice@school-a" && result.logSize == 4 && result.leaves == 3 && result.limits.isEmpty)
        let packet = try #require(result.packets.first)
        #expect(packet.bodyProven && packet.acceptedLeaf == 1)
        #expect(result.text.contains("was sent by alice@school-a (Alice Smith, school-a)") && result.text.contains("read by bob@devon-csc (Bob Jones, devon-csc)"))
        #expect(result.text.contains("signed receipt ✓") && result.text.contains("All 3 events are in log relay.test of size 4"), "\(result.text)")
    }

    @Test func everyChangedByteOfTheBundleIsCaught() throws {
        let bytes = try Deployment().bundle()
        for index in bytes.indices {
            var changed = bytes
            changed[index] ^= 0x01
            #expect(throws: RecordError.self, "byte \(index) of \(bytes.count)") { try BundleVerifier.verify(changed) }
        }
    }

    @Test func aCheckpointThatDoesNotExtendToALeafIsRefused() throws {
        let deployment = try Deployment()
        let error = try #require(throws: RecordError.self) { try BundleVerifier.verify(try deployment.bundle(checkpointSize: 3)) }
        #expect(error.code == .unverified && error.message.contains("does not extend to leaf 3"), "\(error.message)")
    }

    @Test func aLeafLeftOutOrAForgedReceiptIsRefused() throws {
        let deployment = try Deployment()
        // Without the acceptance leaf nothing ties the packet to the log.
        let missing = try #require(throws: RecordError.self) { try BundleVerifier.verify(try deployment.bundle(leafIndices: [2, 3])) }
        #expect(missing.message.contains("no log leaf recording the relay's acceptance"))
        // A receipt signed by someone else's key.
        let forged = AuditEvent(kind: "packet.read", time: 1_795_000_004_000, actor: deployment.bob.rawValue, packetID: deployment.header.id.bytes, attributes: [
            "receipt": Hex.encode(DeliveryReceipt.sign(packet: deployment.packet.bytes, id: deployment.header.id, recipient: deployment.bob, key: deployment.aliceKey)),
        ])
        let refused = try #require(throws: RecordError.self) {
            try BundleVerifier.verify(try deployment.bundle(leafIndices: [1, 2, 3, 4], extraEvents: [forged]))
        }
        #expect(refused.message.contains("is not bob@devon-csc's signature"), "\(refused.message)")
    }

    @Test func aManifestSignedByAnyoneButTheVouchedExporterIsRefused() throws {
        let deployment = try Deployment()
        let error = try #require(throws: RecordError.self) { try BundleVerifier.verify(try deployment.bundle(signer: SigningKeyPair.generate())) }
        #expect(error.code == .unverified && error.message.contains("not signed by alice@school-a"))
        let pinned = try #require(throws: RecordError.self) { try BundleVerifier.verify(try deployment.bundle(), relayKey: "0000") }
        #expect(pinned.message.contains("not the 0000 you expected"))
    }

    @Test func aWithheldBodyIsSaidPlainlyAndTheRestStillVerifies() throws {
        let result = try BundleVerifier.verify(try Deployment().bundle(contentKey: false))
        #expect(result.packets.first?.bodyProven == false && result.redactedFields == ["name"])
        #expect(result.text.contains("Redacted for disclosure: name withheld") && result.text.contains("body withheld"))
    }

    @Test func theIndependentPythonVerifierAgrees() throws {
        let deployment = try Deployment()
        let dir = NSTemporaryDirectory() + "isr-bundle-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ISRPacketTests/Vectors/verify_bundle.py").path
        func python(_ bytes: [UInt8]) throws -> (Int32, String) {
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/b.tar"))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [script, dir + "/b.tar"]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = out
            try process.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        let good = try python(try deployment.bundle())
        #expect(good.0 == 0 && good.1.contains("second implementation: bundle verified, 1 packets, 3 events in log relay.test of size 4"), "\(good.1)")
        #expect(try python(try deployment.bundle(checkpointSize: 3)).1.contains("does not extend to leaf 3"))
        #expect(try python(try deployment.bundle(signer: SigningKeyPair.generate())).0 == 1)
    }
}
