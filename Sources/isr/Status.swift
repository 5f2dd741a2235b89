import ArgumentParser
import Foundation
import ISRClient
import ISRLifecycle
import ISRPacket
import ISRRelayAPI

/// `isr status [ID] [--overdue]`: a packet's per-recipient states with what each recipient said they understood, and
/// its history; or every packet you sent.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show where each recipient stands and what they understood, or all you sent (overdue ones marked).")
    @Argument(help: "A packet id (default: everything you sent).") var id: String?
    @Flag(help: "Only overdue packets.") var overdue = false
    @Flag(help: "Packets some recipients can no longer open (they were re-enrolled with new keys): resend them with `isr resend ID`.")
    var resendNeeded = false
    @OptionGroup var global: GlobalOptions

    /// A recipient's read-back as the sender reads it: their own signed words, decrypted here.
    struct Understood: Encodable {
        let member: String
        let readBack: String
        let statement: String
        let concern: String?
    }

    /// The relay's status plus, for the sender, what each recipient said they understood (one flat JSON object).
    struct View: Encodable {
        let status: PacketStatus
        let understood: [Understood]

        enum Key: String, CodingKey { case understood }

        func encode(to encoder: any Encoder) throws {
            try status.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(understood, forKey: .understood)
        }
    }

    func run() async throws {
        if resendNeeded {
            guard id == nil, !overdue else { throw ClientError(.usage, "--resend-needed lists all your packets; give no ID or --overdue with it") }
            let needs = try await withSession(global) { session in try await session.resendNeeded() }
            Terminal.emit(needs, json: global.json, human: needs.isEmpty ? "Every recipient of what you sent can open it." : Terminal.table(
                ["ID", "KIND", "PURPOSE", "SENT", "RE-ENROLLED SINCE"], needs.map { [$0.packet, $0.kind, $0.purpose, timeText($0.sentAt), $0.members.joined(separator: ", ")] })
                + "\nThese recipients lost the keys those packets were sealed to. Resend each with `isr resend ID`.")
            return
        }
        if let id {
            let packet = try packetID(id)
            let view: View
            do {
                view = try await withSession(global) { session in
                    let status = try await session.status(packet)
                    var understood: [Understood] = []
                    if status.sender == session.me.rawValue {
                        for entry in status.recipients where RecipientState(rawValue: entry.state).map(RecipientState.readBack.contains) == true {
                            guard let answer = entry.answer, let answerID = try? PacketID(hex: answer),
                                  let opened = try? await session.open(answerID), opened.header.kind == .readback, opened.header.inReplyTo == packet else { continue }
                            understood.append(Understood(member: opened.header.sender.rawValue, readBack: answer, statement: opened.body.statement,
                                                         concern: opened.body.concern?.rawValue))
                        }
                    }
                    return View(status: status, understood: understood)
                }
            } catch let error as ClientError where error.code == .network {
                // Offline: what this home recorded itself.
                let lines = try Audit.Show.lines(about: packet, global: global)
                guard !lines.isEmpty else { throw error }
                Terminal.error(error.message, hint: "showing your local record instead (states after your last contact are not included)")
                Terminal.emit(lines, json: global.json, human: Audit.Show.text(lines))
                return
            }
            Terminal.emit(view, json: global.json, human: Self.text(view))
            return
        }
        let sent = listedItems(try await withSession(global) { session in
            try await session.allPages("/v1/sent", as: PacketStatus.self, limit: 200)
        }, what: "sent packets").filter { !overdue || $0.overdue }
        Terminal.emit(sent, json: global.json, human: sent.isEmpty ? (overdue ? "Nothing you sent is overdue." : "You have sent nothing yet.") : Terminal.table(
            ["ID", "KIND", "TO", "STATE", "SENT", "DUE", ""],
            sent.map { [$0.id, $0.kind, $0.recipients.map { "\($0.member)=\($0.state)" }.joined(separator: ","), $0.state, timeText($0.acceptedAt),
                        timeText($0.deadline), $0.overdue ? "OVERDUE" : ""] }))
    }

    static func text(_ view: View) -> String {
        let status = view.status
        var lines = ["\(status.kind) \(status.id) from \(status.sender) — \(status.state)\(status.overdue ? " — OVERDUE" : "")",
                     "purpose \(status.purpose), \(status.urgency); sent \(timeText(status.acceptedAt))"
                        + (status.phase == PacketPhase.held.rawValue ? "; held until a dsl/manager countersigns (due \(timeText(status.countersignDue)))" : "")]
        if status.emergency { lines.append("EMERGENCY RELEASE\(status.emergencyReason.map { ": \($0)" } ?? "")\(status.countersignedAt == nil ? "; retrospective countersignature due \(timeText(status.countersignDue))" : "")") }
        if let reason = status.returnReason { lines.append("RETURNED by the countersigner: \(reason)") }
        lines.append("recipients:")
        for recipient in status.recipients {
            var line = "  \(recipient.member.padding(toLength: 28, withPad: " ", startingAt: 0)) \(recipient.state)"
            if let by = recipient.answeredBy, by != recipient.member { line += " by \(by)" }
            if recipient.deadline != nil, RecipientState(rawValue: recipient.state)?.isSettled == false { line += ", due \(timeText(recipient.deadline))" }
            if recipient.overdue { line += " — OVERDUE" }
            lines.append(line)
            for understood in view.understood where understood.readBack == recipient.answer {
                lines.append("      understood: \(understood.statement)")
                lines.append("      concern:    \(understood.concern ?? "not stated")")
            }
        }
        lines.append("history:")
        lines += status.history.map { "  \(timeText($0.at))  \($0.state.padding(toLength: 24, withPad: " ", startingAt: 0)) \($0.actor)" }
        return lines.joined(separator: "\n")
    }
}
