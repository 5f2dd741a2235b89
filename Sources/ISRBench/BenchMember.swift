import Crypto
import Foundation
import ISRCrypto
import ISRPacket
import NIOSSL

/// A practitioner the benchmark acts as: their ISR keys and the client certificate the deployment issued them.
public struct BenchMember: Sendable {
    public let id: MemberID
    public let keys: PractitionerKeys
    public let tlsKeyPEM: String
    public let certificatePEM: String

    /// A TLS 1.3 client context presenting this member's certificate and trusting only `caPEM`.
    public func tlsContext(caPEM: String) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(tlsKeyPEM.utf8), format: .pem))
        return try NIOSSLContext(configuration: tls)
    }
}
