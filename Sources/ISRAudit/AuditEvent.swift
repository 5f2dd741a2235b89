import ISRCrypto
import SwiftASN1

/// One leaf of the audit log: what happened, when, who did it and to which packet — metadata only, never
/// packet content or subject references. Its DER encoding is the leaf data that is hashed.
///
///     AuditEvent ::= SEQUENCE { kind UTF8String, time INTEGER, actor UTF8String, packetID [0] IMPLICIT OCTET STRING OPTIONAL,
///                               attributes SEQUENCE OF SEQUENCE { key UTF8String, value UTF8String } }  -- sorted by key, unique
public struct AuditEvent: Sendable, Equatable {
    /// A code such as `packet.accepted`, `packet.readback`, `member.revoked`.
    public let kind: String
    /// Unix milliseconds, UTC, stamped by the relay when it recorded the event.
    public let time: Int64
    /// Who caused it: a member id, or `relay` for the relay's own actions (overdue, purge).
    public let actor: String
    public let packetID: [UInt8]?
    /// Further metadata (purpose code, recipient ids, leaf of the packet answered…), sorted by key.
    public let attributes: [(key: String, value: String)]

    public init(kind: String, time: Int64, actor: String, packetID: [UInt8]? = nil, attributes: [String: String] = [:]) {
        self.kind = kind
        self.time = time
        self.actor = actor
        self.packetID = packetID
        self.attributes = attributes.sorted { Array($0.key.utf8).lexicographicallyPrecedes($1.key.utf8) }.map { ($0.key, $0.value) }
    }

    public static func == (a: AuditEvent, b: AuditEvent) -> Bool {
        a.kind == b.kind && a.time == b.time && a.actor == b.actor && a.packetID == b.packetID
            && a.attributes.map(\.key) == b.attributes.map(\.key) && a.attributes.map(\.value) == b.attributes.map(\.value)
    }

    /// The leaf data.
    public func derEncoded() -> [UInt8] {
        var serializer = DER.Serializer()
        // Strings, integers and octet strings always serialise.
        try? serializer.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(ASN1UTF8String(contentBytes: ArraySlice(kind.utf8)))
            try s.serialize(time)
            try s.serialize(ASN1UTF8String(contentBytes: ArraySlice(actor.utf8)))
            try s.serializeOptionalImplicitlyTagged(packetID.map { ASN1OctetString(contentBytes: $0[...]) },
                                                    withIdentifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
            try s.appendConstructedNode(identifier: .sequence) { s in
                for (key, value) in attributes {
                    try s.appendConstructedNode(identifier: .sequence) { s in
                        try s.serialize(ASN1UTF8String(contentBytes: ArraySlice(key.utf8)))
                        try s.serialize(ASN1UTF8String(contentBytes: ArraySlice(value.utf8)))
                    }
                }
            }
        }
        return serializer.serializedBytes
    }

    /// The Merkle leaf hash of this event.
    public var leafHash: [UInt8] { MerkleHash.leaf(derEncoded()) }

    /// Parses leaf data served by a relay (bounded to 8 KiB), refusing anything not in canonical form.
    public init(derEncoded bytes: [UInt8]) throws(AuditError) {
        let invalid = AuditError(.checkpointInvalid, "the audit leaf is not a canonical ISR audit event")
        guard bytes.count <= 8 * 1024 else { throw invalid }
        let parsed: AuditEvent
        do {
            parsed = try DER.sequence(try DER.parse(bytes), identifier: .sequence) { nodes in
                func text(_ s: ASN1UTF8String) throws -> String {
                    guard let value = String(validating: s.bytes, as: UTF8.self) else { throw invalid }
                    return value
                }
                let kind = try text(ASN1UTF8String(derEncoded: &nodes))
                let time = try Int64(derEncoded: &nodes)
                let actor = try text(ASN1UTF8String(derEncoded: &nodes))
                let packet = try DER.optionalImplicitlyTagged(&nodes, tag: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) as ASN1OctetString?
                guard let list = nodes.next() else { throw invalid }
                var attributes: [String: String] = [:]
                try DER.sequence(list, identifier: .sequence) { pairs in
                    while let pair = pairs.next() {
                        try DER.sequence(pair, identifier: .sequence) { kv in
                            attributes[try text(ASN1UTF8String(derEncoded: &kv))] = try text(ASN1UTF8String(derEncoded: &kv))
                        }
                    }
                }
                return AuditEvent(kind: kind, time: time, actor: actor, packetID: packet.map { Array($0.bytes) }, attributes: attributes)
            }
        } catch {
            throw invalid
        }
        guard parsed.derEncoded() == bytes else { throw invalid }
        self = parsed
    }
}
