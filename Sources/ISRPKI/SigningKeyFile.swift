import ISRCrypto
import SwiftASN1

/// An unattended service's Ed25519 key on disk (the relay's checkpoint key): the 32-byte seed in a PEM armor
/// `ISR ED25519 SEED`, mode 0600. Like a TLS server key it is not passphrase-protected, so that the daemon can
/// start by itself; file permissions protect it.
public enum SigningKeyFile {
    static let pemType = "ISR ED25519 SEED"

    public static func write(_ key: SigningKeyPair, to path: String) throws(PKIError) {
        let seed = key.seed.withUnsafeBytes { Array($0) }
        let pem = PEMDocument(type: pemType, derBytes: seed).pemString + "\n"
        do {
            try AtomicFile.write(Array(pem.utf8), to: path, mode: 0o600)
        } catch {
            throw PKIError(.fileSystem, error.message)
        }
    }

    public static func read(_ path: String) throws(PKIError) -> SigningKeyPair {
        let bytes: [UInt8]
        do {
            bytes = try AtomicFile.read(path, limit: 4096)
        } catch {
            throw PKIError(.fileSystem, error.message)
        }
        do {
            let document = try PEMDocument(pemString: String(decoding: bytes, as: UTF8.self))
            guard document.discriminator == pemType, document.derBytes.count == 32 else { throw PKIError(.invalidPEM, "") }
            var seed = document.derBytes
            return try SigningKeyPair(seed: SecretBytes(consuming: &seed))
        } catch {
            throw PKIError(.invalidPEM, "\(path) is not an `\(pemType)` PEM file holding a 32-byte seed")
        }
    }
}
