import Foundation
import Hummingbird
import ISRClient
import ISRLifecycle
import ISRPacket
import ISRRelayAPI

/// The inbox (live), what is held for the DSL to countersign, what you sent, and the escalation notices.
extension WebApp {
    func inbox(note: String?) async throws -> Response {
        renderer.page("inbox", title: "Inbox", ["list": try await inboxListHTML()], note: note.flatMap { Self.notes[$0] })
    }

    /// The inbox table alone, for the page's live refresh.
    func inboxList() async throws -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: try await inboxListHTML())))
    }

    func inboxListHTML() async throws -> String {
        let items = try await session.allPages("/v1/inbox", as: InboxItem.self, limit: 200, maxPages: 5).items
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let rows: [[String: Any]] = items.map { item in
            let overdue = item.deadline.map { $0 < now } == true && ["pending", "delivered", "read", "clarification-requested"].contains(item.state)
            let label: String
            if item.countersign {
                label = item.state == Lifecycle.awaitingCountersignature ? "awaiting your countersignature" : item.state
            } else if item.readAt == nil {
                label = "unread"
            } else if ["read", "delivered", "clarification-requested"].contains(item.state), PacketKind(rawValue: item.kind).map(Lifecycle.expectsAnswer) == true {
                label = item.state == "clarification-requested" ? "clarification asked: read back again" : "awaiting your read-back"
            } else {
                label = item.state + (item.answeredBy.map { $0 != item.via ? " by \($0)" : "" } ?? "")
            }
            return ["id": item.id, "short": String(item.id.prefix(8)), "kind": item.kind, "sender": item.sender, "purpose": item.purpose, "via": item.via,
                    "state": label, "overdue": overdue, "emergency": item.emergency, "received": timeText(item.acceptedAt), "due": timeText(item.deadline)]
        }
        return renderer.library.render(["rows": rows, "empty": rows.isEmpty], withTemplate: "inbox-list") ?? ""
    }

    func countersignList(note: String? = nil) async throws -> Response {
        let items = try await session.allPages("/v1/inbox", as: InboxItem.self, limit: 200, maxPages: 5).items
            .filter { $0.countersign && $0.state == Lifecycle.awaitingCountersignature }
        let notices = try await session.allPages("/v1/notices", as: NoticeBody.self, limit: 100, maxPages: 2).items
        return renderer.page("countersign", title: "To countersign", [
            "rows": items.map { ["id": $0.id, "short": String($0.id.prefix(8)), "kind": $0.kind, "sender": $0.sender, "purpose": $0.purpose,
                                 "recipients": $0.via, "due": timeText($0.deadline), "emergency": $0.emergency] as [String: Any] },
            "empty": items.isEmpty, "notices": notices.map(noticeRow), "noNotices": notices.isEmpty,
        ], note: note.flatMap { Self.notes[$0] })
    }

    func sent() async throws -> Response {
        let sent = try await session.allPages("/v1/sent", as: PacketStatus.self, limit: 200, maxPages: 5).items
            .sorted { ($0.overdue ? 0 : 1, -$0.acceptedAt) < ($1.overdue ? 0 : 1, -$1.acceptedAt) }
        return renderer.page("sent", title: "Sent", [
            "rows": sent.map { status in
                ["id": status.id, "short": String(status.id.prefix(8)), "kind": status.kind, "purpose": status.purpose, "state": status.state,
                 "overdue": status.overdue, "sentAt": timeText(status.acceptedAt), "due": timeText(status.deadline),
                 "recipients": status.recipients.map { ["member": $0.member, "state": $0.state, "overdue": $0.overdue] }] as [String: Any]
            },
            "empty": sent.isEmpty,
        ])
    }

    func notices() async throws -> Response {
        let notices = try await session.allPages("/v1/notices", as: NoticeBody.self, limit: 200, maxPages: 5).items
        return renderer.page("notices", title: "Notices", ["rows": notices.map(noticeRow), "empty": notices.isEmpty])
    }

    func noticeRow(_ notice: NoticeBody) -> [String: Any] {
        ["packet": notice.packet, "short": String(notice.packet.prefix(8)), "sender": notice.sender,
         "late": notice.late.map { $0 == "countersignature" ? "the countersignature" : "\($0)'s read-back" } ?? "an answer",
         "deadline": timeText(notice.deadline), "overdueAt": timeText(notice.overdueAt), "notified": notice.notified.joined(separator: ", ")]
    }

    /// What a finished action says on the page it returns to.
    static let notes = [
        "readback": "Your read-back was sent; the sender will confirm it or ask for clarification.",
        "declined": "Declined; the requester has your reasons.",
        "confirmed": "Read-back confirmed.",
        "clarify": "Clarification asked for; a new read-back is due.",
        "released": "Countersigned and released to its recipients.",
        "returned": "Returned to the sender with your reasons.",
        "sent": "Sent.",
        "held": "Sent; held until a DSL or manager of your agency reads and countersigns it.",
        "decided": "Decision recorded: your reasons are sealed to you, and the relay's audit log holds that you decided.",
    ]
}

