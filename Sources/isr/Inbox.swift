import ArgumentParser
import ISRClient
import ISRRelayAPI

/// `isr inbox`: packets addressed to you or your role addresses, and held packets of your agency for you to countersign.
struct Inbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List packets for you, your role addresses, and held ones for you to countersign.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let items = listedItems(try await withSession(global) { session in
            try await session.allPages("/v1/inbox", as: InboxItem.self)
        }, what: "inbox items")
        Terminal.emit(items, json: global.json, human: items.isEmpty ? "Your inbox is empty." : Terminal.table(
            ["ID", "KIND", "FROM", "PURPOSE", "STATE", "VIA", "RECEIVED", "DUE"],
            items.map { item in
                var state = item.countersign || item.readAt != nil ? item.state : "unread"
                if let by = item.answeredBy, item.via != by { state += " by \(by)" }
                if item.emergency { state += " (emergency)" }
                return [item.id, item.kind, item.sender, item.purpose, state, item.via, timeText(item.acceptedAt), timeText(item.deadline)]
            }))
    }
}

/// `isr notices`: the relay-signed escalation notices addressed to you or your role addresses (overdue read-backs, late
/// countersignatures).
struct Notices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List escalation notices for you: read-backs and countersignatures past their deadline.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let items = listedItems(try await withSession(global) { session in
            try await session.allPages("/v1/notices", as: NoticeBody.self)
        }, what: "notices")
        Terminal.emit(items, json: global.json, human: items.isEmpty ? "No escalation notices for you." : Terminal.table(
            ["PACKET", "SENDER", "LATE", "DUE", "OVERDUE SINCE", "NOTIFIED"],
            items.map { [$0.packet, $0.sender, $0.late.map { $0 == "countersignature" ? $0 : "read-back from \($0)" } ?? "-", timeText($0.deadline),
                         timeText($0.overdueAt), $0.notified.joined(separator: ",")] }))
    }
}
