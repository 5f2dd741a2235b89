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
