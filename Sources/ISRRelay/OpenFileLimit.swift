import Foundation
import Logging

/// Raises the process's soft limit on open files to what the connection cap needs (each connection is a descriptor,
/// plus the store, logs and headroom), up to the hard limit; says so when the hard limit is lower.
enum OpenFileLimit {
    /// Descriptors beyond the connections: the store and its WAL, certificates, logs, sendmail pipes, headroom.
    static let headroom: rlim_t = 1024

    static func raise(for limits: ConnectionLimits, logger: Logger) {
        var current = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &current) == 0 else { return }
        let wanted = rlim_t(limits.maxConnections) + headroom
        guard current.rlim_cur < wanted else { return }
        var raised = current
        raised.rlim_cur = min(wanted, current.rlim_max)
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) != 0 || raised.rlim_cur < wanted {
            logger.warning("the open-file limit is below what limits.max_connections needs; raise the hard limit (e.g. LimitNOFILE in systemd)",
                           metadata: ["soft": "\(raised.rlim_cur)", "wanted": "\(wanted)"])
        }
    }
}
