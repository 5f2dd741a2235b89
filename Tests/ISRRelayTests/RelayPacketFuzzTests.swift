import Foundation
import HTTPTypes
import HummingbirdTesting
import ISRPacket
import ISRRelayAPI
import NIOCore
import Testing

/// A packet mutation fuzzer against the relay over mutual TLS: a valid packet with every byte flipped, truncated at
/// every length, its DER tags and lengths altered, an element duplicated and bytes appended. Every answer is a 4xx
/// problem — never a 5xx, a hang or a crash — and nothing is stored.
@Suite(.serialized) struct RelayPacketFuzzTests {
    /// The top-level TLVs of a DER SEQUENCE's content: (offset of the tag, header length, content length).
    static func elements(_ bytes: [UInt8]) -> [(at: Int, header: Int, length: Int)] {
        func tlv(_ at: Int) -> (header: Int, length: Int)? {
            guard at + 1 < bytes.count else { return nil }
            let first = Int(bytes[at + 1])
            if first < 0x80 { return (2, first) }
            let count = first & 0x7F
            guard count > 0, count <= 4, at + 1 + count < bytes.count else { return nil }
            return (2 + count, bytes[(at + 2)...(at + 1 + count)].reduce(0) { $0 << 8 | Int($1) })
        }
        guard let outer = tlv(0) else { return [] }
        var result: [(Int, Int, Int)] = [(0, outer.header, outer.length)]
        var at = outer.header
        while at < bytes.count, let inner = tlv(at) {
            result.append((at, inner.header, inner.length))
            at += inner.header + inner.length
        }
        return result
    }

    static func mutations(of good: [UInt8]) -> [(name: String, bytes: [UInt8])] {
        var cases: [(String, [UInt8])] = []
        for index in good.indices {
            var flipped = good
            flipped[index] ^= 0x01
            cases.append(("byte \(index) flipped", flipped))
        }
        for length in 0..<good.count { cases.append(("truncated to \(length)", Array(good.prefix(length)))) }
        for (at, header, length) in elements(good) {
            for tag: UInt8 in [0x00, 0x02, 0x04, 0x0C, 0x30, 0x31, 0xA0, 0xFF] where tag != good[at] {
                var retagged = good
                retagged[at] = tag
                cases.append(("tag at \(at) → \(tag)", retagged))
            }
            for delta in [-1, 1] where header == 2 {
                var resized = good
                resized[at + 1] = UInt8(truncatingIfNeeded: Int(good[at + 1]) + delta)
                cases.append(("length at \(at) \(delta)", resized))
            }
            var huge = good
            huge.replaceSubrange((at + 1)..<(at + header), with: [0x84, 0xFF, 0xFF, 0xFF, 0xFF])
            cases.append(("length at \(at) → 4 GiB", huge))
            if at > 0 {
                // The element twice, with the outer length fixed up when it fits the same length form.
                var doubled = good
                doubled.insert(contentsOf: good[at..<(at + header + length)], at: at + header + length)
                cases.append(("element at \(at) duplicated", doubled))
            }
        }
        cases.append(("trailing byte", good + [0]))
        cases.append(("trailing packet", good + good))
        return cases
    }

    @Test func everyMutationOfAValidPacketIsA4xxProblemAndNothingIsStored() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        let (alice, _, bob, _) = try await relay.standardCast()
        let good = try await relay.build(.share, from: alice, to: [bob.id]).bytes
        let before = try await relay.service.store.auditSize()
        let cases = Self.mutations(of: good)
        let tally = Tally()
        let configuration = TestClient.Configuration(tlsConfiguration: try relay.tls(for: alice), timeout: .seconds(20), serverName: "localhost")
        // Many requests per connection (a new connection after any the relay closes), every one bounded by the timeout.
        while await tally.index < cases.count {
            let start = await tally.index
            do {
                try await TestClient.withClient(host: "127.0.0.1", port: relay.port, configuration: configuration) { client in
                    var index = start
                    while index < cases.count, index < start + 500 {
                        let (name, bytes) = cases[index]
                        let response = try await client.execute(.init("/v1/packets", method: .post, authority: "localhost",
                                                                       headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: bytes)))
                        await tally.count(Int(response.status.code))
                        #expect((400..<500).contains(response.status.code) && response.headers[.contentType] == "application/problem+json",
                                "\(name): \(response.status) \(response.body.map { String(buffer: $0) } ?? "")")
                        index += 1
                    }
                }
            } catch {
                // The connection went away mid-case: send that case on a fresh connection, then go on.
                let index = await tally.index
                let reply = try await relay.request(alice, .post, "/v1/packets", body: cases[index].bytes, contentType: "application/octet-stream")
                await tally.count(Int(reply.status.code))
                #expect((400..<500).contains(reply.status.code), "\(cases[index].name): \(reply.status)")
            }
        }
        let statuses = await tally.statuses
        print("packet mutation fuzzer: \(cases.count) cases from a \(good.count)-byte packet, answers \(statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")), failures \(cases.count - statuses.filter { (400..<500).contains($0.key) }.values.reduce(0, +))")
        #expect(try await relay.service.store.auditSize() == before, "nothing was stored")
        #expect(try await relay.request(bob, .get, "/v1/inbox").json(ListBody<InboxItem>.self).items.isEmpty)
        #expect(try await relay.send(try await relay.build(.share, from: alice, to: [bob.id]), as: alice).status == .created, "the relay still accepts")
    }
}

/// Answers counted by status, and how many cases have been answered.
actor Tally {
    private(set) var statuses: [Int: Int] = [:]
    private(set) var index = 0

    func count(_ status: Int) {
        statuses[status, default: 0] += 1
        index += 1
    }
}
