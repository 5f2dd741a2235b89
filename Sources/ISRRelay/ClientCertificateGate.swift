import Hummingbird
import NIOSSL

/// TLS accepts a connection without a client certificate only so that a practitioner can enrol with an invitation code.
/// This gate refuses every other route before it runs unless the peer presented a certificate the deployment CA issued
/// (TLS already verified it), and keeps that certificate's DER in the context for `MemberAuthentication`.
struct ClientCertificateGate: RouterMiddleware {
    typealias Context = RelayRequestContext
    /// The only paths reachable without a client certificate.
    static let openPaths: Set<String> = ["/v1/enrolments", "/v1/enrolments/invitation"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let peer = try? await context.channel.nioSSL_peerCertificate().get()
        context.peerCertificate = peer.flatMap { try? $0.toDERBytes() }
        guard context.peerCertificate != nil || Self.openPaths.contains(request.uri.path) else {
            throw RelayRefusal.forbidden("auth.no-certificate", "present your ISR client certificate (only enrolment with an invitation code works without one)")
        }
        return try await next(request, context)
    }
}
