import Synchronization

/// Slows guessing of invitation codes: at most `perAddress` failed attempts per address and `total` across all addresses
/// in any `window` (milliseconds). Codes carry 120 random bits, so this is defence in depth; it also bounds the log noise.
final class EnrolmentThrottle: Sendable {
    let perAddress: Int
    let total: Int
    let window: Int64
    private let failures = Mutex<[String: [Int64]]>([:])

    init(perAddress: Int = 5, total: Int = 300, window: Int64 = 60_000) {
        self.perAddress = perAddress
        self.total = total
        self.window = window
    }

    /// Seconds until `address` may try again, or nil if it may try now.
    func retryAfter(_ address: String, now: Int64) -> Int? {
        failures.withLock { failures in
            Self.prune(&failures, before: now - window)
            let mine = failures[address] ?? []
            let all = failures.values.reduce(0) { $0 + $1.count }
            guard mine.count >= perAddress || all >= total else { return nil }
            let oldest = (mine.count >= perAddress ? mine : failures.values.flatMap { $0 }).min() ?? now
            return max(1, Int((oldest + window - now + 999) / 1000))
        }
    }

    func recordFailure(_ address: String, now: Int64) {
        failures.withLock { failures in
            Self.prune(&failures, before: now - window)
            // The total limit bounds the table: no more than `total` failures are ever kept.
            guard failures.values.reduce(0, { $0 + $1.count }) < total else { return }
            failures[address, default: []].append(now)
        }
    }

    static func prune(_ failures: inout [String: [Int64]], before cutoff: Int64) {
        for (address, times) in failures {
            let kept = times.filter { $0 > cutoff }
            failures[address] = kept.isEmpty ? nil : kept
        }
    }
}
