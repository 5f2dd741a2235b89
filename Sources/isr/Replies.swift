import ArgumentParser
import Foundation
import ISRClient
import ISRLifecycle
import ISRPacket
import ISRRelayAPI

/// What the CLI prints for a sent reply.
func sentResult(_ receipt: AcceptReceipt, kind: PacketKind) -> SentResult {
    SentResult(id: receipt.id, state: receipt.state, kind: kind.rawValue, leafIndex: receipt.leafIndex, deadline: receipt.deadline)
}

/// Replies that go back to the original's sender (a read-back, a decline), built from the verified original.
func replyToSender(_ global: GlobalOptions, to id: String, kind: PacketKind, body: PacketBody) async throws -> SentResult {
    let original = try packetID(id)
    return try await withSession(global) { session in sentResult(try await session.replyToSender(original, kind: kind, body: body), kind: kind) }
}

/// `isr ack ID --understood T --concern LEVEL`: the read-back, in your own words, sealed to the sender.
struct Ack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send your read-back: what you understood, and the level of concern.")
    @Argument(help: "The packet id.") var id: String
    @Option(help: "What you understood, in your own words.") var understood: String
    @Option(help: "low, medium, high or immediate.") var concern: ConcernLevel?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let result = try await replyToSender(global, to: id, kind: .readback, body: PacketBody(statement: understood, concern: concern))
        Terminal.emit(result, json: global.json, human: "Read-back \(result.id) sent; the sender will confirm it or ask for clarification.")
    }
}

/// `isr decline ID --reason T`: refuse a request, with reasons; the requester receives them.
struct Decline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Decline a request; your reasons are recorded and sent to the requester.")
    @Argument(help: "The request's packet id.") var id: String
    @Option(help: "Why you are not sharing.") var reason: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let result = try await replyToSender(global, to: id, kind: .decline, body: PacketBody(statement: reason))
        Terminal.emit(result, json: global.json, human: "Declined \(id); the requester has your reasons.")
    }
}

extension ConcernLevel: ExpressibleByArgument {}

/// What was sent beside what the recipient understood, for the sender to compare.
func comparison(sent: PacketBody?, _ waiting: Session.WaitingReadBack) -> String {
    var lines = ["\(waiting.reader) (for \(waiting.address)) read back:"]
    lines.append("  understood: \(waiting.readBack.body.statement)")
    lines.append("  concern:    \(waiting.readBack.body.concern?.rawValue ?? "not stated")")
    if let sent {
        lines.append("what you sent:")
        lines.append("  \(sent.statement)")
        for (index, item) in sent.items.enumerated() {
            lines.append("  \(index + 1). [\(item.tag.rawValue.uppercased())] \(item.text)  — \(item.source), \(item.refersTo)")
        }
    } else {
        lines.append("(what you sent is not in this home's record; compare with your own notes)")
    }
    return lines.joined(separator: "\n")
}

/// `isr confirm ID`: the sender confirms that each waiting read-back matches what was meant, after seeing it beside what was sent.
struct Confirm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Compare each waiting read-back with what you sent, and confirm it.")
    @Argument(help: "The packet id you sent.") var id: String
    @Option(help: "Only this recipient's read-back (a member id).") var recipient: String?
    @Option(help: "An optional note.") var note: String?
    @Flag(help: "Confirm without asking (the read-backs are still shown).") var yes = false
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let original = try packetID(id)
        let only = try recipient.map { text throws(ClientError) in try memberIDs(text)[0] }
        let results = try await withSession(global) { session in
            let (header, waiting) = try await session.waitingReadBacks(of: original, recipient: only)
            let sent = session.sentBody(of: original)
            var results: [SentResult] = []
            for entry in waiting {
                if !global.json { print(comparison(sent: sent, entry)) }
                if !yes {
                    guard isatty(STDIN_FILENO) == 1 else { throw ClientError(.usage, "confirm with --yes (there is no terminal to ask on); read the read-backs first with `isr status \(original)`") }
                    print("Does this match what you meant? Confirm \(entry.reader)'s read-back? [y/N] ", terminator: "")
                    guard readLine()?.lowercased().hasPrefix("y") == true else {
                        print("Not confirmed. Ask for clarification: isr clarify \(original) --recipient \(entry.reader) --note \"…\"")
                        continue
                    }
                }
                results.append(sentResult(try await session.reply(to: original, kind: .confirm, recipients: [entry.reader], purpose: header.purpose,
                                                                   body: PacketBody(statement: note ?? "")), kind: .confirm))
            }
            return results
        }
        Terminal.emit(results, json: global.json, human: results.isEmpty ? "Nothing confirmed." : results.map { "Confirmed \(id) (\($0.id))." }.joined(separator: "\n"))
    }
}

/// `isr clarify ID --recipient M --note T`: the sender asks a recipient to clarify their read-back; a new one becomes due.
struct Clarify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ask a recipient to clarify their read-back; a new read-back becomes due.")
    @Argument(help: "The packet id you sent.") var id: String
    @Option(help: "Whose read-back needs clarifying (needed when several are waiting).") var recipient: String?
    @Option(help: "What needs clarifying.") var note: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let original = try packetID(id)
        let only = try recipient.map { text throws(ClientError) in try memberIDs(text)[0] }
        let result = try await withSession(global) { session in
            sentResult(try await session.clarify(original, reader: only, note: note), kind: .clarify)
        }
        Terminal.emit(result, json: global.json, human: "Clarification \(result.id) sent; a new read-back is due.")
    }
}
