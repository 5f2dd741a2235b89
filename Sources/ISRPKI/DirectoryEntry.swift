import ISRCrypto
import ISRPacket
import SwiftASN1

/// What an admin vouches for when enrolling someone: this person, in this agency, holds these keys.
/// Clients pin the admin's key at enrolment and verify every recipient's entry before sealing to them, so a
/// relay cannot substitute a key (roles and revocation are enforced by the relay itself).
///
///     DirectoryEntry ::= SEQUENCE { member UTF8String, displayName UTF8String, agency UTF8String, agencyName UTF8String,
///                                   agencyKind UTF8String, signingKey OCTET STRING (SIZE(32)), encryptionKey OCTET STRING (SIZE(32)),
///                                   issuedAt INTEGER, authority [0] IMPLICIT UTF8String OPTIONAL }
///     SignedDirectoryEntry ::= SEQUENCE { entry OCTET STRING, signer UTF8String, signature OCTET STRING }
///
/// The signature is the admin's Ed25519 over `"isr/v1/directory-entry" || 0x00 || entry`. `authority` is present only in
/// an admin's own entry, signed by the deployment admin whose key clients pin: `deployment` (may vouch for anyone) or
/// `agency:<id>` (an agency admin, for that agency's members). See `DirectoryTrust`.
public struct DirectoryEntry: Sendable, Equatable {
    public let member: MemberID
    public let displayName: String
    public let agencyName: String
    public let agencyKind: String
    public let signingKey: SigningPublicKey
    public let encryptionKey: EncryptionPublicKey
    /// Unix milliseconds.
    public let issuedAt: Int64
    /// Whom this member may vouch for, if they are an admin.
    public let authority: Authority?

    /// Whom an admin's signature on directory entries counts for.
    public enum Authority: Sendable, Equatable, CustomStringConvertible {
        case deployment
        case agency(AgencyID)

        public init?(_ text: String) {
            if text == "deployment" { self = .deployment; return }
            guard text.hasPrefix("agency:"), let agency = try? AgencyID(String(text.dropFirst(7))) else { return nil }
            self = .agency(agency)
        }

        public var description: String {
            switch self {
            case .deployment: "deployment"
            case .agency(let agency): "agency:\(agency)"
            }
        }

        /// True if an admin with this authority may vouch for a member of `agency`.
        public func covers(_ agency: AgencyID) -> Bool {
            switch self {
            case .deployment: true
            case .agency(let own): own == agency
            }
        }
    }

    public init(member: MemberID, displayName: String, agencyName: String, agencyKind: String, signingKey: SigningPublicKey,
                encryptionKey: EncryptionPublicKey, issuedAt: Int64, authority: Authority? = nil) {
        self.authority = authority
        self.member = member
        self.displayName = displayName
        self.agencyName = agencyName
        self.agencyKind = agencyKind
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
        self.issuedAt = issuedAt
    }

    public func derEncoded() -> [UInt8] {
        var serializer = DER.Serializer()
        // Strings, octet strings and an integer always serialise.
        try? serializer.appendConstructedNode(identifier: .sequence) { s in
            for text in [member.rawValue, displayName, member.agency.rawValue, agencyName, agencyKind] {
                try s.serialize(ASN1UTF8String(contentBytes: ArraySlice(text.utf8)))
            }
            try s.serialize(ASN1OctetString(contentBytes: signingKey.bytes[...]))
            try s.serialize(ASN1OctetString(contentBytes: encryptionKey.bytes[...]))
            try s.serialize(issuedAt)
            if let authority {
                try s.serializeOptionalImplicitlyTagged(ASN1UTF8String(contentBytes: ArraySlice(authority.description.utf8)), withIdentifier: Self.authorityTag)
            }
        }
        return serializer.serializedBytes
    }

    static let authorityTag = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)

    /// `SignedDirectoryEntry` bytes, signed by `admin`.
    public func signed(by admin: MemberID, key: SigningKeyPair) -> [UInt8] {
        let entry = derEncoded()
        var serializer = DER.Serializer()
        try? serializer.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(ASN1OctetString(contentBytes: entry[...]))
            try s.serialize(ASN1UTF8String(contentBytes: ArraySlice(admin.rawValue.utf8)))
            try s.serialize(ASN1OctetString(contentBytes: key.sign(entry, context: .directoryEntry)[...]))
        }
        return serializer.serializedBytes
    }

    /// The admin a signed entry names as its signer (read before verification only to look up their key).
    public static func signer(of signed: [UInt8]) throws(PKIError) -> MemberID {
        try frame(signed).signer
    }

    /// Verifies a `SignedDirectoryEntry` with the admin's key, then parses the entry.
    public static func verified(_ signed: [UInt8], adminKey: SigningPublicKey) throws(PKIError) -> DirectoryEntry {
        let parts = try frame(signed)
        guard adminKey.isValidSignature(parts.signature, for: parts.entry, context: .directoryEntry) else {
            throw PKIError(.certificateIdentity, "the directory entry is not signed by the pinned admin key: do not send to this recipient")
        }
        let invalid = PKIError(.invalidPEM, "the directory entry is not canonical DER in the ISR layout")
        let entry: DirectoryEntry
        do {
            entry = try DER.sequence(try DER.parse(parts.entry), identifier: .sequence) { nodes in
                func text() throws -> String {
                    guard let value = String(validating: try ASN1UTF8String(derEncoded: &nodes).bytes, as: UTF8.self) else { throw invalid }
                    return value
                }
                let member = try MemberID(text())
                let displayName = try text()
                let agency = try text()
                let agencyName = try text()
                let agencyKind = try text()
                guard agency == member.agency.rawValue else { throw invalid }
                let signingKey = try SigningPublicKey(bytes: try ASN1OctetString(derEncoded: &nodes).bytes)
                let encryptionKey = try EncryptionPublicKey(bytes: try ASN1OctetString(derEncoded: &nodes).bytes)
                let issuedAt = try Int64(derEncoded: &nodes)
                var authority: Authority?
                if let text: ASN1UTF8String = try DER.optionalImplicitlyTagged(&nodes, tag: Self.authorityTag) {
                    guard let value = String(validating: text.bytes, as: UTF8.self).flatMap(Authority.init) else { throw invalid }
                    authority = value
                }
                return DirectoryEntry(member: member, displayName: displayName, agencyName: agencyName, agencyKind: agencyKind,
                                      signingKey: signingKey, encryptionKey: encryptionKey, issuedAt: issuedAt, authority: authority)
            }
        } catch {
            throw invalid
        }
        guard entry.derEncoded() == parts.entry else { throw invalid }
        return entry
    }

    static func frame(_ signed: [UInt8]) throws(PKIError) -> (entry: [UInt8], signer: MemberID, signature: [UInt8]) {
        guard signed.count <= 4096 else { throw PKIError(.invalidPEM, "a signed directory entry is at most 4 KiB") }
        do {
            return try DER.sequence(try DER.parse(signed), identifier: .sequence) { nodes in
                let entry = Array(try ASN1OctetString(derEncoded: &nodes).bytes)
                guard let signer = String(validating: try ASN1UTF8String(derEncoded: &nodes).bytes, as: UTF8.self) else { throw PKIError(.invalidPEM, "") }
                return (entry, try MemberID(signer), Array(try ASN1OctetString(derEncoded: &nodes).bytes))
            }
        } catch {
            throw PKIError(.invalidPEM, "the signed directory entry is not canonical DER in the ISR layout")
        }
    }
}
