import Foundation

/// A process's CPU time and memory, read from `/proc` (Linux): how the relay pays for a phase.
public struct ProcessUsage: Sendable {
    public let pid: Int32

    public init(pid: Int32) {
        self.pid = pid
    }

    /// User plus system CPU seconds since the process started (`/proc/PID/stat` fields 14 and 15).
    public func cpuSeconds() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces) start at field 3.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory now (`VmRSS`), bytes.
    public func residentBytes() -> UInt64? { statusValue("VmRSS:") }

    /// Peak resident memory since the last `resetPeak()` or the start (`VmHWM`), bytes.
    public func peakResidentBytes() -> UInt64? { statusValue("VmHWM:") }

    /// Starts a new peak-RSS window (writes 5 to `/proc/PID/clear_refs`); false where not permitted.
    @discardableResult
    public func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/\(pid)/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
    }

    private func statusValue(_ key: String) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let kib = UInt64(parts[1]) else { return nil }
            return kib * 1024
        }
        return nil
    }
}
