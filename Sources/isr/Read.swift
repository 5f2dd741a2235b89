import ArgumentParser
import Foundation
import ISRClient
import ISRLifecycle
import ISRPacket
import ISRRelayAPI

/// `isr read ID`: fetch, verify and decrypt a packet, show every item with its tag, source and date, and send the
/// signed delivery receipt.
struct Read: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Decrypt, verify and show a packet, and send your signed receipt.")
    @Argument(help: "The packet id.") var id: String
    @OptionGroup var global: GlobalOptions

    struct Result: Encodable {
        struct Item: Encodable {
            let tag: String
            let text: String
            let source: String
            let refersTo: String
        }
        let id: String
        let kind: String
        let state: String
        let sender: String
        let purpose: String
        let lawfulBasis: String?
        let consent: String
        let statement: String
        let items: [Item]
        let fields: [String: String]
        let consentDetail: String?
        let subjectInformed: Bool?
        let informedReason: String?
        let ask: String?
        let concern: String?
        let warnings: [String]
        let countersign: Bool
    }

    func run() async throws {
        let packet = try packetID(id)
        let result = try await withSession(global) { session in
            let read = try await session.read(packet)
            let h = read.opened.header, b = read.opened.body
            return Result(id: packet.hex, kind: h.kind.rawValue, state: read.state, sender: h.sender.rawValue, purpose: h.purpose, lawfulBasis: h.lawfulBasis,
                          consent: h.consent.rawValue, statement: b.statement,
                          items: b.items.map { Result.Item(tag: $0.tag.rawValue, text: $0.text, source: $0.source, refersTo: $0.refersTo) },
                          fields: Dictionary(uniqueKeysWithValues: b.fields.map { ($0.name, $0.value) }), consentDetail: b.consentDetail,
                          subjectInformed: b.subjectInformed, informedReason: b.informedReason, ask: b.ask, concern: b.concern?.rawValue, warnings: read.warnings,
                          countersign: read.countersigner)
        }
        var lines = ["\(result.kind) \(result.id) from \(result.sender) — verified; \(result.state)",
                     "purpose: \(result.purpose)\(result.lawfulBasis.map { ", lawful basis: \($0)" } ?? ""), consent: \(result.consent)",
                     "", result.statement]
        for (index, item) in result.items.enumerated() {
            lines.append("  \(index + 1). [\(item.tag.uppercased())] \(item.text)  — \(item.source), \(item.refersTo)")
        }
        for (name, value) in result.fields.sorted(by: { $0.key < $1.key }) { lines.append("  \(name): \(value)") }
        if let detail = result.consentDetail { lines.append("consent: \(detail)") }
        if let informed = result.subjectInformed { lines.append("subject informed: \(informed ? "yes" : "no")\(result.informedReason.map { " — \($0)" } ?? "")") }
        if let ask = result.ask { lines.append("asked of you: \(ask)") }
        if let concern = result.concern { lines.append("concern understood: \(concern)") }
        for warning in result.warnings { lines.append("WARNING: \(warning)") }
        if result.countersign, result.state == Lifecycle.awaitingCountersignature {
            lines.append("\nYou hold this to countersign: release it with isr countersign \(result.id), or return it with isr countersign \(result.id) --return --reason \"…\"")
        } else if result.kind == "share" || result.kind == "consultation" || result.kind == "correction" {
            lines.append("\nSay what you understood: isr ack \(result.id) --understood \"…\" --concern low|medium|high|immediate")
        }
        Terminal.emit(result, json: global.json, human: lines.joined(separator: "\n"))
    }
}
