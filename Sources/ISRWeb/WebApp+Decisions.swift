import Foundation
import Hummingbird
import ISRClient
import ISRPacket
import ISRRelayAPI

/// Requests, declines and decisions not to share, with their reasons: the reasons come from the practitioner's own
/// record (sealed to their key), never from the relay, which holds only that a decision was made.
extension WebApp {
    func decisions(note: String? = nil) async throws -> Response {
        let inbox = try await session.allPages("/v1/inbox", as: InboxItem.self, limit: 200, maxPages: 5).items
        let sent = try await session.allPages("/v1/sent", as: PacketStatus.self, limit: 200, maxPages: 5).items
        let record = Dictionary(session.record.entries(keys: session.keys).map { ("\($0.direction)-\($0.id)", $0) }, uniquingKeysWith: { first, _ in first })
        func body(_ id: String, _ direction: String) -> PacketBody? {
            guard let entry = record["\(direction)-\(id)"], let data = Data(base64Encoded: entry.body) else { return nil }
            return try? PacketBody(derEncoded: Array(data))
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let asked = inbox.filter { $0.kind == PacketKind.request.rawValue && !$0.countersign }.map { item -> [String: Any] in
            let open = ["pending", "delivered", "read"].contains(item.state)
            return ["id": item.id, "short": String(item.id.prefix(8)), "sender": item.sender, "purpose": item.purpose, "due": timeText(item.deadline),
                    "state": open ? "awaiting your answer" : item.state + (item.answeredBy.map { " by \($0)" } ?? ""),
                    "overdue": open && (item.deadline.map { $0 < now } ?? false)]
        }
        let mine = sent.filter { $0.kind == PacketKind.request.rawValue }.map { status -> [String: Any] in
            ["id": status.id, "short": String(status.id.prefix(8)), "purpose": status.purpose, "sentAt": timeText(status.acceptedAt),
             "recipients": status.recipients.map { ["member": $0.member, "state": $0.state, "answeredBy": $0.answeredBy as Any] }]
        }
        let declines = inbox.filter { $0.kind == PacketKind.decline.rawValue }.map { item -> [String: Any] in
            ["id": item.id, "sender": item.sender, "purpose": item.purpose, "at": timeText(item.acceptedAt), "reason": body(item.id, "received")?.statement as Any,
             "request": item.inReplyTo as Any, "requestShort": item.inReplyTo.map { String($0.prefix(8)) } as Any]
        }
        let decided = sent.filter { $0.kind == PacketKind.decision.rawValue }.map { status -> [String: Any] in
            let opened = body(status.id, "sent")
            let outside = opened?.items.first { $0.text.hasPrefix("Shared outside ISR") }?.text
            return ["what": outside == nil ? "Not to share" : "Shared outside ISR", "purpose": status.purpose, "at": timeText(status.acceptedAt),
                    "reason": opened?.statement as Any, "outside": outside as Any, "request": status.relatesTo as Any,
                    "requestShort": status.relatesTo.map { String($0.prefix(8)) } as Any]
        }
        let policy = try await session.policy()
        return renderer.page("decisions", title: "Requests and decisions", [
            "asked": asked, "noAsked": asked.isEmpty, "mine": mine, "noMine": mine.isEmpty, "declines": declines, "noDeclines": declines.isEmpty,
            "decisions": decided, "noDecisions": decided.isEmpty,
            "purposes": policy.purposeCodes.compactMap { policy.purposes[$0] }.map { ["code": $0.code, "title": $0.title] },
            "methods": Session.OutsideMethod.allCases.map(\.rawValue),
        ], note: note)
    }

    func recordDecision(_ form: WebForm) async throws -> Response {
        guard let purpose = form.value("purpose"), let reason = form.value("reason") else {
            throw ClientError(.usage, "a decision needs its purpose and your reasons")
        }
        var outside: (method: Session.OutsideMethod, with: String)?
        if form.value("decision") == "shared-outside" {
            guard let method = form.value("method").flatMap(Session.OutsideMethod.init(rawValue:)), let with = form.value("with") else {
                throw ClientError(.usage, "a share outside ISR needs how (phone, meeting, letter or email) and with whom (\"Name, agency\")")
            }
            outside = (method, with)
        }
        let request = try form.value("request").map { text throws(ClientError) in
            do { return try PacketID(hex: text) } catch { throw ClientError(.usage, "that is not a request id") }
        }
        _ = try await session.recordDecision(purpose: purpose, reason: reason, subjectReference: form.value("subject_ref"), request: request, outside: outside)
        return Response.redirect(to: "/decisions?note=decided", type: .normal)
    }
}
