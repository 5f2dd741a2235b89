import Crypto
import Foundation
import ISRCrypto
import ISRPacket
import SwiftASN1
import X509

/// A deployment's certificate authority: the root every relay and client trusts. It signs the relay's server
/// certificate and each member's client certificate (from their request), and nothing else.
public struct DeploymentCA: Sendable {
    public let certificate: Certificate
    let privateKey: P256.Signing.PrivateKey

    /// Validity periods: the CA for ten years, relay and member certificates for one.
    public static let caValidity: TimeInterval = 10 * 365 * 86_400
    public static let leafValidity: TimeInterval = 365 * 86_400

    /// A new CA named `name` (e.g. "Devon ISR deployment").
    public static func create(name: String, now: Date = Date()) throws(PKIError) -> DeploymentCA {
        let key = P256.Signing.PrivateKey()
        do {
            let subject = try DistinguishedName {
                OrganizationName("ISR")
                CommonName(name)
            }
            let publicKey = Certificate.PublicKey(key.publicKey)
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(caValidity),
                issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: publicKey)
                },
                issuerPrivateKey: Certificate.PrivateKey(key))
            return DeploymentCA(certificate: certificate, privateKey: key)
        } catch {
            throw PKIError(.issuance, "the CA certificate could not be created")
        }
    }

    /// Loads a CA from its PEM certificate and PEM private key, checking that they belong together.
    public init(certificatePEM: String, privateKeyPEM: String) throws(PKIError) {
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
            privateKey = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw PKIError(.invalidPEM, "the CA certificate or key is not PEM (P-256)")
        }
        guard certificate.publicKey == Certificate.PublicKey(privateKey.publicKey) else {
            throw PKIError(.invalidPEM, "the CA key does not belong to the CA certificate")
        }
    }

    init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) {
        self.certificate = certificate
        self.privateKey = privateKey
    }

    /// The relay's TLS server certificate for `hosts` (DNS names and IP literals such as `127.0.0.1`, `::1`).
    public func issueServerCertificate(hosts: [String], publicKey: P256.Signing.PublicKey, now: Date = Date()) throws(PKIError) -> Certificate {
        guard !hosts.isEmpty else { throw PKIError(.issuance, "a relay certificate names at least one host") }
        var names: [GeneralName] = []
        for host in hosts {
            if let address = IPAddressBytes(host) {
                names.append(.ipAddress(ASN1OctetString(contentBytes: address[...])))
            } else if host.range(of: #"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"#, options: .regularExpression) != nil {
                names.append(.dnsName(host))
            } else {
                throw PKIError(.issuance, "`\(host)` is neither a lowercase DNS name nor an IP address")
            }
        }
        return try issue(subject: hosts[0], publicKey: Certificate.PublicKey(publicKey), usage: .serverAuth, names: names, now: now)
    }

    /// A new relay certificate for the names `current` carries, for a new key: renewing the relay's TLS certificate
    /// without changing how clients reach it.
    public func renewServerCertificate(_ current: Certificate, publicKey: P256.Signing.PublicKey, now: Date = Date()) throws(PKIError) -> Certificate {
        let names: [GeneralName]
        do { names = Array(try current.extensions.subjectAlternativeNames ?? SubjectAlternativeNames([])) } catch {
            throw PKIError(.issuance, "the current relay certificate's names cannot be read")
        }
        guard !names.isEmpty, let subject = current.subject.flatMap({ $0 }).first(where: { $0.type == .RDNAttributeType.commonName }) else {
            throw PKIError(.issuance, "the current relay certificate names no host")
        }
        return try issue(subject: String(describing: subject.value), publicKey: Certificate.PublicKey(publicKey), usage: .serverAuth, names: names, now: now)
    }

    /// A member's client certificate, from their verified request. The member id comes from the request;
    /// `expected`, when given, must match it (the admin is enrolling a particular person).
    public func issueClientCertificate(for request: MemberCertificateRequest, expected: MemberID? = nil, now: Date = Date(),
                                       validity: TimeInterval = leafValidity) throws(PKIError) -> Certificate {
        if let expected, expected != request.member {
            throw PKIError(.requestIdentity, "the request is for \(request.member), not \(expected)")
        }
        return try issue(subject: request.member.rawValue, publicKey: request.request.publicKey, usage: .clientAuth,
                         names: [.uniformResourceIdentifier(MemberIdentity.uri(for: request.member))], now: now, validity: validity)
    }

    private func issue(subject: String, publicKey: Certificate.PublicKey, usage: ExtendedKeyUsage.Usage, names: [GeneralName], now: Date,
                       validity: TimeInterval = leafValidity) throws(PKIError) -> Certificate {
        do {
            return try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(validity),
                issuer: certificate.subject, subject: try DistinguishedName { CommonName(subject) },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([usage])
                    SubjectAlternativeNames(names)
                    SubjectKeyIdentifier(hash: publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: try certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
                },
                issuerPrivateKey: Certificate.PrivateKey(privateKey))
        } catch {
            throw PKIError(.issuance, "the certificate for \(subject) could not be issued")
        }
    }

    /// The CA's private key as PEM, for writing with mode 0600.
    public var privateKeyPEM: String { privateKey.pemRepresentation }
}

/// The 4 or 16 bytes of an IPv4 or IPv6 literal, or nil.
func IPAddressBytes(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
    return nil
}
