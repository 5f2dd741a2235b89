import Crypto
import Foundation
import ISRPacket
import SwiftASN1
import X509

/// A member's certificate signing request: made on the practitioner's machine with a key that never leaves it,
/// naming the member id as common name and as SAN URI. The CA checks its signature before issuing.
public struct MemberCertificateRequest: Sendable {
    /// Requests are small; anything larger is refused before parsing.
    public static let maximumPEMBytes = 8 * 1024

    public let request: CertificateSigningRequest
    public let member: MemberID

    /// A request for `member`, signed by `privateKey` (ECDSA P-256, the key the TLS client will use).
    public init(member: MemberID, privateKey: P256.Signing.PrivateKey) throws(PKIError) {
        do {
            let extensions = try Certificate.Extensions {
                SubjectAlternativeNames([.uniformResourceIdentifier(MemberIdentity.uri(for: member))])
            }
            request = try CertificateSigningRequest(
                version: .v1,
                subject: try DistinguishedName { CommonName(member.rawValue) },
                privateKey: Certificate.PrivateKey(privateKey),
                attributes: CertificateSigningRequest.Attributes([try .init(ExtensionRequest(extensions: extensions))]),
                signatureAlgorithm: .ecdsaWithSHA256)
        } catch {
            throw PKIError(.issuance, "the certificate request could not be built")
        }
        self.member = member
    }

    /// Parses a PEM request and checks it: bounded, self-signed correctly, naming exactly one valid member.
    public init(pem: String) throws(PKIError) {
        guard pem.utf8.count <= Self.maximumPEMBytes else {
            throw PKIError(.invalidPEM, "a certificate request is at most \(Self.maximumPEMBytes) bytes of PEM")
        }
        let parsed: CertificateSigningRequest
        do {
            parsed = try CertificateSigningRequest(pemEncoded: pem)
        } catch {
            throw PKIError(.invalidPEM, "this is not a PEM certificate request (-----BEGIN CERTIFICATE REQUEST-----)")
        }
        guard parsed.publicKey.isValidSignature(parsed.signature, for: parsed) else {
            throw PKIError(.requestSignature, "the certificate request's signature does not match its key: it was altered or badly made")
        }
        let names: SubjectAlternativeNames?
        do {
            names = try parsed.attributes.extensionRequest?.extensions.subjectAlternativeNames
        } catch {
            throw PKIError(.requestIdentity, "the certificate request's extensions cannot be read")
        }
        let member: MemberID
        do {
            member = try MemberIdentity.memberID(in: names)
        } catch {
            throw PKIError(.requestIdentity, error.message)
        }
        let commonNames = parsed.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }.map { String(describing: $0.value) }
        guard commonNames == [member.rawValue] else {
            throw PKIError(.requestIdentity, "the request's common name must be its member id \(member)")
        }
        request = parsed
        self.member = member
    }

    /// The request's DER bytes, as signed (what a key request's proof covers).
    public func derBytes() throws(PKIError) -> [UInt8] {
        do {
            var serializer = DER.Serializer()
            try serializer.serialize(request)
            return serializer.serializedBytes
        } catch {
            throw PKIError(.invalidPEM, "the certificate request could not be encoded")
        }
    }

    /// The PEM text to hand to an admin.
    public func pem() throws(PKIError) -> String {
        do {
            return try request.serializeAsPEM().pemString
        } catch {
            throw PKIError(.invalidPEM, "the certificate request could not be written as PEM")
        }
    }
}
