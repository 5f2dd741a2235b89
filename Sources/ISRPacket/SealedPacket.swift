import ISRCrypto
import SwiftASN1

/// A packet as it travels and is stored: the exact bytes, and the four parts they frame.
///
///     Packet ::= SEQUENCE { version INTEGER (2; 1 is still read), header OCTET STRING, stanzas SEQUENCE OF Stanza,
///                           body OCTET STRING, signature OCTET STRING (SIZE(64)) }
///     Stanza ::= SEQUENCE { recipient UTF8String, sealedKey OCTET STRING (SIZE(80)) }
///
/// The signature is Ed25519 over `"isr/v1/header" || 0x00 || header || SHA-256(stanzas-DER || body)`,
/// so it covers every byte of the packet while the header stays verifiable after the ciphertext is purged.
public struct SealedPacket: Sendable, Equatable {
    /// The version this build writes. Version 2 added the header's special-category condition.
    public static let version: Int64 = 2
    /// The versions this build reads: a version 1 header has no condition.
    public static let readableVersions: ClosedRange<Int64> = 1...2

    /// This packet's format version.
    public let version: Int64

    /// The whole packet, exactly as received or built.
    public let bytes: [UInt8]
    /// The DER header, exactly as signed (also the body's associated data).
    public let headerBytes: [UInt8]
    public let stanzas: [RecipientStanza]
    /// `nonce(24) || XChaCha20-Poly1305 ciphertext || tag(16)`.
    public let body: [UInt8]
    public let signature: [UInt8]
    /// SHA-256 of the stanzas' DER and the body bytes: what the signature binds besides the header.
    public let payloadDigest: [UInt8]

    /// Frames `bytes` without trusting them: bounded in size, canonical DER, a readable version, stanza shapes checked.
    /// Nothing signed is interpreted here; call `verifiedHeader` next.
    public init(encoded bytes: [UInt8], limits: PacketLimits = .standard) throws(PacketError) {
        guard bytes.count <= limits.maximumPacketBytes else {
            throw PacketError(.tooLarge, "the packet is \(bytes.count) bytes; the limit is \(limits.maximumPacketBytes): shorten the items or split the share")
        }
        guard !bytes.isEmpty else { throw PacketError(.truncated, "the packet is empty") }
        guard bytes[0] == 0x30 else { throw PacketError(.malformed, "this is not an ISR packet: it does not start with a DER SEQUENCE") }
        typealias Parts = (version: Int64, header: [UInt8], stanzas: [RecipientStanza], stanzasDER: ArraySlice<UInt8>, body: [UInt8], signature: [UInt8])
        let parts: Parts = try DERFields.decoding("packet") {
            try DER.sequence(try DER.parse(bytes), identifier: .sequence) { nodes in
                let version = try Int64(derEncoded: &nodes)
                guard Self.readableVersions.contains(version) else {
                    throw PacketError(.unsupportedVersion, "this is a version \(version) packet; this ISR reads versions \(Self.readableVersions.lowerBound) to \(Self.readableVersions.upperBound): upgrade ISR to read it")
                }
                let header = try DERFields.octets(&nodes)
                guard let stanzasNode = nodes.next() else { throw PacketError(.truncated, "the packet ends before its recipient stanzas") }
                let stanzas: [RecipientStanza] = try DER.sequence(stanzasNode, identifier: .sequence) { list in
                    var stanzas: [RecipientStanza] = []
                    while let node = list.next() {
                        guard stanzas.count < limits.maximumStanzas else {
                            throw PacketError(.malformed, "a packet has at most \(limits.maximumStanzas) recipient stanzas")
                        }
                        stanzas.append(try DER.sequence(node, identifier: .sequence) { s in
                            let text = try DERFields.utf8(&s, "stanza recipient", .malformed)
                            guard let recipient = try? MemberID(text) else {
                                throw PacketError(.malformed, "a recipient stanza names `\(text.prefix(140))`, which is not a member id")
                            }
                            let sealedKey = try DERFields.octets(&s)
                            guard sealedKey.count == RecipientStanza.sealedKeyByteCount else {
                                throw PacketError(.malformed, "a recipient stanza holds an 80-byte sealed key, this one \(sealedKey.count)")
                            }
                            return RecipientStanza(recipient: recipient, sealedKey: sealedKey)
                        })
                    }
                    return stanzas
                }
                let body = try DERFields.octets(&nodes)
                let signature = try DERFields.octets(&nodes)
                return (version, header, stanzas, stanzasNode.encodedBytes, body, signature)
            }
        }
        guard !parts.stanzas.isEmpty, RecipientStanza.isCanonical(parts.stanzas) else {
            throw PacketError(.malformed, "recipient stanzas must be present, sorted by member id then sealed key, at most \(RecipientStanza.maximumPerMember) per member")
        }
        guard parts.body.count >= ContentKey.nonceByteCount + ContentKey.tagByteCount else {
            throw PacketError(.malformed, "the encrypted body is shorter than a nonce and a tag")
        }
        guard parts.signature.count == 64 else {
            throw PacketError(.malformed, "the signature is 64 bytes, this one \(parts.signature.count)")
        }
        self.bytes = bytes
        version = parts.version
        headerBytes = parts.header
        stanzas = parts.stanzas
        body = parts.body
        signature = parts.signature
        payloadDigest = Self.digest(stanzasDER: parts.stanzasDER, body: parts.body)
    }

    /// Assembles a packet from parts already built by `PacketSealer`.
    init(headerBytes: [UInt8], stanzas: [RecipientStanza], body: [UInt8], sign: ([UInt8]) -> [UInt8]) throws(PacketError) {
        let stanzasDER = try DERFields.encoding("stanzas") { s in try Self.serialize(stanzas: stanzas, into: &s) }
        let digest = Self.digest(stanzasDER: stanzasDER[...], body: body)
        let signature = sign(headerBytes + digest)
        bytes = try DERFields.encoding("packet") { s in
            try s.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(Self.version)
                try s.serialize(ASN1OctetString(bytes: headerBytes))
                try Self.serialize(stanzas: stanzas, into: &s)
                try s.serialize(ASN1OctetString(bytes: body))
                try s.serialize(ASN1OctetString(bytes: signature))
            }
        }
        self.headerBytes = headerBytes
        self.stanzas = stanzas
        self.body = body
        self.signature = signature
        version = Self.version
        payloadDigest = digest
    }

    /// The data the signature covers (after the context label): `header || payloadDigest`.
    public var signedData: [UInt8] { headerBytes + payloadDigest }

    /// Verifies the signature with the sender's key, and only then parses the header.
    /// With `expectedSender`, also refuses a header that names anyone else as sender (spoofing).
    public func verifiedHeader(signedBy key: SigningPublicKey, expectedSender: MemberID? = nil, limits: PacketLimits = .standard) throws(PacketError) -> PacketHeader {
        try verifiedHeader(signedByAnyOf: [key], expectedSender: expectedSender, limits: limits)
    }

    /// As `verifiedHeader(signedBy:)`, for a sender with several verified keys (devices, or keys before a re-key).
    public func verifiedHeader(signedByAnyOf keys: [SigningPublicKey], expectedSender: MemberID? = nil, limits: PacketLimits = .standard) throws(PacketError) -> PacketHeader {
        guard keys.contains(where: { $0.isValidSignature(signature, for: signedData, context: .header) }) else {
            throw PacketError(.badSignature, "the packet's signature does not verify with the sender's registered key: it was altered, or not signed by that sender")
        }
        let header = try PacketHeader(derEncoded: headerBytes, limits: limits)
        if version == 1, header.condition != nil {
            throw PacketError(.invalidHeader, "a version 1 header cannot carry a special-category condition")
        }
        if let expectedSender, header.sender != expectedSender {
            throw PacketError(.senderMismatch, "the packet says it is from \(header.sender) but was signed as \(expectedSender)")
        }
        return header
    }

    static func digest(stanzasDER: ArraySlice<UInt8>, body: [UInt8]) -> [UInt8] {
        SHA256.hash(Array(stanzasDER) + body)
    }

    private static func serialize(stanzas: [RecipientStanza], into s: inout DER.Serializer) throws {
        try s.appendConstructedNode(identifier: .sequence) { s in
            for stanza in stanzas {
                try s.appendConstructedNode(identifier: .sequence) { s in
                    try s.serialize(ASN1UTF8String(text: stanza.recipient.rawValue))
                    try s.serialize(ASN1OctetString(bytes: stanza.sealedKey))
                }
            }
        }
    }
}
