import Crypto
import Foundation
import NIOSSL
import Synchronization
import X509

/// The relay's own TLS certificate and key, read from their files and swapped in for new handshakes when the relay is
/// told to reload (SIGHUP): renewing the certificate needs no restart. A pair whose key does not match is refused and
/// the current one kept.
public final class ServerCertificate: Sendable {
    let certificatePath: String
    let keyPath: String
    private let current: Mutex<NIOSSLContextConfigurationOverride>

    public init(certificatePath: String, keyPath: String) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        current = Mutex(try Self.load(certificatePath: certificatePath, keyPath: keyPath))
    }

    /// Re-reads both files; throws (keeping the current pair) if they cannot be read or do not belong together.
    public func reload() throws {
        let fresh = try Self.load(certificatePath: certificatePath, keyPath: keyPath)
        current.withLock { $0 = fresh }
    }

    /// Hands each new handshake the current pair.
    var callback: NIOSSLContextCallback {
        { [self] _, promise in promise.succeed(current.withLock { $0 }) }
    }

    static func load(certificatePath: String, keyPath: String) throws -> NIOSSLContextConfigurationOverride {
        let certificatePEM = try String(contentsOfFile: certificatePath, encoding: .utf8)
        let keyPEM = try String(contentsOfFile: keyPath, encoding: .utf8)
        guard let leaf = try? Certificate(pemEncoded: certificatePEM), let key = try? P256.Signing.PrivateKey(pemRepresentation: keyPEM),
              leaf.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw ConfigurationError("\(certificatePath) and \(keyPath) are not a P-256 certificate and its key")
        }
        var pair = NIOSSLContextConfigurationOverride()
        pair.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { .certificate($0) }
        pair.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
        return pair
    }
}
