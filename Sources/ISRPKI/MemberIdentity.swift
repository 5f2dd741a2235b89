import ISRPacket
import X509

/// How a member id travels in X.509: a subject-alternative-name URI `isr:member:<id>` (and the common name).
/// The relay takes the identity of every request from this URI in the verified client certificate.
public enum MemberIdentity {
    public static let uriPrefix = "isr:member:"

    /// The SAN URI for `member`.
    public static func uri(for member: MemberID) -> String { uriPrefix + member.rawValue }

    /// The one member id a certificate names; refused if it names none, several, or an invalid one.
    public static func memberID(in certificate: Certificate) throws(PKIError) -> MemberID {
        let names: SubjectAlternativeNames?
        do {
            names = try certificate.extensions.subjectAlternativeNames
        } catch {
            throw PKIError(.certificateIdentity, "the certificate's subject alternative names cannot be read")
        }
        return try memberID(in: names)
    }

    static func memberID(in names: SubjectAlternativeNames?) throws(PKIError) -> MemberID {
        let uris = (names ?? SubjectAlternativeNames()).compactMap { name -> String? in
            if case .uniformResourceIdentifier(let uri) = name, uri.hasPrefix(uriPrefix) { return uri }
            return nil
        }
        guard uris.count == 1, let uri = uris.first else {
            throw PKIError(.certificateIdentity, "an ISR client certificate names exactly one member as a SAN URI `\(uriPrefix)name@agency`; this one names \(uris.count)")
        }
        do {
            return try MemberID(String(uri.dropFirst(uriPrefix.count)))
        } catch {
            throw PKIError(.certificateIdentity, "the certificate's member URI does not hold a valid member id")
        }
    }
}
