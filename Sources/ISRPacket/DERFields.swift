import SwiftASN1

/// Reading and writing the field types ISR packets use, with ISR's validation and error codes applied.
/// swift-asn1 enforces DER itself (minimal lengths and integers, 0xFF booleans, no trailing bytes).
enum DERFields {
    static func tag(_ number: UInt) -> ASN1Identifier { ASN1Identifier(tagWithNumber: number, tagClass: .contextSpecific) }

    /// Runs swift-asn1 work and maps its errors: a short read is `truncated`, anything else `malformed` with `what` named.
    static func decoding<T>(_ what: String, _ body: () throws -> T) throws(PacketError) -> T {
        do {
            return try body()
        } catch let error as PacketError {
            throw error
        } catch let error as ASN1Error where error.code == .truncatedASN1Field {
            throw PacketError(.truncated, "the \(what) ends early: the packet was cut short in transit or storage")
        } catch {
            throw PacketError(.malformed, "the \(what) is not canonical DER in the ISR v1 layout")
        }
    }

    /// Serialising values that were validated first cannot fail; a failure here is reported as a malformed value rather than trapping.
    static func encoding(_ what: String, _ body: (inout DER.Serializer) throws -> Void) throws(PacketError) -> [UInt8] {
        var serializer = DER.Serializer()
        do {
            try body(&serializer)
        } catch {
            throw PacketError(.malformed, "the \(what) could not be encoded")
        }
        return serializer.serializedBytes
    }

    static func utf8(_ nodes: inout ASN1NodeCollection.Iterator, _ field: String, _ code: PacketError.Code) throws -> String {
        let raw = try ASN1UTF8String(derEncoded: &nodes)
        return try text(raw.bytes, field, code)
    }

    static func optionalUTF8(_ nodes: inout ASN1NodeCollection.Iterator, tag number: UInt, _ field: String, _ code: PacketError.Code) throws -> String? {
        guard let raw = try DER.optionalImplicitlyTagged(&nodes, tag: tag(number)) as ASN1UTF8String? else { return nil }
        let value = try text(raw.bytes, field, code)
        guard !value.isEmpty else { throw PacketError(code, "\(field) is present but empty; an absent value is left out") }
        return value
    }

    static func utf8Sequence(_ nodes: inout ASN1NodeCollection.Iterator, _ field: String, _ code: PacketError.Code) throws -> [String] {
        try DER.sequence(of: ASN1UTF8String.self, identifier: .sequence, nodes: &nodes).map { try text($0.bytes, field, code) }
    }

    static func octets(_ nodes: inout ASN1NodeCollection.Iterator) throws -> [UInt8] {
        Array(try ASN1OctetString(derEncoded: &nodes).bytes)
    }

    static func text(_ bytes: ArraySlice<UInt8>, _ field: String, _ code: PacketError.Code) throws -> String {
        guard let value = String(validating: bytes, as: UTF8.self) else {
            throw PacketError(code, "\(field) is not valid UTF-8")
        }
        return value
    }
}

extension ASN1UTF8String {
    init(text: String) { self.init(contentBytes: ArraySlice(text.utf8)) }
}

extension ASN1OctetString {
    init(bytes: [UInt8]) { self.init(contentBytes: bytes[...]) }
}
