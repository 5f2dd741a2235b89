import Foundation
import Hummingbird
import HummingbirdTesting
import ISRAudit
import ISRCrypto
import ISRPacket
import ISRRelay
import ISRRelayAPI
import ISRTestSupport
import NIOCore
import Synchronization
import Testing

/// The real daemon, end to end: lifecycle over TLS, curl as an independent client, graceful stop, and a
/// SIGKILL in the middle of a stream of packets.
@Suite(.serialized, .blocksThreads) struct RelayProcessTests {
    @Test func theDaemonServesTheLifecycleAnswersCurlAndStopsGracefully() async throws {
        let relay = try RelayProcess()
        defer { relay.stop(signal: SIGKILL) }
        let (alice, _, bob, _) = try await relay.standardCast()
        let share = try await relay.build(.share, from: alice, to: [bob.id])
        let id = try PacketHeader(derEncoded: share.headerBytes).id
        #expect(try await relay.send(share, as: alice).status == .created)
        _ = try await relay.fetchAndOpen(id, as: bob, from: alice.id)
        #expect(try await relay.postReceipt(id, bytes: share.bytes, as: bob).status == .ok)
        #expect(try await relay.send(try await relay.build(.readback, from: bob, to: [alice.id], inReplyTo: id), as: bob).status == .created)
        #expect(try await relay.send(try await relay.build(.confirm, from: alice, to: [bob.id], inReplyTo: id), as: alice).status == .created)
        #expect(try await relay.status(id, as: alice).state == "confirmed")

        let (healthStatus, health) = try relay.curl("/healthz")
        #expect(healthStatus == 0 && health == #"{"status":"ok","version":"0.1.0"}"#, "\(health)")
        let (openAPIStatus, openAPI) = try relay.curl("/v1/openapi.yaml")
        #expect(openAPIStatus == 0 && openAPI.hasPrefix("openapi: 3"), "\(openAPI.prefix(200))")
        let (_, metrics) = try relay.curl("/metrics")
        #expect(metrics.contains("isr_packets_accepted_total{kind=\"share\",state=\"accepted\"} 1"), "\(metrics)")
        #expect(metrics.contains("hb_requests"), "requests by route and status")
        #expect(metrics.contains("isr_store_duration_seconds"), "store latency")
        // Logs (at debug level here) never carry packet content, field values or subject references.
        for secret in ["Sam Example", "2015-03-12", "CASE-7", "Attendance 62%", "withdrawn"] {
            #expect(!relay.stderr.contains(secret), "the log leaked \(secret)")
        }
        #expect(relay.stderr.contains("packet accepted"), "debug logging was on")

        #expect(relay.stop(signal: SIGTERM) == 0, "a clean exit on SIGTERM")
        #expect(relay.stderr.contains("relay stopped; store closed"), "\(relay.stderr)")
        // Restarted on the same files, everything is still there.
        try relay.start()
        #expect(try await relay.status(id, as: alice).history.map(\.state) == ["accepted", "delivered", "read", "acknowledged", "confirmed"])
    }

    @Test func aKillMidStreamLosesNoAcknowledgedPacketAndTheLogStillVerifies() async throws {
        let relay = try RelayProcess()
        defer { relay.stop(signal: SIGKILL) }
        let (alice, _, bob, _) = try await relay.standardCast()
        let keys = try await relay.keys(for: [bob.id], as: alice)
        let packets = try await (0..<2000).asyncMap { _ in try await relay.build(.share, from: alice, to: [bob.id], keys: keys) }
        let before = try await relay.request(alice, .get, "/v1/audit/checkpoint").json(CheckpointBody.self)
        let acknowledged = LockedList<PacketID>()
        let tls = try relay.tls(for: alice)
        let port = relay.port
        let killer = Task {
            // Kill once 400 packets were acknowledged, or after 60 s at the latest.
            for _ in 0..<3000 where acknowledged.count < 400 { try await Task.sleep(for: .milliseconds(20)) }
            relay.stop(signal: SIGKILL)
        }
        await withTaskGroup(of: Void.self) { group in
            for lane in 0..<4 {
                group.addTask {
                    let configuration = TestClient.Configuration(tlsConfiguration: tls, timeout: .seconds(10), serverName: "localhost")
                    _ = try? await TestClient.withClient(host: "127.0.0.1", port: port, configuration: configuration) { client in
                        for packet in packets[(lane * 500)..<((lane + 1) * 500)] {
                            var headers = HTTPFields()
                            headers[.contentType] = "application/octet-stream"
                            let response = try await client.execute(.init("/v1/packets", method: .post, authority: "localhost", headers: headers,
                                                                          body: ByteBuffer(bytes: packet.bytes)))
                            guard response.status == .created else { break }
                            let id = try PacketHeader(derEncoded: packet.headerBytes).id
                            acknowledged.append(id)
                        }
                    }
                }
            }
        }
        try await killer.value
        let acked = acknowledged.items
        #expect(acked.count >= 400 && acked.count < 2000, "the kill came mid-stream (\(acked.count) acknowledged)")

        try relay.start()
        let inbox = try await relay.inbox(of: bob)
        let stored = Set(inbox.map(\.id))
        #expect(stored.count == inbox.count, "no packet is stored twice")
        for id in acked { #expect(stored.contains(id.hex), "acknowledged packet \(id) survived the kill") }

        // The log after the restart extends the one seen before, and every leaf hashes to the signed root.
        let after = try await relay.request(alice, .get, "/v1/audit/checkpoint").json(CheckpointBody.self)
        let key = try await relay.request(alice, .get, "/v1/audit/key").json(RelayKeyBody.self)
        let relayKey = try SigningPublicKey(bytes: try #require(Data(base64Encoded: key.signingKey)))
        let head = try SignedCheckpoint(encoded: Array(try #require(Data(base64Encoded: after.signed)))).verified(with: relayKey)
        let consistency = try await relay.request(alice, .get, "/v1/audit/consistency?old=\(before.size)&new=\(head.size)").json(ProofBody.self)
        try MerkleVerifier.verifyConsistency(oldSize: before.size, newSize: head.size, oldRoot: Array(try #require(Data(base64Encoded: before.root))),
                                             newRoot: head.root, proof: consistency.proof.map { Array(Data(base64Encoded: $0) ?? Data()) })
        let rebuilt = InMemoryMerkleNodes()
        let log = MerkleLog(store: rebuilt)
        var index: UInt64 = 0
        while index < head.size {
            let end = min(index + 1000, head.size)
            let page = try await relay.request(relay.admin, .get, "/v1/audit/leaves?start=\(index)&end=\(end)").json(LeavesBody.self)
            for leaf in page.leaves {
                let data = Array(try #require(Data(base64Encoded: leaf)))
                _ = try AuditEvent(derEncoded: data)
                rebuilt.insert(try log.nodesForAppend(leafHash: MerkleHash.leaf(data), at: index))
                index += 1
            }
        }
        #expect(try log.rootHash(size: head.size) == head.root)
        #expect(head.size >= before.size + UInt64(acked.count))
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

/// A list appended to from several tasks (guarded by a `Mutex`).
final class LockedList<Element: Sendable>: Sendable {
    private let storage = Mutex<[Element]>([])
    func append(_ element: Element) { storage.withLock { $0.append(element) } }
    var count: Int { storage.withLock { $0.count } }
    var items: [Element] { storage.withLock { $0 } }
}
