import ArgumentParser
import Foundation
import ISRClient
import ISRCrypto
import ISRPacket
import ISRRelayAPI

/// `isr request --to ID --purpose P --basis B --ask T`: ask another agency for information.
struct Request: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Request information; the answer is a share or a decline with reasons.")
    @Option(help: "Who to ask: member ids or role addresses, comma-separated.") var to: String
    @Option(help: "Purpose code.") var purpose: String
    @Option(help: "Lawful basis code.") var basis: String
    @Option(help: "Condition for special-category data, where the purpose may carry it.") var condition: String?
    @Option(help: "What you are asking for, and why.") var ask: String
    @Option(help: "An opaque case reference.") var subjectRef: String?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let recipients = try memberIDs(to)
        let result = try await withSession(global) { session in
            let draft = Session.Draft(kind: .request, to: recipients, purpose: purpose, basis: basis, condition: condition, consent: .notApplicable,
                                      body: PacketBody(statement: ask, ask: ask), subjectReference: subjectRef)
            let receipt = try await session.send(try await session.prepare(draft))
            return SentResult(id: receipt.id, state: receipt.state, kind: "request", leafIndex: receipt.leafIndex, deadline: receipt.deadline)
        }
        Terminal.emit(result, json: global.json, human: "Request \(result.id) sent; an answer is due \(timeText(result.deadline)).")
    }
}

/// `isr decide`: record a decision about sharing, with reasons, sealed to yourself (your record and the relay's audit log):
/// `--not-share` (the guidance asks that a decision not to share is recorded, and the requester told), or
/// `--shared-outside` for a share made outside ISR (a phone call, a strategy meeting): how, with whom, and why.
struct Decide: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record a decision not to share, or a share made outside ISR, with your reasons.")
    @Flag(help: "The decision is not to share.") var notShare = false
    @Flag(help: "Information was shared outside ISR (by phone, at a meeting, by letter or e-mail).") var sharedOutside = false
    @Option(help: "With --shared-outside: phone, meeting, letter or email.") var method: Session.OutsideMethod?
    @Option(name: .customLong("with"), help: "With --shared-outside: who it was shared with (\"Name, agency\").") var with: String?
    @Option(help: "The purpose the decision concerns.") var purpose: String
    @Option(help: "Why you decided as you did.") var reason: String
    @Option(help: "An opaque case reference.") var subjectRef: String?
    @Option(help: "The request this decision concerns.") var request: String?
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard notShare != sharedOutside else {
            throw ValidationError("pass exactly one of --not-share or --shared-outside (to share through ISR, use `isr send`)")
        }
        if sharedOutside, method == nil || with == nil {
            throw ValidationError("--shared-outside needs --method phone|meeting|letter|email and --with \"Name, agency\"")
        }
    }

    func run() async throws {
        let related = try request.map { text throws(ClientError) in try packetID(text) }
        let outside = sharedOutside ? method.flatMap { method in with.map { (method, $0) } } : nil
        let result = try await withSession(global) { session in
            let receipt = try await session.recordDecision(purpose: purpose, reason: reason, subjectReference: subjectRef, request: related, outside: outside)
            return SentResult(id: receipt.id, state: receipt.state, kind: "decision", leafIndex: receipt.leafIndex, deadline: nil)
        }
        let what = sharedOutside ? "Share outside ISR" : "Decision not to share"
        Terminal.emit(result, json: global.json, human: "\(what) recorded as \(result.id) (audit leaf \(result.leafIndex)).")
    }
}

/// `isr countersign ID`: as a dsl or manager, read a held packet from your agency, then release it, or return it to the
/// sender with reasons (`--return --reason T`). Both are signed; the relay refuses either until you have fetched it.
struct Countersign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read a held packet from your agency, then countersign (release) it or return it with reasons.")
    @Argument(help: "The held packet's id.") var id: String
    @Flag(name: .customLong("return"), help: "Send it back to the sender instead of releasing it.") var returnIt = false
    @Option(help: "With --return: what the sender should change, and why.") var reason: String?
    @Flag(help: "Do not ask before releasing (the packet is still shown).") var yes = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if returnIt, reason == nil { throw ValidationError("--return needs --reason: tell the sender what to change and why") }
        if !returnIt, reason != nil { throw ValidationError("--reason goes with --return") }
    }

    func run() async throws {
        let packet = try packetID(id)
        let status = try await withSession(global) { session in
            let opened = try await session.openHeld(packet)
            if !global.json {
                print("\(opened.header.kind.rawValue) from \(opened.header.sender) to \(opened.header.recipients.map(\.rawValue).joined(separator: ", ")) for \(opened.header.purpose)")
                print("  \(opened.body.statement)")
                for (index, item) in opened.body.items.enumerated() { print("  \(index + 1). [\(item.tag.rawValue.uppercased())] \(item.text)  — \(item.source), \(item.refersTo)") }
            }
            if let reason { return try await session.returnToSender(opened, reason: reason) }
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else { throw ClientError(.usage, "countersign with --yes (there is no terminal to ask on)") }
                print("Release it to its recipients? [y/N] ", terminator: "")
                guard readLine()?.lowercased().hasPrefix("y") == true else { throw ClientError(.refused, "not countersigned") }
            }
            return try await session.countersign(opened)
        }
        let human = returnIt ? "Returned \(status.id) to \(status.sender) with your reasons; it will not reach its recipients."
            : "Countersigned \(status.id); it is now \(status.state) and on its way to \(status.addresses.joined(separator: ", "))."
        Terminal.emit(status, json: global.json, human: human)
    }
}

/// `isr withdraw ID`: take back a packet nobody has fetched yet.
struct Withdraw: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Withdraw a packet you sent that nobody has fetched yet.")
    @Argument(help: "The packet id.") var id: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let packet = try packetID(id)
        let status = try await withSession(global) { session in
            try await session.client.post("/v1/packets/\(packet.hex)/withdraw", json: [String: String]()).decode(PacketStatus.self)
        }
        Terminal.emit(status, json: global.json, human: "Withdrew \(status.id).")
    }
}

extension Session.OutsideMethod: ExpressibleByArgument {}
