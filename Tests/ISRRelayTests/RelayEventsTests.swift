import Foundation
import ISRCrypto
import ISRPacket
import ISRRelayAPI
import ISRTestSupport
import Testing

/// `GET /v1/events` on the real daemon, read by curl as an independent client: each member sees only their own events
/// (ids, kinds, purposes, deadlines — never content or subject references), live and resumed with `Last-Event-ID`.
@Suite(.serialized, .blocksThreads) struct RelayEventsTests {
    /// curl streaming `/v1/events` as `person` for `seconds` (it then times out, which is how the stream is cut here).
    func stream(_ relay: RelayProcess, as person: Person, lastEventID: String?, seconds: Int) throws -> Process {
        let directory = relay.directory + "/curl-\(person.id.local)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try person.certificatePEM.write(toFile: directory + "/cert.pem", atomically: true, encoding: .utf8)
        try person.tlsKeyPEM.write(toFile: directory + "/key.pem", atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: directory + "/out", contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-sSN", "--max-time", "\(seconds)", "--cacert", relay.directory + "/certs/ca.pem", "--cert", directory + "/cert.pem",
                             "--key", directory + "/key.pem", "-o", directory + "/out"] + (lastEventID.map { ["-H", "Last-Event-ID: \($0)"] } ?? [])
            + ["https://localhost:\(relay.port)/v1/events"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func output(_ process: Process) -> String {
        let path = (process.arguments?[(process.arguments?.firstIndex(of: "-o") ?? 0) + 1]) ?? ""
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    func events(_ text: String) -> [RelayEventBody] {
        text.split(separator: "\n").filter { $0.hasPrefix("data: ") }.compactMap { line in
            try? ISRJSON.decoder().decode(RelayEventBody.self, from: Data(line.dropFirst(6).utf8))
        }
    }

    @Test func eachMemberSeesTheirOwnEventsLiveAndResumed() async throws {
        let relay = try RelayProcess()
        defer { relay.stop(signal: SIGKILL) }
        let (alice, _, bob, carol) = try await relay.standardCast()
        // Bob listens live; a share to him arrives while he listens, within a second.
        let live = try stream(relay, as: bob, lastEventID: nil, seconds: 4)
        try await Task.sleep(for: .milliseconds(800))
        let share = try await relay.build(.share, from: alice, to: [bob.id])
        let id = try PacketHeader(derEncoded: share.headerBytes).id
        let sent = ContinuousClock.now
        #expect(try await relay.send(share, as: alice).status == .created)
        var seen: [RelayEventBody] = []
        while seen.isEmpty, ContinuousClock.now - sent < .seconds(3) {
            try await Task.sleep(for: .milliseconds(50))
            seen = events(output(live))
        }
        #expect(ContinuousClock.now - sent < .seconds(1), "the event arrived within a second")
        #expect(seen.map(\.kind) == ["new-packet"] && seen.first?.packet == id.hex && seen.first?.purpose == "child-in-need"
                && seen.first?.packetKind == "share" && seen.first?.deadline != nil, "\(output(live))")
        live.waitUntilExit()

        // The rest of the lifecycle; each member resumes from the start of the log and sees only their own events.
        _ = try await relay.fetchAndOpen(id, as: bob, from: alice.id)
        #expect(try await relay.send(try await relay.build(.readback, from: bob, to: [alice.id], inReplyTo: id), as: bob).status == .created)
        #expect(try await relay.send(try await relay.build(.confirm, from: alice, to: [bob.id], inReplyTo: id), as: alice).status == .created)
        let bobs = try stream(relay, as: bob, lastEventID: "0", seconds: 2)
        let alices = try stream(relay, as: alice, lastEventID: "0", seconds: 2)
        let carols = try stream(relay, as: carol, lastEventID: "0", seconds: 2)
        for process in [bobs, alices, carols] { process.waitUntilExit() }
        #expect(events(output(bobs)).map(\.kind) == ["new-packet", "confirmed"], "\(output(bobs))")
        #expect(events(output(alices)).map(\.kind) == ["read-back-received"], "\(output(alices))")
        #expect(events(output(carols)).isEmpty, "carol is not a party: \(output(carols))")
        // Resuming after bob's first event gives only the later one; no event carries content or the subject reference.
        let firstID = try #require(events(output(bobs)).first?.id)
        let resumed = try stream(relay, as: bob, lastEventID: "\(firstID)", seconds: 2)
        resumed.waitUntilExit()
        #expect(events(output(resumed)).map(\.kind) == ["confirmed"], "\(output(resumed))")
        for text in [output(bobs), output(alices)] {
            for secret in ["CASE-7", "Sam Example", "2015-03-12", "Attendance", "Bob", "Alice"] { #expect(!text.contains(secret), "\(secret) leaked: \(text)") }
        }
        // A bad Last-Event-ID is a problem, not a stream.
        let bad = try stream(relay, as: bob, lastEventID: "yesterday", seconds: 2)
        bad.waitUntilExit()
        #expect(output(bad).contains("events.invalid-last-event-id"), "\(output(bad))")
        // A stream still open does not hold up a graceful stop.
        let open = try stream(relay, as: bob, lastEventID: nil, seconds: 60)
        try await Task.sleep(for: .milliseconds(500))
        let stopping = ContinuousClock.now
        #expect(relay.stop(signal: SIGTERM) == 0)
        #expect(ContinuousClock.now - stopping < .seconds(10), "stopped with a stream open")
        open.waitUntilExit()
    }
}
