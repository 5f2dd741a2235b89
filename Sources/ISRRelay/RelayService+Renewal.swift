import Foundation
import ISRPKI
import ISRRelayAPI
import ISRStore
import X509

/// Certificates over time: a member renews their client certificate for the same TLS key, over mTLS with the current
/// one, before it expires; `/metrics` counts the certificates that expire within 30 days.
extension RelayService {
    static let renewalWarningMilliseconds: Int64 = 30 * 86_400_000

    /// Issues a new certificate for the key the caller's current certificate holds; the old certificate stops working.
    public func renewCertificate(_ request: RenewalRequest, presented: [UInt8]?, by member: Member) async throws -> RenewalBody {
        guard let ca = certificateAuthority else {
            throw RelayRefusal(.serviceUnavailable, code: "admin.no-ca", title: "No CA", detail: "this relay holds no CA key, so it cannot issue certificates")
        }
        let csr: MemberCertificateRequest
        do { csr = try MemberCertificateRequest(pem: request.certificateRequest) } catch { throw RelayRefusal.unprocessable(error.code.rawValue, error.message) }
        guard csr.member == member.id else {
            throw RelayRefusal.forbidden("renewal.other-member", "the certificate request is for \(csr.member); you can renew only your own certificate")
        }
        guard let presented, let current = try? Certificate(derEncoded: presented), current.publicKey == csr.request.publicKey else {
            throw RelayRefusal.unprocessable("renewal.other-key", "a renewal keeps the TLS key of your current certificate; to change keys, ask your admin to re-key you")
        }
        let issued = try issueCertificate(csr, ca: ca)
        _ = try await stored {
            try await store.renewCertificate(member.id, device: member.device, fingerprint: issued.fingerprint, expiresAt: issued.expiresAt,
                                             event: event("member.certificate-renewed", by: member.id.rawValue, ["member": member.id.rawValue]))
        }
        return RenewalBody(certificate: issued.pem, expiresAt: issued.expiresAt)
    }

    /// Active members whose recorded certificate expires within 30 days of now (or has expired): the `/metrics` gauge.
    public func certificatesExpiringSoon() async throws -> Int {
        let horizon = clock() + Self.renewalWarningMilliseconds
        return try await stored { try await store.members() }.flatMap(\.activeKeys).filter { ($0.certificateExpiresAt ?? .max) < horizon }.count
    }
}
