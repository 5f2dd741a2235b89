import ArgumentParser
import Foundation
import ISRClient
import ISRPacket

/// `isr resend ID`: the same content again, sealed to the current keys of the recipients who lost theirs.
struct Resend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resend a packet you sent to recipients who were re-enrolled with new keys (see `isr status --resend-needed`).")
    @Argument(help: "The packet to resend.") var id: String
    @Option(help: "Only these members (comma-separated); default: every recipient who needs it.") var to: String?
    @Flag(help: "Send without asking to confirm the recipients.") var yes = false
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let original = try packetID(id)
        let chosen = try to.map(memberIDs)
        let result = try await withSession(global) { session in
            let needed = try await session.resendNeeded().first { $0.packet == original.hex }?.members.compactMap { try? MemberID($0) } ?? []
            let members = chosen ?? needed
            guard !members.isEmpty else {
                throw ClientError(.refused, "no recipient of \(original) needs it resent: everyone who has not answered can still open it")
            }
            let prepared = try await session.prepare(try await session.resendDraft(original, to: members))
            try confirmRecipients(prepared, yes: yes, json: global.json)
            let receipt = try await session.send(prepared)
            return SentResult(id: receipt.id, state: receipt.state, kind: prepared.header.kind.rawValue, leafIndex: receipt.leafIndex, deadline: receipt.deadline)
        }
        Terminal.emit(result, json: global.json, human: "Resent \(original) as \(result.id) (\(result.state)), linked to the original.")
    }
}
