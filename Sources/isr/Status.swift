import ArgumentParser
import ISRClient
import ISRRelayAPI

/// `isr status [ID] [--overdue]`: a packet's states with times, or every packet you sent.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a packet's states with times, or all you sent (overdue ones marked).")
    @Argument(help: "A packet id (default: everything you sent).") var id: String?
    @Flag(help: "Only overdue packets.") var overdue = false
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        if let id {
            let packet = try packetID(id)
            let status: PacketStatus
            do {
                status = try await withSession(global) { try await $0.status(packet) }
            } catch let error as ClientError where error.code == .network {
                // Offline: what this home recorded itself.
                let lines = try Audit.Show.lines(about: packet, global: global)
                guard !lines.isEmpty else { throw error }
                Terminal.error(error.message, hint: "showing your local record instead (states after your last contact are not included)")
                Terminal.emit(lines, json: global.json, human: Audit.Show.text(lines))
                return
            }
            var lines = ["\(status.kind) \(status.id) from \(status.sender) to \(status.recipients.joined(separator: ", ")) — \(status.state)\(status.overdue ? " — OVERDUE" : "")",
                         "purpose \(status.purpose); read-back due \(timeText(status.deadline))"]
            lines += status.history.map { "  \(timeText($0.at))  \($0.state.padding(toLength: 24, withPad: " ", startingAt: 0)) \($0.actor)" }
            Terminal.emit(status, json: global.json, human: lines.joined(separator: "\n"))
            return
        }
        let sent = try await withSession(global) { session in
            try await session.client.get("/v1/sent").decode(ListBody<PacketStatus>.self).items
        }.filter { !overdue || $0.overdue }
        Terminal.emit(sent, json: global.json, human: sent.isEmpty ? (overdue ? "Nothing you sent is overdue." : "You have sent nothing yet.") : Terminal.table(
            ["ID", "KIND", "TO", "STATE", "SENT", "DUE", ""],
            sent.map { [$0.id, $0.kind, $0.recipients.joined(separator: ","), $0.state, timeText($0.acceptedAt), timeText($0.deadline), $0.overdue ? "OVERDUE" : ""] }))
    }
}
