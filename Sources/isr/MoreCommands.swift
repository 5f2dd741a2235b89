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
    @Option(help: "What you are asking for, and why.") var ask: String
    @Option(help: "An opaque case reference.") var subjectRef: String?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let recipients = try memberIDs(to)
        let result = try await withSession(global) { session in
            let draft = Session.Draft(kind: .request, to: recipients, purpose: purpose, basis: basis, consent: .notApplicable,
                                      body: PacketBody(statement: ask, ask: ask), subjectReference: subjectRef)
            let receipt = try await session.send(try await session.prepare(draft))
            return SentResult(id: receipt.id, state: receipt.state, kind: "request", leafIndex: receipt.leafIndex, deadline: receipt.deadline)
        }
        Terminal.emit(result, json: global.json, human: "Request \(result.id) sent; an answer is due \(timeText(result.deadline)).")
    }
}

/// `isr decide --not-share --purpose P --reason T`: record a decision not to share, with reasons, in your own record
/// and the relay's audit log (sealed to yourself).
struct Decide: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record a decision not to share, with your reasons.")
    @Flag(help: "The decision is not to share (the only decision recorded this way).") var notShare = false
    @Option(help: "The purpose the decision concerns.") var purpose: String
    @Option(help: "Why you decided not to share.") var reason: String
    @Option(help: "An opaque case reference.") var subjectRef: String?
    @Option(help: "The request this decision concerns.") var request: String?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        guard notShare else { throw ClientError(.usage, "pass --not-share: `isr decide` records decisions not to share (to share, use `isr send`)") }
        let related = try request.map { text throws(ClientError) in try packetID(text) }
        let result = try await withSession(global) { session in
            let draft = Session.Draft(kind: .decision, to: [session.me], purpose: purpose, basis: nil, consent: .notApplicable,
                                      body: PacketBody(statement: reason), subjectReference: subjectRef, relatesTo: related)
            let receipt = try await session.send(try await session.prepare(draft))
            return SentResult(id: receipt.id, state: receipt.state, kind: "decision", leafIndex: receipt.leafIndex, deadline: nil)
        }
        Terminal.emit(result, json: global.json, human: "Decision not to share recorded as \(result.id) (audit leaf \(result.leafIndex)).")
    }
}

/// `isr countersign ID`: as a dsl or manager, release a packet held for a second person's agreement.
struct Countersign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Countersign (release) a held packet from your agency, as its dsl or manager.")
    @Argument(help: "The held packet's id.") var id: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let packet = try packetID(id)
        let status = try await withSession(global) { session in
            let held = try await session.status(packet)
            guard held.state == "held" else { throw ClientError(.refused, "packet \(packet) is \(held.state), not held for countersignature") }
            guard let digest = Hex.decode(held.digest), digest.count == 32 else { throw ClientError(.verification, "the relay gave no usable digest for \(packet)") }
            let signature = session.keys.signing.sign(Countersignature.signedData(packetID: packet, packetDigest: digest, countersigner: session.me),
                                                      context: .countersign)
            return try await session.client.post("/v1/packets/\(packet.hex)/countersign", json: SignatureBody(signature: Data(signature).base64EncodedString()))
                .decode(PacketStatus.self)
        }
        Terminal.emit(status, json: global.json, human: "Countersigned \(status.id); it is now \(status.state) and on its way to \(status.recipients.joined(separator: ", ")).")
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
