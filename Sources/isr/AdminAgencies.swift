import ArgumentParser
import Foundation
import ISRClient
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI

struct AgencyCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agency", abstract: "Register, list, suspend or reinstate agencies.",
                                                    subcommands: [Add.self, List.self, Suspend.self, Reinstate.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the agencies.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let agencies = try await withSession(global) { session in try await session.client.get("/v1/agencies").decode(ListBody<AgencyBody>.self).items }
            Terminal.emit(agencies, json: global.json, human: Terminal.table(["AGENCY", "NAME", "KIND", "STATUS"], agencies.map { [$0.id, $0.name, $0.kind, $0.status] }))
        }
    }

    struct Reinstate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reinstate a suspended agency: its members are accepted again.")
        @Argument(help: "The agency id.") var id: String
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let agency = try await withSession(global) { session in
                try await session.client.post("/v1/admin/agencies/\(id)/reinstate", json: [String: String]()).decode(AgencyBody.self)
            }
            Terminal.emit(agency, json: global.json, human: "Reinstated agency \(agency.id).")
        }
    }

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
