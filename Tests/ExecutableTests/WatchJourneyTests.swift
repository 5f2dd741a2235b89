import Foundation
import Testing

/// `isr watch` against the real relay: an event for a new packet arrives within a second of the send, carrying no
/// content, and the sender sees the read-back arrive.
extension CLIJourneyTests {
    /// Starts `isr ARGUMENTS --home ROOT/HOME` in the background with stdout going to a file the caller polls.
    func background(_ arguments: [String], home: String) throws -> (Process, String) {
        let out = root + "/\(home)-\(UUID().uuidString).out"
        FileManager.default.createFile(atPath: out, contents: nil)
        let process = Process()
        process.executableURL = try ExecutableTests.executable("isr")
        process.arguments = arguments + ["--home", root + "/" + home]
        process.environment = ProcessInfo.processInfo.environment.merging(passphrase) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, out)
    }

    /// The lines written to `file` so far.
    func lines(_ file: String) -> [String] {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func watchShowsANewPacketWithinASecondAndTheReadBackToItsSender() throws {
        let (relay, _, _, _, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner")],
                                             duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        let (bobWatch, bobOut) = try background(["watch", "--count", "1", "--json", "--for", "60s"], home: "bob")
        let (aliceWatch, aliceOut) = try background(["watch", "--count", "1", "--for", "60s"], home: "alice")
        defer { for process in [bobWatch, aliceWatch] where process.isRunning { process.terminate() } }
        Thread.sleep(forTimeInterval: 2)  // both have unlocked their keys and connected
        let id = try #require(try json(try isr(["send"] + share, home: "alice"))["id"] as? String)
        let sent = Date()
        while lines(bobOut).isEmpty, Date().timeIntervalSince(sent) < 5 { Thread.sleep(forTimeInterval: 0.02) }
        #expect(Date().timeIntervalSince(sent) < 1, "bob's event arrived within a second of the send")
        let line = try #require(lines(bobOut).first)
        let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(event["kind"] as? String == "new-packet" && event["packet"] as? String == id && event["purpose"] as? String == "child-in-need")
        bobWatch.waitUntilExit()
        #expect(bobWatch.terminationStatus == 0)
        for secret in ["CASE-7", "Sam Example", "Attendance", "Alice Smith"] { #expect(!lines(bobOut).joined().contains(secret), "\(secret) leaked") }

        expect(try isr(["read", id], home: "bob"), exit: 0, "Attendance 62% this term")
        expect(try isr(["ack", id, "--understood", "Attendance 62%", "--concern", "low"], home: "bob"), exit: 0, "Read-back")
        let acked = Date()
        while lines(aliceOut).isEmpty, Date().timeIntervalSince(acked) < 5 { Thread.sleep(forTimeInterval: 0.02) }
        #expect(lines(aliceOut).first?.contains("read-back received  \(id)") == true, "\(lines(aliceOut))")
        aliceWatch.waitUntilExit()
    }
}
