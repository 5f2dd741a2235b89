/// What to run. Defaults are the headline workload: 64 connections, 2 KiB bodies, closed loop.
public struct BenchOptions: Sendable {
    public var connections = 64
    /// Packets in the workload (built before the phases); nil with `duration` set: enough for the duration.
    public var packets: Int?
    /// Stops each phase after this many seconds.
    public var duration: Double?
    /// Open loop: operations started per second, on a fixed schedule.
    public var rate: Double?
    public var bodyBytes = 2048
    /// Target a running relay instead of a throw-away one: its URL and an admin's ISR home (passphrase from ISR_PASSPHRASE).
    public var relayURL: String?
    public var home: String?
    /// The running relay's pid, to report its CPU and memory.
    public var relayPID: Int32?
    /// Run the accept phase's bytes against this HTTPS endpoint too, and report the ratio.
    public var baselineURL: String?
    /// CA certificate (PEM) the baseline's server certificate chains to (default: the deployment CA).
    public var baselineCA: String?
    /// Start nginx on loopback (TLS 1.3, client certificate required, answers 201) as the baseline.
    public var baselineNginx = false
    /// Grow the throw-away relay's audit log to this many leaves before it starts (scale check).
    public var prefillLeaves = 0
    /// Instead of the phases: hold this many idle mTLS connections open and report the relay's memory.
    public var idleConnections = 0
    public var clientThreads = 2
    public var policyPath = "config/policy.toml"
    public var relayBinary: String?
    /// The throw-away relay's store: `sqlite` (its embedded default) or `postgres` (a throw-away PostgreSQL cluster).
    public var store = "sqlite"
    /// Relay instances on the throw-away store (PostgreSQL only), connections spread across them in turn.
    public var instances = 1
    /// Keep the throw-away deployment directory (for inspection) instead of deleting it.
    public var keep = false

    public init() {}

    /// The number of packets to build.
    var packetCount: Int {
        if let packets { return packets }
        if let duration { return Int(((rate ?? 8_000) * duration).rounded(.up)) }
        return 10_000
    }
}
