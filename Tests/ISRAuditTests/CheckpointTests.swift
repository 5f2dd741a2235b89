import ISRCrypto
import Testing
@testable import ISRAudit

@Suite struct CheckpointTests {
    let relay = SigningKeyPair.generate()
    let checkpoint = Checkpoint(origin: "relay.devon.example", size: 42, root: SHA256.hash(Array("root".utf8)), time: 1_795_000_000_123)

    @Test func signedCheckpointsVerifyWithTheRelayKeyOnly() throws {
        let signed = try SignedCheckpoint(signing: checkpoint, with: relay)
        let framed = try SignedCheckpoint(encoded: signed.encoded())
        #expect(try framed.verified(with: relay.publicKey) == checkpoint)
        let other = #expect(throws: AuditError.self) { try framed.verified(with: SigningKeyPair.generate().publicKey) }
        #expect(other?.code == .checkpointSignature)
        // A packet-header signature over the same bytes is not a checkpoint signature.
        let crossContext = SignedCheckpoint(checkpointBytes: signed.checkpointBytes, signature: relay.sign(signed.checkpointBytes, context: .header))
        #expect(throws: AuditError.self) { try crossContext.verified(with: relay.publicKey) }
        for index in signed.encoded().indices {
            var altered = signed.encoded()
            altered[index] ^= 0x01
            #expect(throws: AuditError.self) { try SignedCheckpoint(encoded: altered).verified(with: relay.publicKey) }
        }
    }

    @Test func malformedCheckpointsAreRefused() throws {
        #expect(throws: AuditError.self) { try Checkpoint(origin: "", size: 1, root: SHA256.hash([UInt8]()), time: 0).derEncoded() }
        #expect(throws: AuditError.self) { try Checkpoint(origin: "x", size: 1, root: [1, 2, 3], time: 0).derEncoded() }
        #expect(throws: AuditError.self) { try SignedCheckpoint(encoded: [UInt8](repeating: 0x30, count: 2000)) }
        #expect(throws: AuditError.self) { try SignedCheckpoint(encoded: [0x30, 0x00, 0x00]) }
        #expect(throws: AuditError.self) { try Checkpoint(derEncoded: try checkpoint.derEncoded() + [0]) }
    }

    @Test func auditEventsAreCanonicalAndCarryNoContent() throws {
        let event = AuditEvent(kind: "packet.accepted", time: 1_795_000_000_000, actor: "alice@school-a", packetID: Array(repeating: 7, count: 16),
                               attributes: ["recipients": "bob@health", "purpose": "child-in-need"])
        let bytes = event.derEncoded()
        #expect(try AuditEvent(derEncoded: bytes) == event)
        #expect(event.attributes.map(\.key) == ["purpose", "recipients"], "sorted by key")
        #expect(event.leafHash == MerkleHash.leaf(bytes))
        #expect(throws: AuditError.self) { try AuditEvent(derEncoded: bytes + [0]) }
        #expect(throws: AuditError.self) { try AuditEvent(derEncoded: Array(bytes.dropLast())) }
        let noPacket = AuditEvent(kind: "member.revoked", time: 1, actor: "admin@mash", attributes: ["member": "eve@school-b"])
        #expect(try AuditEvent(derEncoded: noPacket.derEncoded()) == noPacket)
    }
}

extension SignedCheckpoint {
    init(checkpointBytes: [UInt8], signature: [UInt8]) {
        try! self.init(encoded: SignedCheckpoint.frame(checkpointBytes, signature))
    }

    static func frame(_ checkpoint: [UInt8], _ signature: [UInt8]) -> [UInt8] {
        func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
            let length: [UInt8] = content.count < 128 ? [UInt8(content.count)] : [0x81, UInt8(content.count)]
            return [tag] + length + content
        }
        return tlv(0x30, tlv(0x04, checkpoint) + tlv(0x04, signature))
    }
}

@Suite struct EscalationNoticeTests {
    @Test func aNoticeSaysWhatIsLateAndOlderNoticesStillVerify() throws {
        let key = SigningKeyPair.generate()
        let id = Array(repeating: UInt8(7), count: 16)
        let late = EscalationNotice(packetID: id, sender: "alice@school-a", deadline: 1, overdueAt: 2, notified: ["alice@school-a"], late: "duty@devon-csc")
        #expect(try EscalationNotice.verified(late.signed(with: key), relayKey: key.publicKey) == late)
        let older = EscalationNotice(packetID: id, sender: "alice@school-a", deadline: 1, overdueAt: 2, notified: ["alice@school-a"])
        #expect(try EscalationNotice.verified(older.signed(with: key), relayKey: key.publicKey).late == nil, "a notice from before `late` existed")
        #expect(late.derEncoded() != older.derEncoded())
        #expect(throws: AuditError.self) { try EscalationNotice.verified(late.signed(with: SigningKeyPair.generate()), relayKey: key.publicKey) }
    }
}
