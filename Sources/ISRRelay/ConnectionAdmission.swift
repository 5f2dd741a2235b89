import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// Counts open connections, in total and per client address, and admits a new one only under both caps: one client
/// (or a botnet) holding thousands of sockets cannot starve the relay of file descriptors or memory.
final class ConnectionAdmission: Sendable {
    let limits: ConnectionLimits
    private let open = Mutex<(total: Int, byAddress: [String: Int])>((0, [:]))

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    /// Takes a place for `address`; false (and nothing taken) if a cap is reached.
    func admit(_ address: String) -> Bool {
        open.withLock { open in
            guard open.total < limits.maxConnections else { return false }
            guard open.byAddress[address, default: 0] < limits.maxConnectionsPerAddress else { return false }
            open.total += 1
            open.byAddress[address, default: 0] += 1
            return true
        }
    }

    func release(_ address: String) {
        open.withLock { open in
            open.total -= 1
            let left = open.byAddress[address, default: 1] - 1
            open.byAddress[address] = left > 0 ? left : nil
        }
    }

    var openConnections: Int { open.withLock { $0.total } }
}

/// A refused connection: closed before its TLS handshake starts.
struct ConnectionRefused: Error {}

/// Wraps the relay's TLS + HTTP/1 child channel: admission before anything else is set up, and the place released
/// when the connection closes.
struct AdmittedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let admission: ConnectionAdmission

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let address = channel.remoteAddress?.ipAddress ?? "unknown"
        guard admission.admit(address) else {
            RelayMetrics.connectionRefused(atCapacity: admission.openConnections >= admission.limits.maxConnections)
            return channel.close().flatMapThrowing { throw ConnectionRefused() }
        }
        channel.closeFuture.whenComplete { _ in admission.release(address) }
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
