import Crypto
import Foundation
import ISRCrypto
import ISRPKI
import ISRPacket
import X509

/// `isr admin init`: a production deployment in a directory (CA, relay certificate for the given host names,
/// relay signing key, `first-admin.json`, `relay.toml`, the policy) and the first admin's identity in a home.
public enum ProductionDeployment {
    public struct Options: Sendable {
        public var directory: String
        public var hosts: [String]
        public var port: Int
        public var admin: MemberID
        public var adminName: String
        public var agencyName: String
        public var agencyKind: String
        public var policyPath: String

        public init(directory: String, hosts: [String], port: Int, admin: MemberID, adminName: String, agencyName: String, agencyKind: String, policyPath: String) {
            self.directory = directory
            self.hosts = hosts
            self.port = port
            self.admin = admin
            self.adminName = adminName
            self.agencyName = agencyName
            self.agencyKind = agencyKind
            self.policyPath = policyPath
        }
    }

    /// Creates everything; refuses a directory that already holds a deployment or a home that holds an identity.
    public static func create(_ options: Options, home: ISRHome, passphrase: SecretBytes) throws(ClientError) {
        let dir = options.directory
        guard !FileManager.default.fileExists(atPath: dir + "/ca.pem") else {
            throw ClientError(.local, "\(dir) already holds a deployment (ca.pem); choose an empty directory")
        }
        guard !home.hasIdentity else { throw ClientError(.local, "\(home.path) already holds an identity; pass --home for the new admin") }
        guard let policy = FileManager.default.contents(atPath: options.policyPath) else {
            throw ClientError(.local, "cannot read the policy \(options.policyPath); pass --policy FILE")
        }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try home.create()
            let ca = try DeploymentFiles.writeAuthority(in: dir, caName: "ISR deployment (\(options.hosts[0]))", hosts: options.hosts)
            try PEMFile.write(String(decoding: policy, as: UTF8.self), to: dir + "/policy.toml", secret: false)
            let tlsKey = P256.Signing.PrivateKey()
            let keys = PractitionerKeys(signing: .generate(), encryption: .generate(), tlsKey: SecretBytes(count: 32) { out in
                tlsKey.rawRepresentation.withUnsafeBytes { out.copyMemory(from: $0) }
            })
            let certificate = try DeploymentFiles.writeFirstAdmin(in: dir, ca: ca, admin: options.admin, displayName: options.adminName,
                                                                  agencyName: options.agencyName, agencyKind: options.agencyKind, keys: keys, tlsKey: tlsKey)
            try PEMFile.write(relayTOML(options), to: dir + "/relay.toml", secret: false)

            try IdentityFile.seal(identity: options.admin.rawValue, keys: keys, passphrase: passphrase).save(to: home.identityPath)
            try home.write(Array(try certificate.serializeAsPEM().pemString.utf8), to: home.certificatePath, secret: false)
            try home.write(Array(try ca.certificate.serializeAsPEM().pemString.utf8), to: home.caPath, secret: false)
            try home.save(HomeConfig(member: options.admin.rawValue, displayName: options.adminName, relayUrl: "https://\(urlHost(options.hosts[0])):\(options.port)",
                                     adminId: options.admin.rawValue, adminKey: Data(keys.signing.publicKey.bytes).base64EncodedString()))
        } catch let error as ClientError {
            throw error
        } catch let error as PKIError {
            throw ClientError(.local, error.message)
        } catch let error as ISRCrypto.CryptoError {
            throw ClientError(.local, error.message)
        } catch {
            throw ClientError(.local, "cannot create the deployment in \(dir): \(error)")
        }
    }

    static func urlHost(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }

    static func isLoopback(_ host: String) -> Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }

    /// The `relay.toml` for a deployment made with `options` (also what isr-bench writes for its throw-away relay).
    public static func relayTOML(_ options: Options) -> String {
        """
        # isr-relay configuration for a production deployment made by `isr admin init`.
        # Relative paths are relative to this file. Keep ca.key offline once all members are enrolled,
        # or remove tls.ca_private_key to stop the relay issuing certificates.

        [server]
        # Loopback only when every relay name is loopback; otherwise every interface.
        host = "\(options.hosts.allSatisfy(isLoopback) ? "127.0.0.1" : "0.0.0.0")"
        port = \(options.port)
        origin = "\(options.hosts[0])"

        [tls]
        ca_certificate = "ca.pem"
        certificate = "relay.pem"
        private_key = "relay.key"
        ca_private_key = "ca.key"
        # Members' client certificates last this many days (1-825); they renew with `isr renew`.
        member_certificate_days = 365

        [relay]
        signing_key = "relay-signing.key"
        first_admin = "first-admin.json"
        policy = "policy.toml"

        [store]
        path = "data/relay.sqlite"

        [limits]
        max_packet_bytes = 65536

        [calendar]
        time_zone = "Europe/London"
        holidays = []

        [escalation]
        interval_seconds = 30

        # Alerts for people who are not looking at a screen: a content-free e-mail per member or role address (through the
        # system's sendmail interface, e.g. msmtp or postfix) and a content-free JSON webhook per agency. Retried with
        # backoff; failures are logged and counted in /metrics; never in the way of accepting a packet.
        # [alerts]
        # sendmail = ["/usr/sbin/sendmail"]          # or ["/usr/bin/msmtp", "-C", "/etc/isr/msmtprc"]
        # from = "isr-relay@example.org"
        # attempts = 6                               # per alert, 1-20
        # backoff_seconds = 30                       # first retry; each retry waits twice as long
        # [[alerts.email]]
        # address = "duty@devon-csc"                 # a member or a role address
        # to = "duty-team@devon-csc.example.org"
        # [[alerts.webhook]]
        # agency = "devon-csc"                       # events for any of the agency's members and role addresses
        # url = "https://alerts.devon-csc.example.org/isr"
        # ca_certificate = "webhook-ca.pem"          # optional: trust this CA instead of the system's
        # secret_file = "webhook.secret"             # optional: signs each body, ISR-Signature: sha256=HMAC

        """
    }
}
