import Foundation
import Histogram
import Synchronization

/// Runs one phase: `items` (indices into the run's packets, in schedule order) spread over the connections by
/// `owner`, each connection working through its own items one request at a time. Closed loop by default; with
/// `rate`, open loop: item number k is due at start + k/rate and its latency counts from then.
struct PhaseRunner: Sendable {
    let connections: [BenchConnection]
    let rate: Double?
    let duration: Double?
    let relay: ProcessUsage?

    /// Returns the result and the items whose operation succeeded (the next phase works on those).
    func run(_ name: String, items: [Int], owner: @escaping @Sendable (Int) -> Int,
             operation: @escaping @Sendable (BenchConnection, Int) async throws -> Void) async -> (PhaseResult, [Int]) {
        var lanes = Array(repeating: [(position: Int, item: Int)](), count: connections.count)
        for (position, item) in items.enumerated() { lanes[owner(item) % connections.count].append((position, item)) }
        let client = ProcessUsage(pid: getpid())
        let cpuBefore = relay?.cpuSeconds()
        let clientBefore = client.cpuSeconds()
        relay?.resetPeak()
        let start = ContinuousClock.now
        let rate = rate, duration = duration
        let lanesResults = await withTaskGroup(of: LaneResult.self) { group in
            for (index, lane) in lanes.enumerated() where !lane.isEmpty {
                let connection = connections[index]
                group.addTask {
                    var result = LaneResult()
                    for (position, item) in lane {
                        var scheduled = ContinuousClock.now
                        if let rate {
                            scheduled = start + .seconds(Double(position) / rate)
                            if scheduled > ContinuousClock.now { try? await Task.sleep(until: scheduled, clock: .continuous) }
                        }
                        if let duration, ContinuousClock.now - start >= .seconds(duration) { break }
                        do {
                            try await operation(connection, item)
                            let micros = (ContinuousClock.now - scheduled).microseconds
                            _ = result.latency.record(UInt64(max(1, micros)))
                            result.succeeded.append(item)
                        } catch {
                            result.errors += 1
                            if result.firstError == nil { result.firstError = String(describing: error) }
                        }
                    }
                    result.end = ContinuousClock.now
                    return result
                }
            }
            var all: [LaneResult] = []
            for await lane in group { all.append(lane) }
            return all
        }
        var latency = LaneResult.histogram()
        var succeeded: [Int] = []
        var errors = 0
        var firstError: String?
        var end = start
        for lane in lanesResults {
            latency.add(lane.latency)
            succeeded += lane.succeeded
            errors += lane.errors
            firstError = firstError ?? lane.firstError
            end = max(end, lane.end)
        }
        let seconds = Double((end - start).microseconds) / 1_000_000
        let cpu = both(cpuBefore, relay?.cpuSeconds()).map { $0.1 - $0.0 }
        let clientCPU = both(clientBefore, client.cpuSeconds()).map { $0.1 - $0.0 }
        let result = PhaseResult(name: name, operations: succeeded.count, errors: errors, firstError: firstError, seconds: seconds,
                                 latencyMicros: latency, relayCPUSeconds: cpu, relayPeakRSS: relay?.peakResidentBytes(), clientCPUSeconds: clientCPU)
        return (result, succeeded.sorted())
    }
}

/// One connection's share of a phase.
struct LaneResult: Sendable {
    var latency = LaneResult.histogram()
    var succeeded: [Int] = []
    var errors = 0
    var firstError: String?
    var end = ContinuousClock.now

    /// Microseconds from 1 µs to 10 minutes at 3 significant digits.
    static func histogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    }
}

extension Duration {
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}

func both(_ a: Double?, _ b: Double?) -> (Double, Double)? {
    guard let a, let b else { return nil }
    return (a, b)
}
