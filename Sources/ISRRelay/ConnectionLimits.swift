import NIOCore

/// `[limits]` for connections: how long a connection may sit idle or take to deliver a request head (which also bounds
/// the TLS handshake), and how many may be open at once, in total and from one address. Defaults a county-sized
/// deployment runs on; every one is configurable in `relay.toml`.
public struct ConnectionLimits: Sendable, Equatable {
    /// An idle keep-alive connection is closed after this long.
    public var idleTimeoutSeconds: Int = 60
    /// A connection must deliver its first complete request head this long after it opens (TLS handshake included), or
    /// it is closed: a stalled handshake or headers sent a byte at a time cannot hold a socket.
    public var requestHeadTimeoutSeconds: Int = 30
    public var maxConnections: Int = 4096
    public var maxConnectionsPerAddress: Int = 256

    public init() {}

    var idleTimeout: TimeAmount { .seconds(Int64(idleTimeoutSeconds)) }
    var requestHeadTimeout: TimeAmount { .seconds(Int64(requestHeadTimeoutSeconds)) }
}
