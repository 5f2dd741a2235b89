import Crypto
import Foundation
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import Logging
import X509

/// A throw-away deployment for development and tests: a CA, the relay's certificate for the loopback names,
/// the relay's signing key and a first admin (TLS key and certificate, and an ISR identity whose random
/// passphrase is written beside it). Created only where no deployment exists. Never for real information.
public enum DevelopmentDeployment {
    public static let adminID = "admin@isr-dev"

    /// True if `directory` already holds a deployment (a CA certificate).
    public static func exists(in directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/ca.pem")
    }

    /// Creates the deployment's files in `directory` (private keys mode 0600).
    public static func create(in directory: String, hosts: [String] = ["localhost", "127.0.0.1", "::1"], logger: Logger) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ca = try DeploymentCA.create(name: "ISR DEVELOPMENT deployment (not for real information)")
        try PEMFile.write(try ca.certificate.serializeAsPEM().pemString, to: directory + "/ca.pem", secret: false)
        try PEMFile.write(ca.privateKeyPEM, to: directory + "/ca.key", secret: true)

        let relayKey = P256.Signing.PrivateKey()
        let relayCertificate = try ca.issueServerCertificate(hosts: hosts, publicKey: relayKey.publicKey)
        try PEMFile.write(try relayCertificate.serializeAsPEM().pemString, to: directory + "/relay.pem", secret: false)
        try PEMFile.write(relayKey.pemRepresentation, to: directory + "/relay.key", secret: true)
        try SigningKeyFile.write(SigningKeyPair.generate(), to: directory + "/relay-signing.key")

        let admin = try MemberID(adminID)
        let tlsKey = P256.Signing.PrivateKey()
        let certificate = try ca.issueClientCertificate(for: MemberCertificateRequest(member: admin, privateKey: tlsKey))
        try PEMFile.write(try certificate.serializeAsPEM().pemString, to: directory + "/admin.pem", secret: false)
        try PEMFile.write(tlsKey.pemRepresentation, to: directory + "/admin.key", secret: true)

        let keys = PractitionerKeys.generate()
        let passphrase = Hex.encode(SecretBytes.random(count: 16).withUnsafeBytes { Array($0) })
        try PEMFile.write(passphrase + "\n", to: directory + "/admin-passphrase.txt", secret: true)
        try IdentityFile.seal(identity: adminID, keys: keys, passphrase: SecretBytes(utf8: passphrase), kdf: .interactive())
            .save(to: directory + "/admin-identity.json")

        let agencyName = "ISR development deployment"
        let entry = DirectoryEntry(member: admin, displayName: "Development admin", agencyName: agencyName, agencyKind: "local-authority",
                                   signingKey: keys.signing.publicKey, encryptionKey: keys.encryption.publicKey,
                                   issuedAt: Int64(Date().timeIntervalSince1970 * 1000)).signed(by: admin, key: keys.signing)
        let firstAdmin = FirstAdmin(
            id: adminID, displayName: "Development admin", agencyName: agencyName, agencyKind: "local-authority",
            signingKey: Data(keys.signing.publicKey.bytes).base64EncodedString(), encryptionKey: Data(keys.encryption.publicKey.bytes).base64EncodedString(),
            certificateFingerprint: Hex.encode(ISRCrypto.SHA256.hash(try certificate.serializeAsPEM().derBytes)),
            directoryEntry: Data(entry).base64EncodedString())
        try PEMFile.write(String(decoding: try FirstAdmin.coders.0.encode(firstAdmin), as: UTF8.self) + "\n", to: directory + "/first-admin.json", secret: false)
        logger.warning("""
            created a DEVELOPMENT deployment in \(directory): CA, relay certificate for \(hosts.joined(separator: ", ")), \
            relay signing key and first admin \(adminID) (admin.pem, admin.key, admin-identity.json, passphrase in admin-passphrase.txt). \
            It is for development only: never share real information through it.
            """)
    }
}
