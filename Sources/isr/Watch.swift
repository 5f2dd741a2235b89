import ArgumentParser
import Foundation
import ISRClient
import ISRCrypto
import ISRRelayAPI

/// `isr watch`: your live events (new packets, read-backs, confirmations, clarifications, packets held for you to
/// countersign, escalations) as they happen, reconnecting where it left off.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print your live events as they happen (new packets, read-backs, escalations…).")
    @Option(help: "Stop after this many events.") var count: Int?
    @Option(name: .customLong("for"), help: "Stop after this long: minutes or hours, e.g. 30m or 8h (default 24h).") var period = "24h"
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let count { guard count > 0 else { throw ValidationError("--count is at least 1") } }
    }

    func run() async throws {
        let seconds = try periodSeconds(period, flag: "--for", units: ["h": 3600, "m": 60, "s": 1], kinds: "hours, minutes or seconds",
                                        example: "30m or 8h", range: 1...(7 * 86_400), bounds: "1s to 7 days")
        let deadline = ContinuousClock.now + .seconds(seconds)
        try await withSession(global) { session in
            var seen = 0
            var lastEventID: String?
            var failures = 0
            while ContinuousClock.now < deadline {
                do {
                    lastEventID = try await session.client.events("/v1/events", lastEventID: lastEventID, until: deadline) { event in
                        guard let body = try? ISRJSON.decoder().decode(RelayEventBody.self, from: Data(event.data.utf8)) else { return true }
                        Terminal.line(body, json: global.json, human: Self.describe(body))
                        seen += 1
                        return count.map { seen < $0 } ?? true
                    }
                    failures = 0
                    if let count, seen >= count { return }
                } catch let error as ClientError where error.code == .network {
                    // The relay restarted or the network dropped: try again, a little later each time, from the last event.
                    failures += 1
                    Terminal.note("lost the relay (\(error.message)); reconnecting")
                    try await Task.sleep(for: .seconds(min(30, 1 << min(failures, 5))))
                }
            }
        }
    }

    static func describe(_ event: RelayEventBody) -> String {
        let what = [
            "new-packet": "new packet", "held-for-countersignature": "held for your countersignature", "read-back-received": "read-back received",
            "confirmed": "your read-back was confirmed", "clarification-requested": "clarification requested", "returned": "returned to you by your DSL",
            "escalation": "OVERDUE — escalated to you", "resync": "missed events: check `isr inbox` and `isr notices`",
        ][event.kind] ?? event.kind
        var text = "\(timeText(event.time))  \(what)"
        if let packet = event.packet { text += "  \(packet)" }
        if let kind = event.packetKind, let purpose = event.purpose { text += "  \(kind), \(purpose)" }
        if let deadline = event.deadline { text += " — due \(timeText(deadline))" }
        return text
    }
}
