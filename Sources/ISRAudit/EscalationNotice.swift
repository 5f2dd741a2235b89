import ISRCrypto
import SwiftASN1

/// The relay's signed statement that a packet passed its acknowledgement deadline without a read-back, and
/// whom it told: the sender, the sender agency's dsl/managers and each recipient agency's duty role.
///
///     EscalationNotice ::= SEQUENCE { packetID OCTET STRING (SIZE(16)), sender UTF8String, deadline INTEGER,
///                                     overdueAt INTEGER, notified SEQUENCE OF UTF8String,
///                                     late [0] IMPLICIT UTF8String OPTIONAL }  -- the address whose read-back is late, or
///                                                                               -- "countersignature"; absent in older notices
///     SignedNotice ::= SEQUENCE { notice OCTET STRING, signature OCTET STRING }   -- context isr/v1/escalation
public struct EscalationNotice: Sendable, Equatable {
    public let packetID: [UInt8]
    public let sender: String
    /// Unix milliseconds.
    public let deadline: Int64
    public let overdueAt: Int64
    public let notified: [String]
    /// What is late: the recipient address whose read-back is overdue, or `countersignature` for a held packet.
    public let late: String?

    /// The `late` value for a countersignature nobody gave in time.
    public static let countersignature = "countersignature"

    public init(packetID: [UInt8], sender: String, deadline: Int64, overdueAt: Int64, notified: [String], late: String? = nil) {
        self.packetID = packetID
        self.sender = sender
        self.deadline = deadline
        self.overdueAt = overdueAt
        self.notified = notified
        self.late = late
    }

    public func derEncoded() -> [UInt8] {
        var serializer = DER.Serializer()
        // Octet strings, strings and integers always serialise.
        try? serializer.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(ASN1OctetString(contentBytes: packetID[...]))
            try s.serialize(ASN1UTF8String(contentBytes: ArraySlice(sender.utf8)))
            try s.serialize(deadline)
            try s.serialize(overdueAt)
            try s.serializeSequenceOf(notified.map { ASN1UTF8String(contentBytes: ArraySlice($0.utf8)) })
            try s.serializeOptionalImplicitlyTagged(late.map { ASN1UTF8String(contentBytes: ArraySlice($0.utf8)) },
                                                    withIdentifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
        }
        return serializer.serializedBytes
    }

    public init(derEncoded bytes: [UInt8]) throws(AuditError) {
        let invalid = AuditError(.checkpointInvalid, "the escalation notice is not canonical DER in the ISR layout")
        do {
            self = try DER.sequence(try DER.parse(bytes), identifier: .sequence) { nodes in
                let id = try ASN1OctetString(derEncoded: &nodes)
                let sender = try ASN1UTF8String(derEncoded: &nodes)
                let deadline = try Int64(derEncoded: &nodes)
                let overdueAt = try Int64(derEncoded: &nodes)
                let notified = try DER.sequence(of: ASN1UTF8String.self, identifier: .sequence, nodes: &nodes)
                let late = try DER.optionalImplicitlyTagged(&nodes, tag: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) as ASN1UTF8String?
                func text(_ s: ASN1UTF8String) throws -> String {
                    guard let value = String(validating: s.bytes, as: UTF8.self) else { throw invalid }
                    return value
                }
                return EscalationNotice(packetID: Array(id.bytes), sender: try text(sender), deadline: deadline, overdueAt: overdueAt,
                                        notified: try notified.map(text), late: try late.map(text))
            }
        } catch {
            throw invalid
        }
        guard packetID.count == 16, derEncoded() == bytes else { throw invalid }
    }

    /// `SignedNotice` bytes: the notice and the relay's signature over it.
    public func signed(with key: SigningKeyPair) -> [UInt8] {
        let notice = derEncoded()
        let signature = key.sign(notice, context: .escalation)
        var serializer = DER.Serializer()
        try? serializer.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(ASN1OctetString(contentBytes: notice[...]))
            try s.serialize(ASN1OctetString(contentBytes: signature[...]))
        }
        return serializer.serializedBytes
    }

    /// Verifies a `SignedNotice` with the relay's key, then parses it.
    public static func verified(_ signed: [UInt8], relayKey: SigningPublicKey) throws(AuditError) -> EscalationNotice {
        let parts: ([UInt8], [UInt8])
        do {
            parts = try DER.sequence(try DER.parse(signed), identifier: .sequence) { nodes in
                (Array(try ASN1OctetString(derEncoded: &nodes).bytes), Array(try ASN1OctetString(derEncoded: &nodes).bytes))
            }
        } catch {
            throw AuditError(.checkpointInvalid, "the signed notice is not canonical DER")
        }
        guard relayKey.isValidSignature(parts.1, for: parts.0, context: .escalation) else {
            throw AuditError(.checkpointSignature, "the escalation notice is not signed by the relay's key")
        }
        return try EscalationNotice(derEncoded: parts.0)
    }
}
