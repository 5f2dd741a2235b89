import ArgumentParser
import Foundation
import ISRClient
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI

/// `isr admin …`: deployment, agencies, members and role addresses. Run with the admin's home.
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Administer a deployment: create it, register agencies, enrol and revoke members, set role addresses.",
        subcommands: [AdminInit.self, AgencyCommands.self, MemberCommands.self, RoleCommands.self])
}

struct AdminInit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a production deployment in DIR (CA, relay certificate and key, relay.toml) and the first admin identity in --home.")

    @Option(help: "Directory for the deployment's files (must not hold one already).") var out: String
    @Option(name: .customLong("relay-host"), help: "A name or address the relay is reached by (repeat for several).") var relayHosts: [String]
    @Option(help: "The relay's port.") var port = 8443
    @Option(help: "The first admin's member id, e.g. admin@devon-la.") var admin = "admin@isr-admin"
    @Option(help: "The first admin's display name.") var name = "Deployment admin"
    @Option(help: "The admin agency's name.") var agencyName = "ISR deployment administration"
    @Option(help: "The admin agency's kind.") var agencyKind = "local-authority"
    @Option(help: "The purpose policy to deploy.") var policy = "config/policy.toml"
    @OptionGroup var global: GlobalOptions

    struct Result: Encodable {
        let directory: String
        let config: String
        let admin: String
        let adminFingerprint: String
        let relayUrl: String
    }

    func run() async throws {
        guard !relayHosts.isEmpty else { throw ClientError(.usage, "give at least one --relay-host (a DNS name or IP address)") }
        guard (1...65535).contains(port) else { throw ClientError(.usage, "--port must be 1–65535") }
        let member: MemberID
        do { member = try MemberID(admin) } catch { throw ClientError(.usage, error.message) }
        let passphrase = try global.passphrase.read(purpose: "the new admin identity \(member)", confirm: true)
        let options = ProductionDeployment.Options(directory: out, hosts: relayHosts, port: port, admin: member, adminName: name,
                                                   agencyName: agencyName, agencyKind: agencyKind, policyPath: policy)
        try ProductionDeployment.create(options, home: global.isrHome, passphrase: passphrase)
        let config = try global.isrHome.config()
        let identity = try IdentityFile.load(from: global.isrHome.identityPath)
        Terminal.emit(Result(directory: out, config: out + "/relay.toml", admin: member.rawValue, adminFingerprint: identity.signingPublicKey.fingerprint,
                             relayUrl: config.relayUrl), json: global.json, human: """
            Deployment created in \(out). Start the relay with:
              isr-relay --config \(out)/relay.toml
            First admin \(member) is in \(global.isrHome.path); admin key fingerprint \(identity.signingPublicKey.fingerprint).
            Keep \(out)/ca.key offline once everyone is enrolled.
            """)
    }
}
