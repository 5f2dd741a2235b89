import Crypto
import Foundation
import ISRClient
import ISRCrypto
import ISRPKI
import ISRPacket

/// A deployment that exists for one benchmark run: CA, relay certificate for 127.0.0.1, relay signing key, first
/// admin (kept in memory), policy and `relay.toml` in a temporary directory that is removed afterwards.
public struct ThrowawayDeployment: Sendable {
    public let directory: String
    public let admin: BenchMember
    public let caPEM: String
    public var configPath: String { directory + "/relay.toml" }
    public var storePath: String { directory + "/data/relay.sqlite" }
    /// The PostgreSQL database the relays share, if `useStore(url:)` set one.
    public var storeURL: String? {
        let text = (try? String(contentsOfFile: configPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").first { $0.hasPrefix("url = \"postgres") }.map { String($0.dropFirst(7).dropLast()) }
    }

    /// Points the relay configuration at a PostgreSQL database instead of the SQLite file.
    public func useStore(url: String) throws {
        let text = try String(contentsOfFile: configPath, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "[store]\n", with: "[store]\nurl = \"\(url)\"\n").utf8).write(to: URL(fileURLWithPath: configPath))
    }

    public static func create(policyPath: String) throws -> ThrowawayDeployment {
        guard let policy = FileManager.default.contents(atPath: policyPath) else {
            throw BenchError("cannot read the policy \(policyPath); run from the repository root or pass --policy FILE")
        }
        let directory = NSTemporaryDirectory() + "isr-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let ca = try DeploymentFiles.writeAuthority(in: directory, caName: "ISR benchmark deployment (throw-away)", hosts: ["127.0.0.1", "localhost"])
        try policy.write(to: URL(fileURLWithPath: directory + "/policy.toml"))
        let adminID = try MemberID("admin@bench-admin")
        let tlsKey = P256.Signing.PrivateKey()
        let keys = PractitionerKeys.generate()
        let certificate = try DeploymentFiles.writeFirstAdmin(in: directory, ca: ca, admin: adminID, displayName: "Benchmark admin",
                                                              agencyName: "Benchmark administration", agencyKind: "local-authority", keys: keys, tlsKey: tlsKey)
        let options = ProductionDeployment.Options(directory: directory, hosts: ["127.0.0.1"], port: 0, admin: adminID, adminName: "Benchmark admin",
                                                   agencyName: "Benchmark administration", agencyKind: "local-authority", policyPath: policyPath)
        // The benchmark measures the relay, not its guards: rate limits and connection caps are lifted for it (every
        // synthetic connection comes from one address, and each member sends far faster than a practitioner).
        let unguarded = ProductionDeployment.relayTOML(options).replacingOccurrences(of: "max_packet_bytes = 65536", with: """
            max_packet_bytes = 65536
            sends_per_minute = 1000000
            admin_actions_per_minute = 1000000
            requests_per_minute = 1000000
            address_sends_per_minute = 1000000
            address_admin_actions_per_minute = 1000000
            max_connections = 100000
            max_connections_per_address = 100000
            idle_timeout_seconds = 3600
            """)
        try Data(unguarded.utf8).write(to: URL(fileURLWithPath: directory + "/relay.toml"))
        let caPEM = try ca.certificate.serializeAsPEM().pemString
        let admin = BenchMember(id: adminID, keys: keys, tlsKeyPEM: tlsKey.pemRepresentation, certificatePEM: try certificate.serializeAsPEM().pemString)
        return ThrowawayDeployment(directory: directory, admin: admin, caPEM: caPEM)
    }

    /// Deletes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
