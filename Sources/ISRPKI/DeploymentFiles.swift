import Crypto
import Foundation
import ISRCrypto
import ISRPacket
import X509

/// The files every deployment has, whoever creates it (the relay's development deployment, `isr admin init`):
/// the CA, the relay's TLS certificate and key, the relay's signing key, and the first admin's `first-admin.json`.
public enum DeploymentFiles {
    /// Writes `ca.pem`, `ca.key`, `relay.pem`, `relay.key` and `relay-signing.key` into `directory` (keys mode 0600).
    public static func writeAuthority(in directory: String, caName: String, hosts: [String]) throws -> DeploymentCA {
        let ca = try DeploymentCA.create(name: caName)
        try PEMFile.write(try ca.certificate.serializeAsPEM().pemString, to: directory + "/ca.pem", secret: false)
        try PEMFile.write(ca.privateKeyPEM, to: directory + "/ca.key", secret: true)
        let relayKey = P256.Signing.PrivateKey()
        try PEMFile.write(try ca.issueServerCertificate(hosts: hosts, publicKey: relayKey.publicKey).serializeAsPEM().pemString,
                          to: directory + "/relay.pem", secret: false)
        try PEMFile.write(relayKey.pemRepresentation, to: directory + "/relay.key", secret: true)
        try SigningKeyFile.write(SigningKeyPair.generate(), to: directory + "/relay-signing.key")
        return ca
    }

    /// Issues the first admin's client certificate for `tlsKey`, has them sign their own directory entry (the key
    /// clients pin), and writes `first-admin.json`. Returns the certificate.
    public static func writeFirstAdmin(in directory: String, ca: DeploymentCA, admin: MemberID, displayName: String, agencyName: String,
                                       agencyKind: String, keys: PractitionerKeys, tlsKey: P256.Signing.PrivateKey) throws -> Certificate {
        let certificate = try ca.issueClientCertificate(for: MemberCertificateRequest(member: admin, privateKey: tlsKey))
        let entry = DirectoryEntry(member: admin, displayName: displayName, agencyName: agencyName, agencyKind: agencyKind,
                                   signingKey: keys.signing.publicKey, encryptionKey: keys.encryption.publicKey,
                                   issuedAt: Int64(Date().timeIntervalSince1970 * 1000), authority: .deployment).signed(by: admin, key: keys.signing)
        let firstAdmin = FirstAdmin(
            id: admin.rawValue, displayName: displayName, agencyName: agencyName, agencyKind: agencyKind,
            signingKey: Data(keys.signing.publicKey.bytes).base64EncodedString(), encryptionKey: Data(keys.encryption.publicKey.bytes).base64EncodedString(),
            certificateFingerprint: Hex.encode(ISRCrypto.SHA256.hash(try certificate.serializeAsPEM().derBytes)),
            directoryEntry: Data(entry).base64EncodedString())
        try PEMFile.write(String(decoding: try FirstAdmin.coders.0.encode(firstAdmin), as: UTF8.self) + "\n", to: directory + "/first-admin.json", secret: false)
        return certificate
    }
}
