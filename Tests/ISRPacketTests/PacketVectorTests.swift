import Foundation
import ISRCrypto
import Testing
@testable import ISRPacket

/// The committed vectors in Vectors/packet-v2.json: every one must open, or be refused, exactly as recorded.
/// Regenerate (only when the format changes on purpose) with:
///     ISR_WRITE_VECTORS=1 swift test --filter PacketVectorTests
@Suite struct PacketVectorTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/packet-v2.json")

    struct File: Codable {
        var format: String
        var regenerate: String
        var keyDerivation: String
        var keys: [Key]
        var vectors: [Vector]
    }

    struct Key: Codable {
        var id: String
        var ed25519Seed: String
        var ed25519Public: String
        var x25519Secret: String
        var x25519Public: String
    }

    struct Vector: Codable {
        var name: String
        var description: String
        var packet: String
        /// The member the opener expects as sender (the TLS identity on the relay, the inbox entry on a client).
        var expectedSender: String
        /// Whose Ed25519 key verifies the signature.
        var verifyWithKeyOf: String
        var openAs: String
        var maxPacketBytes: Int
        var expected: Expected
    }

    struct Expected: Codable, Equatable {
        var result: String
        var code: String?
        var headerDer: String?
        var bodyDer: String?
        var summary: Summary?
    }

    struct Summary: Codable, Equatable {
        var kind: String
        var sender: String
        var recipients: [String]
        var purpose: String
        var lawfulBasis: String?
        var fieldNames: [String]
        var itemTags: [String]
        var stanzas: [String]

        init(_ opened: OpenedPacket) {
            kind = opened.header.kind.rawValue
            sender = opened.header.sender.rawValue
            recipients = opened.header.recipients.map(\.rawValue)
            purpose = opened.header.purpose
            lawfulBasis = opened.header.lawfulBasis
            fieldNames = opened.header.fieldNames
            itemTags = opened.body.items.map(\.tag.rawValue)
            stanzas = opened.sealed.stanzas.map(\.recipient.rawValue)
        }
    }

    static func coder() -> (JSONEncoder, JSONDecoder) { (ISRJSON.encoder(pretty: true), ISRJSON.decoder()) }

    static func outcome(of vector: Vector) -> Expected {
        let opener = Cast.all.first { $0.id.rawValue == vector.openAs }!
        let verifier = Cast.all.first { $0.id.rawValue == vector.verifyWithKeyOf }!
        let limits = PacketLimits(maximumPacketBytes: vector.maxPacketBytes, maximumRecipients: 32, maximumStanzas: 128)
        do {
            let opened = try PacketOpener.open([UInt8](hex: vector.packet), as: opener.id, keys: opener.keys.encryption,
                                               senderKey: verifier.keys.signing.publicKey, expectedSender: try MemberID(vector.expectedSender), limits: limits)
            return Expected(result: "opened", headerDer: opened.sealed.headerBytes.hex, bodyDer: try opened.body.derEncoded().hex, summary: Summary(opened))
        } catch {
            return Expected(result: "refused", code: error.code.rawValue)
        }
    }

    @Test func everyCommittedVectorOpensOrIsRefusedAsRecorded() throws {
        let data = try Data(contentsOf: Self.path)
        let file = try Self.coder().1.decode(File.self, from: data)
        #expect(file.vectors.count >= 30)
        for key in file.keys {
            let member = try #require(Cast.all.first { $0.id.rawValue == key.id })
            #expect(member.keys.signing.publicKey.bytes.hex == key.ed25519Public)
            #expect(member.keys.encryption.publicKey.bytes.hex == key.x25519Public)
            #expect(member.signingSeedHex == key.ed25519Seed)
        }
        var refusalCodes = Set<String>()
        for vector in file.vectors {
            let actual = Self.outcome(of: vector)
            #expect(actual == vector.expected, "vector \(vector.name)")
            if let code = vector.expected.code { refusalCodes.insert(code) }
        }
        // Every refusal an opener can give is exercised by at least one vector.
        let openerCodes: Set<PacketError.Code> = [.tooLarge, .truncated, .malformed, .unsupportedVersion, .badSignature, .senderMismatch,
                                                  .invalidHeader, .invalidBody, .notForRecipient, .stanzaUnreadable, .bodyTampered, .fieldsMismatch]
        #expect(refusalCodes == Set(openerCodes.map(\.rawValue)))
        #expect(Set(file.vectors.filter { $0.expected.result == "opened" }.compactMap { $0.expected.summary?.kind }) == Set(PacketKind.allCases.map(\.rawValue)))
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["ISR_WRITE_VECTORS"] != nil))
    func writeVectors() throws {
        let (alice, bob, carol, dan, mallory) = (Cast.alice, Cast.bob, Cast.carol, Cast.dan, Cast.mallory)
        var vectors: [Vector] = []
        func add(_ name: String, _ description: String, _ bytes: [UInt8], openAs: Practitioner = bob, verifyWith: Practitioner = alice,
                 expectedSender: Practitioner = alice, max: Int = 65536) {
            var vector = Vector(name: name, description: description, packet: bytes.hex, expectedSender: expectedSender.id.rawValue,
                                verifyWithKeyOf: verifyWith.id.rawValue, openAs: openAs.id.rawValue, maxPacketBytes: max,
                                expected: Expected(result: "pending"))
            vector.expected = Self.outcome(of: vector)
            vectors.append(vector)
        }
        func bob1() -> [MemberID: EncryptionPublicKey] { [bob.id: bob.keys.encryption.publicKey] }
        for kind in PacketKind.allCases {
            add("kind-\(kind.rawValue)", "A valid `\(kind.rawValue)` packet from alice to bob: opens.", try Samples.packet(kind).bytes)
        }
        let role = try Samples.packet(.share, to: [Cast.duty])
        add("role-address-member-carol", "A share to the role address duty@devon-csc, opened by member carol.", role.bytes, openAs: carol)
        add("role-address-member-dan", "The same packet, opened by the other member, dan.", role.bytes, openAs: dan)
        add("role-address-outsider", "The same packet, opened by bob, who is not a member: refused.", role.bytes)
        let share = try Samples.packet(.share)
        add("wrong-recipient", "A share sealed for bob, opened by carol.", share.bytes, openAs: carol)
        for (region, needle) in [("header", share.headerBytes), ("stanza", share.stanzas[0].sealedKey), ("body", share.body), ("signature", share.signature)] {
            var altered = share.bytes
            altered[try #require(share.bytes.firstRange(of: needle)).lowerBound + needle.count / 2] ^= 0x01
            add("flipped-\(region)-byte", "The share with one bit flipped in the middle of its \(region).", altered)
        }
        let header = Samples.header(.share, fields: Samples.fields(.share))
        let bodyBytes = try Samples.body(.share).derEncoded()
        let forged = try PacketSealer.sealUnchecked(header: header, bodyBytes: bodyBytes, members: bob1(), signer: mallory.keys.signing, limits: .standard)
        add("signed-by-another-key", "A share naming alice as sender but signed with mallory's key, verified with alice's.", forged.bytes)
        var readdressed = header
        readdressed.recipients = [mallory.id]
        let moved = try SealedPacket(headerBytes: readdressed.derEncoded(), stanzas: share.stanzas, body: share.body) { _ in share.signature }
        add("re-addressed", "The share's ciphertext, stanza and signature under a header whose recipient list was changed.", moved.bytes)
        let other = try Samples.packet(.consultation)
        let swapped = try SealedPacket(headerBytes: share.headerBytes, stanzas: other.stanzas, body: other.body) { _ in share.signature }
        add("header-swapped-onto-another-body", "The share's header and signature over another packet's stanzas and body.", swapped.bytes)
        var spoofed = header
        spoofed.sender = mallory.id
        let claims = try PacketSealer.sealUnchecked(header: spoofed, bodyBytes: bodyBytes, members: bob1(), signer: alice.keys.signing, limits: .standard)
        add("claims-another-sender", "Signed by alice with a header that names mallory as sender; alice was expected.", claims.bytes)
        let versionOffset = try #require(share.bytes.firstRange(of: [0x02, 0x01, 0x02])).lowerBound
        var v3 = share.bytes
        v3[versionOffset + 2] = 0x03
        add("unknown-version", "The share with its version INTEGER changed from 2 to 3.", v3)
        // Version 1 packets are still read, but a version 1 header has no special-category condition.
        var v1 = share.bytes
        v1[versionOffset + 2] = 0x01
        add("version-1-header-with-condition", "The share (whose header states a condition) relabelled as version 1.", v1)
        var oldFormat = other.bytes
        oldFormat[try #require(other.bytes.firstRange(of: [0x02, 0x01, 0x02])).lowerBound + 2] = 0x01
        add("version-1-packet", "The consultation (no condition) as a version 1 packet: still opens.", oldFormat)
        add("truncated", "The first half of the share.", Array(share.bytes.prefix(share.bytes.count / 2)))
        add("trailing-byte", "The share followed by one extra 0x00 byte.", share.bytes + [0])
        // The outer SEQUENCE length is 0x82 hi lo; re-encode it as 0x83 00 hi lo (valid BER, not DER).
        #expect(share.bytes[1] == 0x82)
        add("non-minimal-length", "The share with its outer length in a longer form than necessary (BER, not DER).",
            [0x30, 0x83, 0x00] + share.bytes[2...])
        add("too-large", "The share opened under a 512-byte packet limit.", share.bytes, max: 512)
        let unbound = try PacketSealer.sealUnchecked(header: header, bodyBytes: bodyBytes, members: bob1(), signer: alice.keys.signing,
                                                     limits: .standard, associatedData: Array("another header".utf8))
        add("body-not-bound-to-header", "Signed by alice, but the body was encrypted with other associated data than its header.", unbound.bytes)
        let fewer = Samples.header(.share, fields: ["name"])
        let mismatched = try PacketSealer.sealUnchecked(header: fewer, bodyBytes: bodyBytes, members: bob1(), signer: alice.keys.signing, limits: .standard)
        add("fields-mismatch", "The header declares only `name`; the body also holds `date_of_birth`.", mismatched.bytes)
        let stale = try PacketSealer.sealUnchecked(header: header, bodyBytes: bodyBytes, members: [bob.id: mallory.keys.encryption.publicKey],
                                                   signer: alice.keys.signing, limits: .standard)
        add("stale-recipient-key", "Bob's stanza sealed to a key that is not bob's.", stale.bytes)
        let twoDevices = try PacketSealer.sealUnchecked(header: header, bodyBytes: bodyBytes,
                                                        memberKeys: [bob.id: [bob.keys.encryption.publicKey, mallory.keys.encryption.publicKey]],
                                                        signer: alice.keys.signing, limits: .standard)
        add("two-devices", "Bob has two active devices: two stanzas for bob (sorted by sealed key); bob's key opens one of them.", twoDevices.bytes)
        let descending = twoDevices.stanzas.sorted { $1.sealedKey.lexicographicallyPrecedes($0.sealedKey) }
        let outOfOrder = try SealedPacket(headerBytes: twoDevices.headerBytes, stanzas: descending, body: twoDevices.body) {
            alice.keys.signing.sign($0, context: .header)
        }
        add("device-stanzas-out-of-order", "Bob's two stanzas in descending sealed-key order (signed): not canonical.", outOfOrder.bytes)
        let nine = try PacketSealer.sealUnchecked(header: header, bodyBytes: bodyBytes,
                                                  memberKeys: [bob.id: [bob.keys.encryption.publicKey] + (0..<8).map { _ in EncryptionKeyPair.generate().publicKey }],
                                                  signer: alice.keys.signing, limits: .standard)
        add("nine-stanzas-for-one-member", "Nine stanzas for bob: more than the eight devices a member may have.", nine.bytes)
        var unsorted = header
        unsorted.recipients = [carol.id, bob.id]
        let unsortedPacket = try PacketSealer.sealUnchecked(header: unsorted, bodyBytes: bodyBytes, members: bob1(), signer: alice.keys.signing,
                                                            limits: .standard, headerBytes: unsorted.derEncodedUnvalidated())
        add("unsorted-recipients", "A signed header whose recipients are not in canonical (sorted) order.", unsortedPacket.bytes)
        let kindBytes = try header.derEncoded().replacing([0x0c, 0x05] + Array("share".utf8), with: [0x0c, 0x05] + Array("rumor".utf8))
        let unknownKind = try PacketSealer.sealUnchecked(header: header, bodyBytes: bodyBytes, members: bob1(), signer: alice.keys.signing,
                                                         limits: .standard, headerBytes: kindBytes)
        add("unknown-kind", "A signed header whose kind is `rumor`.", unknownKind.bytes)
        let badTag = bodyBytes.replacing([0x0c, 0x04] + Array("fact".utf8), with: [0x0c, 0x04] + Array("fake".utf8))
        let badBody = try PacketSealer.sealUnchecked(header: header, bodyBytes: badTag, members: bob1(), signer: alice.keys.signing, limits: .standard)
        add("unknown-item-tag", "A signed, encrypted body with an item tagged `fake`.", badBody.bytes)
        let file = File(format: "ISR packet v1 test vectors (Sources/ISRPacket/ISRPacket.docc/PacketFormat.md)",
                        regenerate: "ISR_WRITE_VECTORS=1 swift test --filter PacketVectorTests",
                        keyDerivation: "ed25519_seed = SHA-256(\"isr test key/<id>/ed25519\"); x25519_secret = SHA-256(\"isr test key/<id>/x25519\")",
                        keys: Cast.all.map { Key(id: $0.id.rawValue, ed25519Seed: $0.signingSeedHex, ed25519Public: $0.keys.signing.publicKey.bytes.hex,
                                                 x25519Secret: $0.encryptionSecretHex, x25519Public: $0.keys.encryption.publicKey.bytes.hex) },
                        vectors: vectors)
        try (Self.coder().0.encode(file) + Data([0x0a])).write(to: Self.path)
    }
}
