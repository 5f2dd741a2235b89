import ArgumentParser
import Foundation
import ISRClient
import ISRPacket
import ISRRelayAPI

/// Sends a packet that answers packet `id` (read-back, confirmation, clarification, decline), to whom the
/// lifecycle says, under the original's purpose.
func reply(_ global: GlobalOptions, to id: String, kind: PacketKind, body: PacketBody, recipients: (PacketStatus) -> [String]) async throws -> SentResult {
    let original = try packetID(id)
    return try await withSession(global) { session in
        let status = try await session.status(original)
        var to: [MemberID] = []
        for text in recipients(status) {
            guard let id = try? MemberID(text) else { throw ClientError(.refused, "the relay named an invalid recipient `\(text)`") }
            to.append(id)
        }
        let draft = Session.Draft(kind: kind, to: to, purpose: status.purpose, basis: nil, consent: .notApplicable, body: body, inReplyTo: original)
        let receipt = try await session.send(try await session.prepare(draft))
        return SentResult(id: receipt.id, state: receipt.state, kind: kind.rawValue, leafIndex: receipt.leafIndex, deadline: receipt.deadline)
    }
}

/// `isr ack ID --understood T --concern LEVEL`: the read-back, in your own words, sealed to the sender.
struct Ack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send your read-back: what you understood, and the level of concern.")
    @Argument(help: "The packet id.") var id: String
    @Option(help: "What you understood, in your own words.") var understood: String
    @Option(help: "low, medium, high or immediate.") var concern: String?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var level: ConcernLevel?
        if let concern {
            guard let parsed = ConcernLevel(rawValue: concern) else { throw ClientError(.usage, "--concern is low, medium, high or immediate") }
            level = parsed
        }
        let result = try await reply(global, to: id, kind: .readback, body: PacketBody(statement: understood, concern: level)) { [$0.sender] }
        Terminal.emit(result, json: global.json, human: "Read-back \(result.id) sent; the sender will confirm it or ask for clarification.")
    }
}

/// `isr confirm ID`: the sender confirms the read-back matches what was meant.
struct Confirm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Confirm that the recipient's read-back matches what you meant.")
    @Argument(help: "The packet id you sent.") var id: String
    @Option(help: "An optional note.") var note: String?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let result = try await reply(global, to: id, kind: .confirm, body: PacketBody(statement: note ?? "")) { $0.recipients }
        Terminal.emit(result, json: global.json, human: "Confirmed \(id).")
    }
}

/// `isr clarify ID --note T`: the sender asks for clarification; a new read-back is due.
struct Clarify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ask the recipient to clarify; a new read-back becomes due.")
    @Argument(help: "The packet id you sent.") var id: String
    @Option(help: "What needs clarifying.") var note: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let result = try await reply(global, to: id, kind: .clarify, body: PacketBody(statement: note)) { $0.recipients }
        Terminal.emit(result, json: global.json, human: "Clarification \(result.id) sent; a new read-back is due.")
    }
}

/// `isr decline ID --reason T`: refuse a request, with reasons; the requester receives them.
struct Decline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Decline a request; your reasons are recorded and sent to the requester.")
    @Argument(help: "The request's packet id.") var id: String
    @Option(help: "Why you are not sharing.") var reason: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let result = try await reply(global, to: id, kind: .decline, body: PacketBody(statement: reason)) { [$0.sender] }
        Terminal.emit(result, json: global.json, human: "Declined \(id); the requester has your reasons.")
    }
}
