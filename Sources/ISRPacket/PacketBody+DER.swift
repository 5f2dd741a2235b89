import SwiftASN1

/// The v1 body layout (see Spec.md):
///
///     Body ::= SEQUENCE {
///         statement UTF8String, items SEQUENCE OF Item, fields SEQUENCE OF Field,
///         consentDetail [0] IMPLICIT UTF8String OPTIONAL, subjectInformed [1] IMPLICIT BOOLEAN OPTIONAL,
///         informedReason [2] IMPLICIT UTF8String OPTIONAL, ask [3] IMPLICIT UTF8String OPTIONAL,
///         concern [4] IMPLICIT UTF8String OPTIONAL }
///     Item ::= SEQUENCE { tag UTF8String, text UTF8String, source UTF8String, refersTo UTF8String }
///     Field ::= SEQUENCE { name UTF8String, value UTF8String }
extension PacketBody {
    /// The plaintext that is encrypted. Validates first.
    public func derEncoded() throws(PacketError) -> [UInt8] {
        try validate()
        return try DERFields.encoding("body") { s in
            try s.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(ASN1UTF8String(text: statement))
                try s.appendConstructedNode(identifier: .sequence) { s in
                    for item in items {
                        try s.appendConstructedNode(identifier: .sequence) { s in
                            for text in [item.tag.rawValue, item.text, item.source, item.refersTo] { try s.serialize(ASN1UTF8String(text: text)) }
                        }
                    }
                }
                try s.appendConstructedNode(identifier: .sequence) { s in
                    for field in fields {
                        try s.appendConstructedNode(identifier: .sequence) { s in
                            try s.serialize(ASN1UTF8String(text: field.name))
                            try s.serialize(ASN1UTF8String(text: field.value))
                        }
                    }
                }
                try s.serializeOptionalImplicitlyTagged(consentDetail.map { ASN1UTF8String(text: $0) }, withIdentifier: DERFields.tag(0))
                try s.serializeOptionalImplicitlyTagged(subjectInformed, withIdentifier: DERFields.tag(1))
                try s.serializeOptionalImplicitlyTagged(informedReason.map { ASN1UTF8String(text: $0) }, withIdentifier: DERFields.tag(2))
                try s.serializeOptionalImplicitlyTagged(ask.map { ASN1UTF8String(text: $0) }, withIdentifier: DERFields.tag(3))
                try s.serializeOptionalImplicitlyTagged(concern.map { ASN1UTF8String(text: $0.rawValue) }, withIdentifier: DERFields.tag(4))
            }
        }
    }

    /// Parses decrypted body bytes (authenticated by the AEAD tag before this is called).
    public init(derEncoded bytes: [UInt8]) throws(PacketError) {
        let code = PacketError.Code.invalidBody
        self = try DERFields.decoding("body") {
            try DER.sequence(try DER.parse(bytes), identifier: .sequence) { nodes in
                let statement = try DERFields.utf8(&nodes, "statement", code)
                guard let itemsNode = nodes.next() else { throw PacketError(code, "the body has no item list") }
                let items: [BodyItem] = try DER.sequence(itemsNode, identifier: .sequence) { itemNodes in
                    var items: [BodyItem] = []
                    while let itemNode = itemNodes.next() {
                        items.append(try DER.sequence(itemNode, identifier: .sequence) { n in
                            let tagCode = try DERFields.utf8(&n, "item tag", code)
                            guard let tag = ItemTag(rawValue: tagCode) else {
                                throw PacketError(code, "item tag `\(tagCode.prefix(40))` is unknown; use fact, opinion or reported")
                            }
                            return BodyItem(tag: tag, text: try DERFields.utf8(&n, "item text", code),
                                            source: try DERFields.utf8(&n, "item source", code), refersTo: try DERFields.utf8(&n, "item date", code))
                        })
                        guard items.count <= PacketLimits.maximumItems else { throw PacketError(code, "a body has at most \(PacketLimits.maximumItems) items") }
                    }
                    return items
                }
                guard let fieldsNode = nodes.next() else { throw PacketError(code, "the body has no field list") }
                let fields: [SubjectField] = try DER.sequence(fieldsNode, identifier: .sequence) { fieldNodes in
                    var fields: [SubjectField] = []
                    while let fieldNode = fieldNodes.next() {
                        fields.append(try DER.sequence(fieldNode, identifier: .sequence) { n in
                            SubjectField(name: try DERFields.utf8(&n, "field name", code), value: try DERFields.utf8(&n, "field value", code))
                        })
                    }
                    return fields
                }
                let consentDetail = try DERFields.optionalUTF8(&nodes, tag: 0, "consent detail", code)
                let subjectInformed = try DER.optionalImplicitlyTagged(&nodes, tag: DERFields.tag(1)) as Bool?
                let informedReason = try DERFields.optionalUTF8(&nodes, tag: 2, "informed reason", code)
                let ask = try DERFields.optionalUTF8(&nodes, tag: 3, "ask", code)
                let concernCode = try DERFields.optionalUTF8(&nodes, tag: 4, "concern", code)
                var concern: ConcernLevel?
                if let concernCode {
                    guard let level = ConcernLevel(rawValue: concernCode) else {
                        throw PacketError(code, "concern level `\(concernCode.prefix(40))` is unknown; use low, medium, high or immediate")
                    }
                    concern = level
                }
                var body = PacketBody(statement: statement, items: items, consentDetail: consentDetail, subjectInformed: subjectInformed,
                                      informedReason: informedReason, ask: ask, concern: concern)
                body.fields = fields // unsorted input must fail validate(), so bypass init's sorting
                return body
            }
        }
        try validate()
    }
}
