import Foundation
import ISRPacket
import ISRRelayAPI

/// One packet as the record sees it: the relay's per-recipient status and history, and, where this member holds it,
/// the verified header and opened body.
public struct RecordPacket: Sendable {
    public var status: PacketStatus
    public var header: PacketHeader?
    public var body: PacketBody?

    public init(status: PacketStatus, header: PacketHeader?, body: PacketBody?) {
        self.status = status
        self.header = header
        self.body = body
    }
}

/// One step in a case's chronology: who did what, when, to which packet, and what it said.
public struct ChronologyEntry: Sendable, Codable, Equatable {
    /// Unix milliseconds.
    public var at: Int64
    public var packet: String
    public var kind: String
    public var purpose: String
    /// What happened, in words ("shared", "read (signed receipt)", "read back what they understood").
    public var step: String
    public var actor: String
    public var to: [String]
    /// The packet this one answers or relates to.
    public var answers: String?
    /// What it said: statement, consent and informed positions with reasons, subject fields, labelled items, concern.
    public var detail: [String]
    public var leafIndex: UInt64?
}

/// Builds a case chronology, oldest first, from the packets a member is party to.
public enum Chronology {
    /// Body parts that can be withheld besides subject fields.
    public static let redactableParts = ["statement", "items", "consent_detail", "informed_reason", "ask"]
    static let withheld = "[withheld]"

    public static func build(_ packets: [RecordPacket], redact: Set<String> = []) -> [ChronologyEntry] {
        // A history step that a reply in this set caused (acknowledged, confirmed…) is told by the reply itself.
        let replyLeaves = Set(packets.compactMap { $0.status.history.first?.leafIndex })
        var entries: [ChronologyEntry] = []
        for packet in packets {
            let status = packet.status
            let kind = PacketKind(rawValue: status.kind) ?? .share
            let answers = status.inReplyTo ?? status.relatesTo
            let acceptance = status.history.first?.leafIndex
            var detail = packet.body.map { describe($0, header: packet.header, kind: kind, redact: redact) }
                ?? ["(content not held here: it was not sealed to you, or this device has not opened it — `isr read \(status.id)`)"]
            if status.history.contains(where: { $0.state == "held" }) { detail.insert("Held for a dsl/manager's countersignature before release.", at: 0) }
            entries.append(ChronologyEntry(at: status.acceptedAt, packet: status.id, kind: status.kind, purpose: status.purpose, step: RecordLabels.sent(kind),
                                           actor: status.sender, to: status.recipients.map(\.member), answers: answers, detail: detail, leafIndex: acceptance))
            for step in status.history where step.leafIndex != acceptance && !replyLeaves.contains(step.leafIndex) {
                var lines: [String] = []
                if step.state == "returned", let reason = status.returnReason { lines.append("Reason: \(reason)") }
                entries.append(ChronologyEntry(at: step.at, packet: status.id, kind: status.kind, purpose: status.purpose, step: RecordLabels.event(step.state),
                                               actor: step.actor, to: [], answers: nil, detail: lines, leafIndex: step.leafIndex))
            }
        }
        return entries.sorted { ($0.at, $0.leafIndex ?? 0) < ($1.at, $1.leafIndex ?? 0) }
    }

    static func describe(_ body: PacketBody, header: PacketHeader?, kind: PacketKind, redact: Set<String>) -> [String] {
        func shown(_ part: String, _ text: String) -> String { redact.contains(part) ? withheld : text }
        var lines: [String] = []
        let statement = shown("statement", body.statement)
        switch kind {
        case _ where body.statement.isEmpty: break
        case .readback: lines.append("Understood: \(statement)")
        case .decline, .decision: lines.append("Reasons: \(statement)")
        case .clarify: lines.append("Clarification asked: \(statement)")
        default: lines.append(statement)
        }
        if let header, let basis = header.lawfulBasis {
            lines.append("Lawful basis: \(basis)\(header.condition.map { "; condition: \($0)" } ?? "")")
        }
        if let header, header.consent != .notApplicable {
            lines.append("Consent: \(header.consent.rawValue)\(body.consentDetail.map { " — \(shown("consent_detail", $0))" } ?? "")")
        }
        if let informed = body.subjectInformed {
            lines.append("Subject informed: \(informed ? "yes" : "no")\(body.informedReason.map { " — \(shown("informed_reason", $0))" } ?? "")")
        }
        for field in body.fields { lines.append("\(field.name): \(shown(field.name, field.value))") }
        if redact.contains("items"), !body.items.isEmpty {
            lines.append("\(body.items.count) item\(body.items.count == 1 ? "" : "s") \(withheld)")
        } else {
            for item in body.items { lines.append("[\(item.tag.rawValue.uppercased())] \(item.text) — \(item.source), \(item.refersTo)") }
        }
        if let ask = body.ask { lines.append("Asked: \(shown("ask", ask))") }
        if let concern = body.concern { lines.append("Concern: \(concern.rawValue)") }
        return lines
    }

    /// True when `redact` withholds anything this body holds (its content key must then stay out of a bundle).
    public static func withholdsAnything(_ body: PacketBody, redact: Set<String>) -> Bool {
        (redact.contains("statement") && !body.statement.isEmpty) || (redact.contains("items") && !body.items.isEmpty)
            || (redact.contains("consent_detail") && body.consentDetail != nil) || (redact.contains("informed_reason") && body.informedReason != nil)
            || (redact.contains("ask") && body.ask != nil) || body.fields.contains { redact.contains($0.name) }
    }

    /// The chronology as terminal text.
    public static func text(_ entries: [ChronologyEntry]) -> String {
        entries.map { entry in
            let to = entry.to.isEmpty ? "" : " → \(entry.to.joined(separator: ", "))"
            let answers = entry.answers.map { " (answers \($0.prefix(8))…)" } ?? ""
            return (["\(RecordTime.text(entry.at))  \(entry.actor) \(entry.step)\(to)  [\(entry.kind) \(entry.packet), \(entry.purpose)]\(answers)"]
                    + entry.detail.map { "    \($0)" }).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
