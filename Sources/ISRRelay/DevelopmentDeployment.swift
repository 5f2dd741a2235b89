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
/// passphrase is written beside it), and that admin's ready ISR home in `admin-home/` so that `isr ui` or any `isr admin`
/// command works at once. Created only where no deployment exists. Never for real information.
public enum DevelopmentDeployment {
    public static let adminID = "admin@isr-dev"

    /// True if `directory` already holds a deployment (a CA certificate).
    public static func exists(in directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/ca.pem")
    }

    /// Creates the deployment's files in `directory` (private keys mode 0600).
    /// `relayURL` is what the admin home's `config.json` names (the relay being started).
    public static func create(in directory: String, hosts: [String] = ["localhost", "127.0.0.1", "::1"], relayURL: String = "https://localhost:8443",
                              logger: Logger) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ca = try DeploymentFiles.writeAuthority(in: directory, caName: "ISR DEVELOPMENT deployment (not for real information)", hosts: hosts)
        let admin = try MemberID(adminID)
        let tlsKey = P256.Signing.PrivateKey()
        // The identity holds the TLS key too, so that `admin-home/` is a complete home.
        let keys = PractitionerKeys(signing: .generate(), encryption: .generate(), tlsKey: SecretBytes(count: 32) { out in
            tlsKey.rawRepresentation.withUnsafeBytes { out.copyMemory(from: $0) }
        })
        let certificate = try DeploymentFiles.writeFirstAdmin(in: directory, ca: ca, admin: admin, displayName: "Development admin",
                                                              agencyName: "ISR development deployment", agencyKind: "local-authority", keys: keys, tlsKey: tlsKey)
        try PEMFile.write(try certificate.serializeAsPEM().pemString, to: directory + "/admin.pem", secret: false)
        try PEMFile.write(tlsKey.pemRepresentation, to: directory + "/admin.key", secret: true)
        let passphrase = Hex.encode(SecretBytes.random(count: 16).withUnsafeBytes { Array($0) })
        try PEMFile.write(passphrase + "\n", to: directory + "/admin-passphrase.txt", secret: true)
        let identity = try IdentityFile.seal(identity: adminID, keys: keys, passphrase: SecretBytes(utf8: passphrase), kdf: .interactive())
        try identity.save(to: directory + "/admin-identity.json")
        // The admin's home: the files an enrolled `isr` home holds (identity, certificate, CA, config with the pinned admin key).
        let home = directory + "/admin-home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try identity.save(to: home + "/identity.json")
        try PEMFile.write(try certificate.serializeAsPEM().pemString, to: home + "/certificate.pem", secret: false)
        try PEMFile.write(try ca.certificate.serializeAsPEM().pemString, to: home + "/ca.pem", secret: false)
        let config: [String: String] = ["member": adminID, "display_name": "Development admin", "relay_url": relayURL, "admin_id": adminID,
                                        "admin_key": Data(keys.signing.publicKey.bytes).base64EncodedString()]
        try PEMFile.write(String(decoding: try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]),
                                 as: UTF8.self) + "\n", to: home + "/config.json", secret: false)
        logger.warning("""
            created a DEVELOPMENT deployment in \(directory): CA, relay certificate for \(hosts.joined(separator: ", ")), \
            relay signing key and first admin \(adminID) (admin.pem, admin.key, admin-identity.json, passphrase in admin-passphrase.txt; \
            their ISR home is admin-home/). \
            It is for development only: never share real information through it.
            """)
    }
}
