import Crypto
import Foundation
import X509
import ISRCrypto
import ISRPKI
import ISRPacket

/// Making a new identity: keys made here, sealed under the passphrase, and the key request an admin approves.
extension ISRHome {
    /// Where `isr enrol --code` keeps the key request it submitted, until the certificate is installed.
    public var pendingRequestPath: String { path + "/enrolment-request.json" }

    /// New keys for `member` (signing, encryption and the TLS key), sealed for this home, and their key request.
    /// Nothing is written: `install` does that once the caller has written whatever must come first.
    public static func newIdentity(member: MemberID, displayName: String, passphrase: SecretBytes) throws(ClientError) -> (IdentityFile, CertificateRequestFile) {
        let tlsKey = P256.Signing.PrivateKey()
        let keys = PractitionerKeys(signing: .generate(), encryption: .generate(),
                                    tlsKey: SecretBytes(count: 32) { out in tlsKey.rawRepresentation.withUnsafeBytes { out.copyMemory(from: $0) } })
        let request: MemberKeyRequest
        do { request = try MemberKeyRequest(member: member, signing: keys.signing, encryptionKey: keys.encryption.publicKey, tlsKey: tlsKey) } catch {
            throw ClientError(.local, error.message)
        }
        let identity: IdentityFile
        do { identity = try IdentityFile.seal(identity: member.rawValue, keys: keys, passphrase: passphrase) } catch { throw ClientError(.local, error.message) }
        return (identity, try CertificateRequestFile(request, displayName: displayName))
    }

    /// Creates the home (0700) and writes the identity, the CA and the configuration.
    public func install(_ identity: IdentityFile, caPEM: String, config: HomeConfig) throws(ClientError) {
        guard !hasIdentity else {
            throw ClientError(.local, "\(path) already holds an identity; use another --home, or remove it if it is yours and unused")
        }
        try create()
        do { try identity.save(to: identityPath) } catch { throw ClientError(.local, error.message) }
        try write(Array(caPEM.utf8), to: caPath, secret: false)
        try save(config)
    }

    /// When this home's client certificate expires, or nil if it has none (not enrolled yet) or it cannot be read.
    public func certificateExpiry() -> Date? {
        guard let pem = try? text(certificatePath, missing: ""), let certificate = try? Certificate(pemEncoded: pem) else { return nil }
        return certificate.notValidAfter
    }

    /// Removes what `install` and a pending request wrote (and the directory, if nothing else is in it).
    public func removeNewIdentity() {
        for file in [identityPath, caPath, configPath, pendingRequestPath, certificatePath] { try? FileManager.default.removeItem(atPath: file) }
        if (try? FileManager.default.contentsOfDirectory(atPath: path))?.isEmpty == true { try? FileManager.default.removeItem(atPath: path) }
    }
}
