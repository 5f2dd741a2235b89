import ISRCrypto
import Testing
@testable import ISRPacket

@Suite struct PacketRoundTripTests {
    @Test(arguments: PacketKind.allCases)
    func everyKindRoundTrips(kind: PacketKind) throws {
        let packet = try Samples.packet(kind)
        let opened = try PacketOpener.open(packet.bytes, as: Cast.bob.id, keys: Cast.bob.keys.encryption,
                                           senderKey: Cast.alice.keys.signing.publicKey, expectedSender: Cast.alice.id)
        #expect(opened.header == Samples.header(kind, fields: Samples.fields(kind)))
        #expect(opened.body == Samples.body(kind))
        #expect(opened.header.kind == kind)
        #expect(try opened.header.derEncoded() == packet.headerBytes, "the header re-encodes to the signed bytes")
        #expect(try SealedPacket(encoded: packet.bytes) == packet)
    }

    @Test func itemsKeepTheirTagsSourcesAndDates() throws {
        let opened = try PacketOpener.open(Samples.packet(.share).bytes, as: Cast.bob.id, keys: Cast.bob.keys.encryption, senderKey: Cast.alice.keys.signing.publicKey)
        #expect(opened.body.items.map(\.tag) == [.fact, .opinion, .reported])
        #expect(opened.body.items[2].source == "the child, to the class teacher")
        #expect(opened.body.items[0].refersTo == "2026-11-13")
        #expect(opened.header.fieldNames == ["date_of_birth", "name"], "the header lists names, sorted")
        #expect(!opened.sealed.headerBytes.containsSubsequence(Array("Sam Example".utf8)), "values never appear in the header")
        #expect(!opened.sealed.bytes.containsSubsequence(Array("Sam Example".utf8)), "nor anywhere in clear")
    }

    @Test func aPacketSealedForBobCannotBeOpenedByCarol() throws {
        let packet = try Samples.packet(.share)
        let error = #expect(throws: PacketError.self) {
            try PacketOpener.open(packet.bytes, as: Cast.carol.id, keys: Cast.carol.keys.encryption, senderKey: Cast.alice.keys.signing.publicKey)
        }
        #expect(error?.code == .notForRecipient)
        // Carol claiming to be Bob still cannot open Bob's stanza.
        let claimed = #expect(throws: PacketError.self) {
            try PacketOpener.open(packet.bytes, as: Cast.bob.id, keys: Cast.carol.keys.encryption, senderKey: Cast.alice.keys.signing.publicKey)
        }
        #expect(claimed?.code == .stanzaUnreadable)
    }

    @Test func aRoleAddressReachesEveryMemberWithTheirOwnStanza() throws {
        let packet = try Samples.packet(.share, to: [Cast.bob.id, Cast.duty])
        #expect(packet.stanzas.map(\.recipient) == [Cast.bob.id, Cast.carol.id, Cast.dan.id])
        for member in [Cast.bob, Cast.carol, Cast.dan] {
            let opened = try PacketOpener.open(packet.bytes, as: member.id, keys: member.keys.encryption, senderKey: Cast.alice.keys.signing.publicKey)
            #expect(opened.body == Samples.body(.share))
            #expect(opened.header.recipients == [Cast.bob.id, Cast.duty])
        }
        #expect(throws: PacketError.self) {
            try PacketOpener.open(packet.bytes, as: Cast.mallory.id, keys: Cast.mallory.keys.encryption, senderKey: Cast.alice.keys.signing.publicKey)
        }
    }

    @Test func everyFlippedByteIsRefused() throws {
        let packet = try Samples.packet(.share)
        let key = Cast.alice.keys.signing.publicKey
        var codes: [PacketError.Code: Int] = [:]
        for index in packet.bytes.indices {
            var altered = packet.bytes
            altered[index] ^= 0x01
            do {
                _ = try PacketOpener.open(altered, as: Cast.bob.id, keys: Cast.bob.keys.encryption, senderKey: key)
                Issue.record("a packet with byte \(index) flipped was accepted")
            } catch {
                codes[error.code, default: 0] += 1
            }
        }
        // Content bytes (header, stanza keys, body, signature) fail the signature; framing bytes fail parsing.
        #expect(codes[.badSignature, default: 0] > packet.bytes.count * 9 / 10)
        #expect(Set(codes.keys).isSubset(of: [.badSignature, .malformed, .truncated, .unsupportedVersion]))
    }

    @Test func flipsInEachRegionFailTheSignature() throws {
        let packet = try Samples.packet(.share)
        for (region, needle) in [("header", packet.headerBytes), ("stanza", packet.stanzas[0].sealedKey), ("body", packet.body), ("signature", packet.signature)] {
            let offset = try #require(packet.bytes.firstRange(of: needle)).lowerBound
            for delta in [0, needle.count / 2, needle.count - 1] {
                var altered = packet.bytes
                altered[offset + delta] ^= 0x80
                let error = #expect(throws: PacketError.self, "\(region) byte \(delta)") {
                    try PacketOpener.open(altered, as: Cast.bob.id, keys: Cast.bob.keys.encryption, senderKey: Cast.alice.keys.signing.publicKey)
                }
                #expect(error?.code == .badSignature, "\(region)")
            }
        }
    }

    @Test func swappingAHeaderOntoAnotherBodyFails() throws {
        let first = try Samples.packet(.share)
        let second = try Samples.packet(.share)
        // Same header bytes, second packet's stanzas and body, first packet's signature.
        let spliced = try SealedPacket(headerBytes: first.headerBytes, stanzas: second.stanzas, body: second.body) { _ in first.signature }
        let error = #expect(throws: PacketError.self) {
            try PacketOpener.open(spliced.bytes, as: Cast.bob.id, keys: Cast.bob.keys.encryption, senderKey: Cast.alice.keys.signing.publicKey)
        }
        #expect(error?.code == .badSignature)
    }

    @Test func reAddressingTheSameCiphertextFails() throws {
        let original = try Samples.packet(.share)
        var header = Samples.header(.share, fields: Samples.fields(.share))
        header.recipients = [Cast.mallory.id]
        let readdressedHeader = try header.derEncoded()
        // Mallory copies the ciphertext and signature, names herself, and cannot re-seal the content key.
        let forged = try SealedPacket(headerBytes: readdressedHeader, stanzas: original.stanzas, body: original.body) { _ in original.signature }
        let error = #expect(throws: PacketError.self) {
            try PacketOpener.open(forged.bytes, as: Cast.bob.id, keys: Cast.bob.keys.encryption, senderKey: Cast.alice.keys.signing.publicKey)
        }
        #expect(error?.code == .badSignature)
        // And the relay-side check refuses it without opening anything.
        #expect(throws: PacketError.self) { try forged.verifiedHeader(signedBy: Cast.alice.keys.signing.publicKey) }
    }

    @Test func aSpoofedSenderIsRefused() throws {
        let packet = try Samples.packet(.share, from: Cast.mallory)
        let wrongKey = #expect(throws: PacketError.self) { try packet.verifiedHeader(signedBy: Cast.alice.keys.signing.publicKey) }
        #expect(wrongKey?.code == .badSignature)
        let header = try packet.verifiedHeader(signedBy: Cast.mallory.keys.signing.publicKey)
        #expect(header.sender == Cast.mallory.id)
        let claimed = #expect(throws: PacketError.self) {
            try packet.verifiedHeader(signedBy: Cast.mallory.keys.signing.publicKey, expectedSender: Cast.alice.id)
        }
        #expect(claimed?.code == .senderMismatch)
    }

    @Test func oversizeAndTruncatedInputsGiveClearErrors() throws {
        let packet = try Samples.packet(.share)
        let small = PacketLimits(maximumPacketBytes: 512, maximumRecipients: 32, maximumStanzas: 128)
        let tooLarge = #expect(throws: PacketError.self) { try SealedPacket(encoded: packet.bytes, limits: small) }
        #expect(tooLarge?.code == .tooLarge)
        #expect(tooLarge?.message.contains("limit is 512") == true)
        let huge = PacketBody(statement: String(repeating: "x", count: 16 * 1024),
                              items: (0..<4).map { _ in BodyItem(tag: .fact, text: String(repeating: "y", count: 16 * 1024), source: "s", refersTo: "2026-01-01") })
        let building = #expect(throws: PacketError.self) {
            try PacketSealer.seal(header: Samples.header(.share), body: huge, keys: Samples.keys(for: [Cast.bob.id]), signer: Cast.alice.keys.signing)
        }
        #expect(building?.code == .tooLarge)
        for length in 0..<packet.bytes.count {
            let error = #expect(throws: PacketError.self) { try SealedPacket(encoded: Array(packet.bytes.prefix(length))) }
            #expect(error?.code == .truncated || error?.code == .malformed, "prefix \(length)")
        }
        #expect(throws: PacketError.self) { try SealedPacket(encoded: packet.bytes + [0]) }
    }

    @Test func sealingRefusesInconsistentInput() throws {
        let header = Samples.header(.share, fields: ["name"])
        let mismatch = #expect(throws: PacketError.self) {
            try PacketSealer.seal(header: header, body: Samples.body(.share), keys: Samples.keys(for: [Cast.bob.id]), signer: Cast.alice.keys.signing)
        }
        #expect(mismatch?.code == .fieldsMismatch)
        let noKey = #expect(throws: PacketError.self) {
            try PacketSealer.seal(header: Samples.header(.readback), body: Samples.body(.readback), keys: [:], signer: Cast.alice.keys.signing)
        }
        #expect(noKey?.code == .recipientKeys)
        let emptyRole = #expect(throws: PacketError.self) {
            try PacketSealer.seal(header: Samples.header(.readback, to: [Cast.duty]), body: Samples.body(.readback), keys: [Cast.duty: [:]], signer: Cast.alice.keys.signing)
        }
        #expect(emptyRole?.code == .recipientKeys)
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool { firstRange(of: needle) != nil }
}
