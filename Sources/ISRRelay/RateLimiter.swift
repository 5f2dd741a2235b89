import Synchronization

/// Token buckets per key (a member and a kind of request): `perMinute` requests in a burst, refilled evenly over a
/// minute. Answers how long to wait when a bucket is empty, for `Retry-After`.
final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var at: Int64
    }

    /// Buckets kept at most; beyond this, full ones (keys that have been quiet) are dropped first.
    static let maximumKeys = 50_000
    private let buckets = Mutex<[String: Bucket]>([:])

    /// Takes one token for `key` at `now` (Unix ms) from a bucket of `perMinute`; nil if taken, else seconds to wait.
    func take(_ key: String, perMinute: Int, now: Int64) -> Int? {
        let rate = Double(perMinute) / 60_000
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: Double(perMinute), at: now)
            bucket.tokens = min(Double(perMinute), bucket.tokens + Double(max(0, now - bucket.at)) * rate)
            bucket.at = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                if buckets.count > Self.maximumKeys { Self.prune(&buckets, now: now, rate: rate, capacity: Double(perMinute)) }
                return nil
            }
            buckets[key] = bucket
            return max(1, Int(((1 - bucket.tokens) / rate / 1000).rounded(.up)))
        }
    }

    static func prune(_ buckets: inout [String: Bucket], now: Int64, rate: Double, capacity: Double) {
        buckets = buckets.filter { $0.value.tokens + Double(now - $0.value.at) * rate < capacity }
    }
}
