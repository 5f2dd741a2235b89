import ArgumentParser
import ISRClient
import ISRRelayAPI

/// `isr inbox`: packets addressed to you or your role addresses.
struct Inbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List packets addressed to you or your role addresses.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let items = try await withSession(global) { session in
            try await session.client.get("/v1/inbox").decode(ListBody<InboxItem>.self).items
        }
        Terminal.emit(items, json: global.json, human: items.isEmpty ? "Your inbox is empty." : Terminal.table(
            ["ID", "KIND", "FROM", "PURPOSE", "STATE", "VIA", "RECEIVED", "DUE"],
            items.map { [$0.id, $0.kind, $0.sender, $0.purpose, $0.readAt == nil ? "unread" : $0.state, $0.via, timeText($0.acceptedAt), timeText($0.deadline)] }))
    }
}
