
import Foundation
import Hummingbird
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import ISRStore
import X509

/// Establishes who is asking, on every request: the client certificate TLS already verified against the
/// deployment CA must name an enrolled member (SAN URI), match that member's registered certificate, and both
/// the member and their agency must be active. A revoked member's still-valid certificate is refused here.
struct MemberAuthentication: RouterMiddleware {
    typealias Context = RelayRequestContext
    let store: any RelayStore
    let certificates = CertificateIdentityCache()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.member = try await authenticate(context)
        return try await next(request, context)
    }

    func authenticate(_ context: Context) async throws -> Member {
        guard let der = context.peerCertificate else { throw RelayRefusal.forbidden("auth.no-certificate", "present your ISR client certificate") }
        let identity = try identity(of: der)
        let id = identity.member
        let member: Member?
        let agency: Agency?
        do {
            member = try await store.member(id)
            agency = try await store.agency(id.agency)
        } catch let error as StoreError {
            throw RelayRefusal.store(error)
        }
        // Every request passes here: the member's primary certificate is matched without building the key list.
        let device = member.flatMap { member in
            member.certificateFingerprint == identity.fingerprint ? member.primaryKey
                : member.otherKeys.first { $0.certificateFingerprint == identity.fingerprint && $0.state != .retired }
        }
        guard let member, let device else {
            throw RelayRefusal.forbidden("auth.not-enrolled", "\(id) is not enrolled with this certificate (or this device's keys were replaced); ask your admin to enrol you")
        }
        guard member.status == .active else {
            throw RelayRefusal.forbidden("auth.member-revoked", "\(id) has been revoked; ask your deployment admin")
        }
        guard device.state == .active else {
            throw RelayRefusal.forbidden("auth.device-revoked", "this device of \(id) (`\(device.device)`) has been revoked; use another of your devices or ask your admin")
        }
        guard let agency, agency.status == .active else {
            throw RelayRefusal.forbidden("auth.agency-suspended", "agency \(id.agency) is suspended; ask your deployment admin")
        }
        // Requests are checked against the keys of the device that made them.
        return member.device == device.device ? member : member.viewed(from: device)
    }

    /// The member id and fingerprint of a certificate, parsed once per distinct certificate.
    func identity(of der: [UInt8]) throws -> CertificateIdentityCache.Identity {
        if let known = certificates.identity(for: der) { return known }
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw RelayRefusal.forbidden("auth.certificate-unreadable", "the client certificate could not be read")
        }
        let id: MemberID
        do {
            id = try MemberIdentity.memberID(in: certificate)
        } catch {
            throw RelayRefusal.forbidden("auth.no-member-id", error.message)
        }
        let identity = CertificateIdentityCache.Identity(member: id, fingerprint: Hex.encode(SHA256.hash(der)))
        certificates.remember(identity, for: der)
        return identity
    }
}
