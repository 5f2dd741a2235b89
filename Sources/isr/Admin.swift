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

struct AgencyCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agency", abstract: "Register or suspend agencies.", subcommands: [Add.self, Suspend.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an agency.")
        @Argument(help: "The agency id, e.g. devon-csc.") var id: String
        @Option(help: "The agency's name.") var name: String
        @Option(help: "school, health, police, childrens-social-care, mash, local-authority or voluntary.") var kind: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let agency = try await withSession(global) { session in
                try await session.client.post("/v1/admin/agencies", json: AgencyRequest(id: id, name: name, kind: kind)).decode(AgencyBody.self)
            }
            Terminal.emit(agency, json: global.json, human: "Registered agency \(agency.id) (\(agency.name), \(agency.kind)).")
        }
    }

    struct Suspend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suspend an agency: its members are refused until it is reinstated.")
        @Argument(help: "The agency id.") var id: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let agency = try await withSession(global) { session in
                try await session.client.post("/v1/admin/agencies/\(id)/suspend", json: [String: String]()).decode(AgencyBody.self)
            }
            Terminal.emit(agency, json: global.json, human: "Suspended agency \(agency.id).")
        }
    }
}

struct MemberCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "member", abstract: "Enrol or revoke members.", subcommands: [Add.self, Revoke.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enrol a member from their request file; writes the enrolment file to hand back.")
        @Argument(help: "The request file from the member's `isr keygen`.") var requestFile: String
        @Option(help: "practitioner, dsl, manager or admin.") var role: String
        @Option(help: "Where to write the enrolment file.") var out: String
        @OptionGroup var global: GlobalOptions

        struct Result: Encodable {
            let member: String
            let role: String
            let enrolmentFile: String
            let fingerprint: String
        }

        func run() async throws {
            let request = try ClientDocuments.read(CertificateRequestFile.self, from: requestFile, what: "request file")
            // The fingerprint shown is computed here from the keys about to be signed, never read from the file.
            let keys = try request.verified(file: requestFile)
            let member = keys.member
            let (signing, encryption) = (keys.signingKey, keys.encryptionKey)
            let home = global.isrHome
            let config = try home.config()
            let adminId = try MemberID(config.member)
            let caPEM = try home.text(home.caPath, missing: "no CA in \(home.path)")
            let enrolment: Enrolment = try await withSession(global) { session in
                let agencies = try await session.client.get("/v1/agencies").decode(ListBody<AgencyBody>.self).items
                guard let agency = agencies.first(where: { $0.id == member.agency.rawValue }) else {
                    throw ClientError(.refused, "agency \(member.agency) is not registered; run `isr admin agency add \(member.agency) --name … --kind …` first")
                }
                let entry = DirectoryEntry(member: member, displayName: request.displayName, agencyName: agency.name, agencyKind: agency.kind,
                                           signingKey: signing, encryptionKey: encryption, issuedAt: Int64(Date().timeIntervalSince1970 * 1000))
                    .signed(by: adminId, key: session.keys.signing)
                return try await session.client.post("/v1/admin/members", json: EnrolmentRequest(
                    certificateRequest: request.certificateRequest, displayName: request.displayName, role: role, signingKey: request.signingKey,
                    encryptionKey: request.encryptionKey, directoryEntry: Data(entry).base64EncodedString(), proof: request.proof)).decode(Enrolment.self)
            }
            let identity = try IdentityFile.load(from: home.identityPath)
            try ClientDocuments.write(EnrolmentFile(member: member.rawValue, certificate: enrolment.certificate, caCertificate: caPEM, relayUrl: config.relayUrl,
                                                    adminId: adminId.rawValue, adminKey: Data(identity.signingPublicKey.bytes).base64EncodedString(),
                                                    directoryEntry: enrolment.member.directoryEntry ?? ""), to: out)
            Terminal.emit(Result(member: member.rawValue, role: role, enrolmentFile: out, fingerprint: keys.fingerprint.description), json: global.json, human: """
                Enrolled \(member) (\(request.displayName)) as \(role). Hand them \(out).
                Before you do, read them this fingerprint by phone and check it is the one their `isr keygen` showed:
                  \(keys.fingerprint)
                """)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a member: their certificate is refused from now on.")
        @Argument(help: "The member id.") var id: String
        @Option(help: "Why (recorded in the audit log).") var reason: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let member = try await withSession(global) { session in
                try await session.client.post("/v1/admin/members/\(id)/revoke", json: RevocationRequest(reason: reason)).decode(DirectoryMember.self)
            }
            Terminal.emit(member, json: global.json, human: "Revoked \(member.id); their certificate is refused from now on.")
        }
    }
}

struct RoleCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "role", abstract: "Manage role addresses such as duty@agency.", subcommands: [Set.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the members of a role address.")
        @Argument(help: "The role address, e.g. duty@devon-csc.") var address: String
        @Option(help: "Comma-separated member ids of the same agency.") var members: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let list = members.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let result = try await withSession(global) { session in
                try await session.client.put("/v1/admin/roles/\(address)", json: RoleAddressRequest(members: list)).decode(ListBody<String>.self)
            }
            Terminal.emit(result, json: global.json, human: "\(address) now reaches \(result.items.joined(separator: ", ")).")
        }
    }
}
