import Foundation

/// Everything a run measured, printable as a table or as JSON (`--json`).
public struct BenchReport: Codable, Sendable {
    public var relay: String
    public var connections: Int
    public var packets: Int
    public var bodyBytes: Int
    /// Mean size of a share packet on the wire (header, stanza, ciphertext, signature).
    public var packetBytes: Int
    public var rate: Double?
    public var duration: Double?
    /// Audit leaves the relay's log held before the phases.
    public var auditLeavesBefore: UInt64?
    /// Client-side cost of building one share (seal, encrypt, sign), microseconds on one core.
    public var buildMicrosPerPacket: Double
    public var phases: [PhaseResult]
    public var baseline: PhaseResult?
    /// Relay accept throughput as a fraction of the baseline's.
    public var acceptToBaseline: Double?
    public var idle: IdleResult?
    /// The throw-away relay's store and how many instances shared it (nil against a running relay).
    public var store: String?
    public var instances: Int?

    /// The human-readable report.
    public var text: String {
        var lines: [String] = []
        if let idle {
            lines.append("isr-bench: \(relay): \(idle.opened) of \(idle.connections) idle mTLS connections open (\(String(format: "%.1f", idle.secondsToOpen)) s to open)")
            lines.append("relay RSS: \(mib(idle.relayRSSBefore)) before, \(mib(idle.relayRSSWith)) with the connections open"
                         + (idle.bytesPerConnection.map { String(format: " (%.1f KiB per connection)", $0 / 1024) } ?? ""))
            if let error = idle.firstError { lines.append("first error: \(error)") }
            return lines.joined(separator: "\n")
        }
        let load = rate.map { String(format: "open loop at %.0f/s", $0) } ?? "closed loop"
        lines.append("isr-bench: \(relay), \(connections) connections, \(packets) packets, \(bodyBytes)-byte bodies (\(packetBytes)-byte packets), \(load)"
                     + (duration.map { String(format: ", at most %.0f s per phase", $0) } ?? "")
                     + (store.map { ", store \($0)" + ((instances ?? 1) > 1 ? " with \(instances ?? 1) relay instances" : "") } ?? ""))
        if let auditLeavesBefore { lines.append("audit log before the phases: \(auditLeavesBefore) leaves") }
        lines.append(String(format: "client: building one share packet takes %.0f µs (one core)", buildMicrosPerPacket))
        lines.append(pad("phase", 11) + pad("ops", 8, right: true) + pad("ops/s", 10, right: true) + pad("p50 ms", 9, right: true) + pad("p90 ms", 9, right: true)
                     + pad("p99 ms", 9, right: true) + pad("max ms", 9, right: true) + pad("errors", 8, right: true) + pad("relay CPU s", 13, right: true)
                     + pad("relay peak RSS", 16, right: true) + pad("client CPU s", 14, right: true))
        for phase in (baseline.map { [$0] } ?? []) + phases {
            lines.append(pad(phase.name, 11) + pad("\(phase.operations)", 8, right: true) + pad(String(format: "%.0f", phase.operationsPerSecond), 10, right: true)
                         + pad(String(format: "%.2f", phase.latencyP50), 9, right: true) + pad(String(format: "%.2f", phase.latencyP90), 9, right: true)
                         + pad(String(format: "%.2f", phase.latencyP99), 9, right: true) + pad(String(format: "%.2f", phase.latencyMax), 9, right: true)
                         + pad("\(phase.errors)", 8, right: true) + pad(phase.relayCPUSeconds.map { String(format: "%.2f", $0) } ?? "-", 13, right: true)
                         + pad(mib(phase.relayPeakRSS), 16, right: true) + pad(phase.clientCPUSeconds.map { String(format: "%.2f", $0) } ?? "-", 14, right: true))
        }
        let locked = phases.compactMap { phase in phase.auditLock.map { (phase.name, $0) } }
        if !locked.isEmpty {
            lines.append("audit-log lock (PostgreSQL, share of samples it was held; groups waiting): " + locked.map { name, lock in
                name + String(format: " %.0f %% (%.2f)", lock.held * 100, lock.waiting)
            }.joined(separator: ", "))
        }
        for phase in (baseline.map { [$0] } ?? []) + phases {
            if let error = phase.firstError { lines.append("\(phase.name): first error: \(error)") }
        }
        if let acceptToBaseline {
            lines.append(String(format: "accept throughput is %.1f %% of the baseline's", acceptToBaseline * 100))
        }
        return lines.joined(separator: "\n")
    }

    func mib(_ bytes: UInt64?) -> String {
        bytes.map { String(format: "%.1f MiB", Double($0) / 1_048_576) } ?? "-"
    }

    func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }
}

/// The idle-connection check: how much memory the relay holds per open, idle, authenticated connection.
public struct IdleResult: Codable, Sendable {
    public var connections: Int
    public var opened: Int
    public var secondsToOpen: Double
    public var relayRSSBefore: UInt64?
    public var relayRSSWith: UInt64?
    public var bytesPerConnection: Double?
    public var firstError: String?
}
