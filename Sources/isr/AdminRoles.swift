import ArgumentParser
import Foundation
import ISRClient
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI

struct RoleCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "role", abstract: "Manage role addresses such as duty@agency.", subcommands: [Set.self, List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the role addresses and whom each reaches.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let roles = try await withSession(global) { session in try await session.client.get("/v1/roles").decode(ListBody<RoleAddressBody>.self).items }
            Terminal.emit(roles, json: global.json, human: roles.isEmpty ? "No role addresses." : Terminal.table(["ADDRESS", "REACHES"],
                                                                                                               roles.map { [$0.address, $0.members.joined(separator: ", ")] }))
        }
    }

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
