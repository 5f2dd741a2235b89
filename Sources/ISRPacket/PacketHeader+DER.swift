import SwiftASN1

/// The header layout (see PacketFormat.md):
///
///     Header ::= SEQUENCE {
///         id OCTET STRING (SIZE(16)), kind UTF8String, sender UTF8String, recipients SEQUENCE OF UTF8String,
///         purpose UTF8String, consent UTF8String, urgency UTF8String, createdAt INTEGER, fieldNames SEQUENCE OF UTF8String,
///         retentionDays INTEGER, lawfulBasis [0] IMPLICIT UTF8String OPTIONAL, acknowledgeBy [1] IMPLICIT INTEGER OPTIONAL,
///         subjectRef [2] IMPLICIT UTF8String OPTIONAL, inReplyTo [3] IMPLICIT OCTET STRING OPTIONAL,
///         relatesTo [4] IMPLICIT OCTET STRING OPTIONAL, condition [5] IMPLICIT UTF8String OPTIONAL }  -- [5]: version 2
extension PacketHeader {
    /// The exact bytes that are signed and used as the body's associated data. Validates first.
    public func derEncoded(limits: PacketLimits = .standard) throws(PacketError) -> [UInt8] {
        try validate(limits: limits)
        return try derEncodedUnvalidated()
    }

    /// The encoding without validation: only for building deliberately invalid test vectors.
    func derEncodedUnvalidated() throws(PacketError) -> [UInt8] {
        try DERFields.encoding("header") { s in
            try s.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(ASN1OctetString(bytes: id.bytes))
                try s.serialize(ASN1UTF8String(text: kind.rawValue))
                try s.serialize(ASN1UTF8String(text: sender.rawValue))
                try s.serializeSequenceOf(recipients.map { ASN1UTF8String(text: $0.rawValue) })
                try s.serialize(ASN1UTF8String(text: purpose))
                try s.serialize(ASN1UTF8String(text: consent.rawValue))
                try s.serialize(ASN1UTF8String(text: urgency.rawValue))
                try s.serialize(createdAt)
                try s.serializeSequenceOf(fieldNames.map { ASN1UTF8String(text: $0) })
                try s.serialize(Int64(retentionDays))
                try s.serializeOptionalImplicitlyTagged(lawfulBasis.map { ASN1UTF8String(text: $0) }, withIdentifier: DERFields.tag(0))
                try s.serializeOptionalImplicitlyTagged(acknowledgeBy, withIdentifier: DERFields.tag(1))
                try s.serializeOptionalImplicitlyTagged(subjectReference.map { ASN1UTF8String(text: $0) }, withIdentifier: DERFields.tag(2))
                try s.serializeOptionalImplicitlyTagged(inReplyTo.map { ASN1OctetString(bytes: $0.bytes) }, withIdentifier: DERFields.tag(3))
                try s.serializeOptionalImplicitlyTagged(relatesTo.map { ASN1OctetString(bytes: $0.bytes) }, withIdentifier: DERFields.tag(4))
                try s.serializeOptionalImplicitlyTagged(condition.map { ASN1UTF8String(text: $0) }, withIdentifier: DERFields.tag(5))
            }
        }
    }

    /// Parses header bytes. Call only on bytes whose signature has been verified (`SealedPacket.verifiedHeader`).
    public init(derEncoded bytes: [UInt8], limits: PacketLimits = .standard) throws(PacketError) {
        let code = PacketError.Code.invalidHeader
        self = try DERFields.decoding("header") {
            try DER.sequence(try DER.parse(bytes), identifier: .sequence) { nodes in
                let id = try PacketID(bytes: DERFields.octets(&nodes))
                let kindCode = try DERFields.utf8(&nodes, "kind", code)
                guard let kind = PacketKind(rawValue: kindCode) else {
                    throw PacketError(code, "packet kind `\(kindCode.prefix(40))` is unknown; the kinds are \(PacketKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                let sender = try MemberID(DERFields.utf8(&nodes, "sender", code))
                let recipients = try DERFields.utf8Sequence(&nodes, "recipient", code).map { text throws(PacketError) in try MemberID(text) }
                let purpose = try DERFields.utf8(&nodes, "purpose", code)
                let consentCode = try DERFields.utf8(&nodes, "consent", code)
                guard let consent = ConsentStatus(rawValue: consentCode) else {
                    throw PacketError(code, "consent status `\(consentCode.prefix(40))` is unknown")
                }
                let urgencyCode = try DERFields.utf8(&nodes, "urgency", code)
                guard let urgency = Urgency(rawValue: urgencyCode) else {
                    throw PacketError(code, "urgency `\(urgencyCode.prefix(40))` is unknown")
                }
                let createdAt = try Int64(derEncoded: &nodes)
                let fieldNames = try DERFields.utf8Sequence(&nodes, "field name", code)
                let retention = try Int64(derEncoded: &nodes)
                guard (0...Int64(PacketLimits.maximumRetentionDays)).contains(retention) else {
                    throw PacketError(code, "retention must be 0 to \(PacketLimits.maximumRetentionDays) days")
                }
                let lawfulBasis = try DERFields.optionalUTF8(&nodes, tag: 0, "lawful basis", code)
                let acknowledgeBy = try DER.optionalImplicitlyTagged(&nodes, tag: DERFields.tag(1)) as Int64?
                let subjectReference = try DERFields.optionalUTF8(&nodes, tag: 2, "subject reference", code)
                let inReplyTo = try (DER.optionalImplicitlyTagged(&nodes, tag: DERFields.tag(3)) as ASN1OctetString?).map { o throws(PacketError) in try PacketID(bytes: o.bytes) }
                let relatesTo = try (DER.optionalImplicitlyTagged(&nodes, tag: DERFields.tag(4)) as ASN1OctetString?).map { o throws(PacketError) in try PacketID(bytes: o.bytes) }
                let condition = try DERFields.optionalUTF8(&nodes, tag: 5, "condition", code)
                var header = PacketHeader(id: id, kind: kind, sender: sender, recipients: [], purpose: purpose, lawfulBasis: lawfulBasis, condition: condition,
                                          consent: consent, urgency: urgency, createdAt: createdAt, acknowledgeBy: acknowledgeBy,
                                          subjectReference: subjectReference, inReplyTo: inReplyTo, relatesTo: relatesTo, retentionDays: Int(retention))
                // Assigned directly (not through init, which sorts) so that unsorted input is caught by validate().
                header.recipients = recipients
                header.fieldNames = fieldNames
                return header
            }
        }
        try validate(limits: limits)
    }
}
