import Histogram
import ISRStorePostgres

/// What one phase measured: completed operations, their rate and latency, errors, and what the relay spent.
public struct PhaseResult: Codable, Sendable {
    public var name: String
    public var operations: Int
    public var errors: Int
    public var firstError: String?
    public var seconds: Double
    public var operationsPerSecond: Double
    /// Milliseconds. Under `--rate`, measured from each operation's scheduled start (no coordinated omission).
    public var latencyP50: Double
    public var latencyP90: Double
    public var latencyP99: Double
    public var latencyMax: Double
    /// The relay process's user+system CPU seconds during the phase, and its peak RSS (bytes) in it; nil if unknown.
    public var relayCPUSeconds: Double?
    public var relayPeakRSS: UInt64?
    /// The load generator's own CPU seconds during the phase: it shares the machine with the relay.
    public var clientCPUSeconds: Double?
    /// With `--store postgres`: how busy the audit-log lock every write group holds was during the phase.
    public var auditLock: AuditLockOccupancy?

    init(name: String, operations: Int, errors: Int, firstError: String?, seconds: Double, latencyMicros: Histogram<UInt64>,
         relayCPUSeconds: Double?, relayPeakRSS: UInt64?, clientCPUSeconds: Double?) {
        self.name = name
        self.operations = operations
        self.errors = errors
        self.firstError = firstError
        self.seconds = seconds
        operationsPerSecond = seconds > 0 ? Double(operations) / seconds : 0
        func ms(_ micros: UInt64) -> Double { Double(micros) / 1000 }
        let empty = latencyMicros.totalCount == 0
        latencyP50 = empty ? 0 : ms(latencyMicros.valueAtPercentile(50))
        latencyP90 = empty ? 0 : ms(latencyMicros.valueAtPercentile(90))
        latencyP99 = empty ? 0 : ms(latencyMicros.valueAtPercentile(99))
        latencyMax = empty ? 0 : ms(latencyMicros.max)
        self.relayCPUSeconds = relayCPUSeconds
        self.relayPeakRSS = relayPeakRSS
        self.clientCPUSeconds = clientCPUSeconds
    }
}
