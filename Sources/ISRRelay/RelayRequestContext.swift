import Foundation
import Hummingbird
import ISRCrypto
import ISRPacket
import ISRRelayAPI
import ISRStore
import NIOCore
import NIOSSL

/// The request context: the TLS channel (to read the verified peer certificate) and, once the
/// authentication middleware ran, the member every request is made as.
public struct RelayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel
    /// Set by `MemberAuthentication` for every route behind it.
    public var member: Member?
    /// The DER of the verified client certificate, if the peer presented one (set by `ClientCertificateGate`).
    public var peerCertificate: [UInt8]?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        member = nil
        peerCertificate = nil
    }

    /// Packets and JSON bodies are small; anything larger is refused while being read.
    public var maxUploadSize: Int { 256 * 1024 }

    public var responseEncoder: JSONEncoder { ISRJSON.encoder() }
    public var requestDecoder: JSONDecoder { ISRJSON.decoder() }

    /// The authenticated member; routes behind `MemberAuthentication` can rely on it.
    func requireMember() throws -> Member {
        guard let member else { throw RelayRefusal.forbidden("auth.no-member", "this route needs an enrolled member's client certificate") }
        return member
    }
}
