import Metrics
import Prometheus

/// The relay's metrics: swift-metrics instruments exported in the Prometheus text format at `/metrics`.
/// The metrics system is bootstrapped once per process, on first use.
public enum RelayMetrics {
    /// The registry `/metrics` renders; creating it bootstraps `MetricsSystem` with a Prometheus factory.
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    static func packetAccepted(kind: String, state: String) {
        Counter(label: "isr_packets_accepted_total", dimensions: [("kind", kind), ("state", state)]).increment()
    }

    static func packetOverdue() {
        Counter(label: "isr_packets_overdue_total").increment()
    }

    /// Active members whose client certificate expires within 30 days (set when /metrics is read).
    static func certificatesExpiring(_ count: Int) {
        Gauge(label: "isr_member_certificates_expiring_30d").record(count)
    }

    /// A connection refused at admission: the total cap, or one address's.
    static func connectionRefused(atCapacity: Bool) {
        Counter(label: "isr_connections_refused_total", dimensions: [("reason", atCapacity ? "total" : "per-address")]).increment()
    }

    /// A connection closed because no complete request head arrived in time (a stalled handshake, slow headers).
    static func connectionTimedOut() {
        Counter(label: "isr_connections_timed_out_total").increment()
    }

    /// A member's request refused over its rate limit (`send`, `admin` or `request`).
    static func rateLimited(_ kind: String) {
        Counter(label: "isr_rate_limited_total", dimensions: [("kind", kind)]).increment()
    }

    static func storeDuration(_ duration: Duration) {
        Metrics.Timer(label: "isr_store_duration_seconds").recordNanoseconds(duration.nanoseconds)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
