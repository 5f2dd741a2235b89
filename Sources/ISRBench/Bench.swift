import Foundation
import ISRClient
import ISRPacket
import ISRPolicy
import ISRRelayAPI
import ISRStorePostgres
import NIOCore
import NIOHTTP1
import NIOPosix

/// The benchmark: sets up (or reaches) a relay, enrols synthetic practitioners, builds real packets, then runs the
/// phases over real mTLS keep-alive connections: accept, inbox, deliver (fetch + signed receipt), read-back, confirm.
public enum Bench {
    public static func run(_ options: BenchOptions, progress: @escaping @Sendable (String) -> Void) async throws -> BenchReport {
        do {
            return try await checkedRun(options, progress: progress)
        } catch let error as ClientError {
            // The relay's or the home's own words, without the error code suffix.
            throw BenchError(error.message)
        }
    }

    static func checkedRun(_ options: BenchOptions, progress: @escaping @Sendable (String) -> Void) async throws -> BenchReport {
        guard (1...20_000).contains(options.connections) else { throw BenchError("--connections must be 1–20000") }
        guard (0...60 * 1024).contains(options.bodyBytes) else { throw BenchError("--body-bytes must be 0–61440 (packets are at most 64 KiB)") }
        guard (1...2_000_000).contains(options.packetCount) else { throw BenchError("--packets must be 1–2000000") }
        if let rate = options.rate, !(rate > 0 && rate <= 1_000_000) { throw BenchError("--rate must be a positive number of operations per second") }
        let policy = try Policy.load(from: options.policyPath)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.clientThreads))
        let target = try await Target.open(options, group: group, progress: progress)
        do {
            let report = try await run(options, policy: policy, target: target, group: group, progress: progress)
            target.close(keep: options.keep, progress: progress)
            try? await group.shutdownGracefully()
            return report
        } catch {
            target.close(keep: options.keep, progress: progress)
            try? await group.shutdownGracefully()
            throw error
        }
    }

    static func run(_ options: BenchOptions, policy: Policy, target: Target, group: MultiThreadedEventLoopGroup,
                    progress: @escaping @Sendable (String) -> Void) async throws -> BenchReport {
        let pairs = options.idleConnections > 0 ? 1 : options.connections
        progress("enrolling \(pairs) senders and \(pairs) recipients")
        let cast = try await SyntheticCast.enrol(pairs: pairs, relayURL: target.url, admin: target.admin, caPEM: target.caPEM)
        var report = BenchReport(relay: target.url, connections: options.connections, packets: 0, bodyBytes: options.bodyBytes, packetBytes: 0,
                                 rate: options.rate, duration: options.duration, buildMicrosPerPacket: 0, phases: [])
        if options.relayURL == nil {
            report.store = options.store
            report.instances = options.instances
        }
        if options.idleConnections > 0 {
            report.idle = await IdleCheck.run(count: options.idleConnections, target: target, member: cast.senders[0], group: group, progress: progress)
            return report
        }

        let count = options.packetCount
        progress("building \(count) shares, read-backs and confirmations")
        let builder = PacketBuilder(policy: policy, bodyBytes: options.bodyBytes)
        let c = options.connections
        let buildStart = ContinuousClock.now
        let shares = try (0..<count).map { i in try builder.share(from: cast.senders[i % c], to: cast.recipients[i % c]) }
        report.buildMicrosPerPacket = Double((ContinuousClock.now - buildStart).microseconds) / Double(count)
        report.packets = count
        report.packetBytes = shares.reduce(0) { $0 + $1.bytes.count } / count
        let readbacks = try (0..<count).map { i in try builder.readback(of: shares[i].id, from: cast.recipients[i % c], to: cast.senders[i % c]) }
        let confirmations = try (0..<count).map { i in try builder.confirmation(of: shares[i].id, from: cast.senders[i % c], to: cast.recipients[i % c]) }
        let all = Array(0..<count)
        let owner: @Sendable (Int) -> Int = { $0 % c }

        if let baseline = try await Baseline.open(options, target: target, cast: cast, group: group, progress: progress) {
            progress("baseline: \(all.count) POSTs to \(baseline.url)")
            let runner = PhaseRunner(connections: baseline.connections, rate: options.rate, duration: options.duration, relay: nil)
            let path = baseline.path
            let (result, _) = await runner.run("baseline", items: all, owner: owner) { connection, i in
                let reply = try await connection.exchange(.POST, path, body: shares[i].bytes, contentType: "application/octet-stream")
                guard (200..<300).contains(reply.status) else { throw BenchError("baseline answered HTTP \(reply.status)") }
            }
            report.baseline = result
            await baseline.close()
        }

        progress("opening \(c) sender and \(c) recipient connections")
        let senders = try await connect(cast.senders, target: target, group: group)
        let recipients = try await connect(cast.recipients, target: target, group: group)
        report.auditLeavesBefore = try await auditSize(senders[0])
        let sendRunner = PhaseRunner(connections: senders, rate: options.rate, duration: options.duration, relay: target.usage)
        let receiveRunner = PhaseRunner(connections: recipients, rate: options.rate, duration: options.duration, relay: target.usage)

        progress("accept: senders POST \(count) packets")
        let (accept, accepted) = await lockSampled(target) {
            await sendRunner.run("accept", items: all, owner: owner) { connection, i in
                try expect(201, try await connection.exchange(.POST, "/v1/packets", body: shares[i].bytes, contentType: "application/octet-stream"))
            }
        }
        report.phases.append(accept)

        progress("inbox: each recipient lists their whole inbox, page by page")
        let (inbox, _) = await PhaseRunner(connections: recipients, rate: nil, duration: nil, relay: target.usage)
            .run("inbox", items: Array(0..<c), owner: { $0 }) { connection, _ in
                var before: String?
                for _ in 0..<1000 {
                    let reply = try await connection.exchange(.GET, "/v1/inbox?limit=500" + (before.map { "&before=\($0)" } ?? ""))
                    try expect(200, reply)
                    struct Page: Decodable { let next: String? }
                    guard let next = try JSONDecoder().decode(Page.self, from: Data(reply.body)).next else { break }
                    before = next
                }
            }
        report.phases.append(inbox)

        progress("deliver: recipients fetch \(accepted.count) packets and post signed receipts")
        let (deliver, delivered) = await lockSampled(target) {
            await receiveRunner.run("deliver", items: accepted, owner: owner) { connection, i in
                let fetched = try await connection.exchange(.GET, "/v1/packets/\(shares[i].id.hex)")
                try expect(200, fetched)
                guard fetched.body == shares[i].bytes else { throw BenchError("packet \(shares[i].id) came back with other bytes") }
                let signature = DeliveryReceipt.sign(packet: fetched.body, id: shares[i].id, recipient: cast.recipients[i % c].id, key: cast.recipients[i % c].keys.signing)
                let body = Array(#"{"signature":"\#(Data(signature).base64EncodedString())"}"#.utf8)
                try expect(200, try await connection.exchange(.POST, "/v1/packets/\(shares[i].id.hex)/receipt", body: body, contentType: "application/json"))
            }
        }
        report.phases.append(deliver)

        progress("read-back: recipients post \(delivered.count) read-backs")
        let (readback, acknowledged) = await lockSampled(target) {
            await receiveRunner.run("read-back", items: delivered, owner: owner) { connection, i in
                try expect(201, try await connection.exchange(.POST, "/v1/packets", body: readbacks[i], contentType: "application/octet-stream"))
            }
        }
        report.phases.append(readback)

        progress("confirm: senders confirm \(acknowledged.count) read-backs")
        let (confirm, _) = await lockSampled(target) {
            await sendRunner.run("confirm", items: acknowledged, owner: owner) { connection, i in
                try expect(201, try await connection.exchange(.POST, "/v1/packets", body: confirmations[i], contentType: "application/octet-stream"))
            }
        }
        report.phases.append(confirm)

        if let baseline = report.baseline, baseline.operationsPerSecond > 0 {
            report.acceptToBaseline = accept.operationsPerSecond / baseline.operationsPerSecond
        }
        for connection in senders + recipients { await connection.close() }
        return report
    }

    /// Runs a phase that writes to the log; on a throw-away PostgreSQL store, samples the audit-log lock meanwhile.
    static func lockSampled(_ target: Target, _ phase: () async -> (PhaseResult, [Int])) async -> (PhaseResult, [Int]) {
        guard let url = target.deployment?.storeURL else { return await phase() }
        var ((result, items), occupancy) = await AuditLockOccupancy.measure(url: url, while: phase)
        result.auditLock = occupancy
        return (result, items)
    }

    static func connect(_ members: [BenchMember], target: Target, group: any EventLoopGroup) async throws -> [BenchConnection] {
        var connections: [BenchConnection] = []
        let ports = target.ports.isEmpty ? [target.port] : target.ports
        for (index, member) in members.enumerated() {
            connections.append(try await BenchConnection.connect(host: target.host, port: ports[index % ports.count], tls: try member.tlsContext(caPEM: target.caPEM),
                                                                 group: group))
        }
        return connections
    }

    static func auditSize(_ connection: BenchConnection) async throws -> UInt64? {
        let reply = try await connection.exchange(.GET, "/v1/audit/checkpoint")
        return (try? JSONDecoder().decode(CheckpointBody.self, from: Data(reply.body)))?.size
    }

    /// Throws unless the relay answered `status`; the error carries the problem's code, never packet content.
    static func expect(_ status: Int, _ reply: HTTPReply) throws {
        guard reply.status == status else {
            struct Problem: Decodable { let code: String?; let detail: String? }
            let problem = try? JSONDecoder().decode(Problem.self, from: Data(reply.body))
            throw BenchError("HTTP \(reply.status) \(problem?.code ?? ""): \(problem?.detail.map { String($0.prefix(200)) } ?? "")")
        }
    }
}
