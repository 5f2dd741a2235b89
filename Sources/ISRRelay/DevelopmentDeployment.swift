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
        let ca = try DeploymentFiles.writeAuthority(in: directory, caName: "ISR DEVELOPMENT deployment (not for real information)", hosts: hosts)
        let admin = try MemberID(adminID)
        let tlsKey = P256.Signing.PrivateKey()
        let keys = PractitionerKeys.generate()
        let certificate = try DeploymentFiles.writeFirstAdmin(in: directory, ca: ca, admin: admin, displayName: "Development admin",
                                                              agencyName: "ISR development deployment", agencyKind: "local-authority", keys: keys, tlsKey: tlsKey)
        try PEMFile.write(try certificate.serializeAsPEM().pemString, to: directory + "/admin.pem", secret: false)
        try PEMFile.write(tlsKey.pemRepresentation, to: directory + "/admin.key", secret: true)
        let passphrase = Hex.encode(SecretBytes.random(count: 16).withUnsafeBytes { Array($0) })
        try PEMFile.write(passphrase + "\n", to: directory + "/admin-passphrase.txt", secret: true)
        try IdentityFile.seal(identity: adminID, keys: keys, passphrase: SecretBytes(utf8: passphrase), kdf: .interactive())
            .save(to: directory + "/admin-identity.json")
        logger.warning("""
            created a DEVELOPMENT deployment in \(directory): CA, relay certificate for \(hosts.joined(separator: ", ")), \
            relay signing key and first admin \(adminID) (admin.pem, admin.key, admin-identity.json, passphrase in admin-passphrase.txt). \
            It is for development only: never share real information through it.
            """)
    }
}
