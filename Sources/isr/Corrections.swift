import ArgumentParser
import Foundation
import ISRClient
import ISRPacket
import ISRRelayAPI

/// `isr correct ID …`: a correction to a packet you sent, to everyone who received it, with the same content flags as `send`.
struct Correct: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send a correction to everyone who received a packet you sent.")
    @Argument(help: "The packet you are correcting.") var id: String
    @OptionGroup var content: ShareContent
    @Flag(help: "Send without asking to confirm the recipients.") var yes = false
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let original = try packetID(id)
        let (body, consent, urgency) = try content.body(missing: [])
        let result = try await withSession(global) { session in
            let header = try await session.verifiedHeader(of: original)
            guard header.sender == session.me else { throw ClientError(.refused, "only the sender of \(original) can correct it") }
            let draft = Session.Draft(kind: .correction, to: header.recipients, purpose: header.purpose,
                                      basis: content.basis, condition: content.condition, consent: consent, urgency: urgency, body: body, subjectReference: content.subjectRef, relatesTo: original)
            let prepared = try await session.prepare(draft)
            try confirmRecipients(prepared, yes: yes, json: global.json)
            let receipt = try await session.send(prepared)
            return SentResult(id: receipt.id, state: receipt.state, kind: "correction", leafIndex: receipt.leafIndex, deadline: receipt.deadline)
        }
        Terminal.emit(result, json: global.json, human: "Correction \(result.id) sent to everyone who received \(original); a read-back is due \(timeText(result.deadline)).")
    }
}

/// `isr outcome ID --statement T --basis B`: feedback on what happened, linked to the original referral.
struct Outcome: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tell the other side what happened, linked to the original packet.")
    @Argument(help: "The packet (e.g. the referral) this outcome is about.") var id: String
    @Option(help: "What happened.") var statement: String
    @Option(help: "Lawful basis code for sharing the outcome.") var basis: String
    @Option(help: "Condition for special-category data, where the purpose may carry it.") var condition: String?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let original = try packetID(id)
        let result = try await withSession(global) { session in
            let header = try await session.verifiedHeader(of: original)
            // The outcome goes to the other side: the sender if you received it, its recipients if you sent it.
            let to = header.sender == session.me ? header.recipients : [header.sender]
            let draft = Session.Draft(kind: .outcome, to: to, purpose: header.purpose,
                                      basis: basis, condition: condition, consent: .notApplicable, body: PacketBody(statement: statement), relatesTo: original)
            let receipt = try await session.send(try await session.prepare(draft))
            return SentResult(id: receipt.id, state: receipt.state, kind: "outcome", leafIndex: receipt.leafIndex, deadline: nil)
        }
        Terminal.emit(result, json: global.json, human: "Outcome \(result.id) sent, linked to \(original).")
    }
}
