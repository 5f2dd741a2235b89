import Foundation
import NIOCore
import NIOSSL

/// Opens `count` mutual-TLS connections (each completes a handshake and one request, then sits idle), and
/// measures the relay's resident memory before and with them open.
enum IdleCheck {
    static func run(count: Int, target: Target, member: BenchMember, group: any EventLoopGroup, progress: @Sendable (String) -> Void) async -> IdleResult {
        let before = target.usage?.residentBytes()
        var result = IdleResult(connections: count, opened: 0, secondsToOpen: 0, relayRSSBefore: before)
        let context: NIOSSLContext
        do {
            context = try member.tlsContext(caPEM: target.caPEM)
        } catch {
            result.firstError = "\(error)"
            return result
        }
        progress("opening \(count) idle mTLS connections")
        let start = ContinuousClock.now
        var open: [BenchConnection] = []
        let batch = 64
        var next = 0
        while next < count {
            let range = next..<min(count, next + batch)
            next = range.upperBound
            let connected = await withTaskGroup(of: Result<BenchConnection, any Error>.self) { tasks in
                for _ in range {
                    tasks.addTask {
                        do { return .success(try await BenchConnection.connect(host: target.host, port: target.port, tls: context, group: group)) }
                        catch { return .failure(error) }
                    }
                }
                var all: [Result<BenchConnection, any Error>] = []
                for await item in tasks { all.append(item) }
                return all
            }
            for item in connected {
                switch item {
                case .success(let connection): open.append(connection)
                case .failure(let error): if result.firstError == nil { result.firstError = "\(error)" }
                }
            }
        }
        result.opened = open.count
        result.secondsToOpen = Double((ContinuousClock.now - start).microseconds) / 1_000_000
        // Let the relay settle (buffers released after the handshakes), then measure.
        try? await Task.sleep(for: .seconds(3))
        result.relayRSSWith = target.usage?.residentBytes()
        if let before, let with = result.relayRSSWith, open.count > 0 {
            result.bytesPerConnection = (Double(with) - Double(before)) / Double(open.count)
        }
        for connection in open { await connection.close() }
        return result
    }
}
