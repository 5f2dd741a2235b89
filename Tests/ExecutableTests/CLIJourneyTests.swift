import Foundation
import ISRCrypto
import Testing

/// The CLI as practitioners and admins use it: the real `isr` and `isr-relay` binaries, separate homes,
/// a production deployment made by `isr admin init`.
@Suite(.serialized) struct CLIJourneyTests {
    let root = NSTemporaryDirectory() + "isr-journey-" + UUID().uuidString
    let passphrase = ["ISR_PASSPHRASE": "correct horse battery staple"]

    func isr(_ arguments: [String], home: String? = nil, environment: [String: String]? = nil) throws -> ExecutableTests.Run {
        try ExecutableTests.run("isr", arguments + (home.map { ["--home", root + "/" + $0] } ?? []), environment: environment ?? passphrase)
    }

    /// A free loopback port (the kernel's choice; released just before the relay binds it).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts `isr-relay --config` and waits (≤ 60 s) for it to listen.
    func startRelay(_ config: String) throws -> Process {
        let process = Process()
        process.executableURL = try ExecutableTests.executable("isr-relay")
        process.arguments = ["--config", config]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var seen = ""
        while !seen.contains("listening on"), process.isRunning, Date() < deadline {
            seen += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        }
        try #require(seen.contains("listening on"), "isr-relay started")
        return process
    }

    func expect(_ run: ExecutableTests.Run, exit code: Int32, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == code, "\(run.stderr)\(run.stdout)", sourceLocation: sourceLocation)
        #expect((run.stdout + run.stderr).contains(text), "\(run.stderr)\(run.stdout)", sourceLocation: sourceLocation)
        if code != 0 {
            #expect(run.stderr.hasPrefix("isr: error: "), "errors are one line starting isr: error:", sourceLocation: sourceLocation)
        }
    }

    @Test func adminInitEnrolmentDirectoryAndTheirFailures() throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let port = Self.freePort()
        let policy = ExecutableTests.root.appendingPathComponent("config/policy.toml").path
        expect(try isr(["admin", "init", "--out", root + "/deployment", "--relay-host", "localhost", "--relay-host", "127.0.0.1",
                        "--port", "\(port)", "--admin", "admin@devon-la", "--policy", policy], home: "admin"),
               exit: 0, "Deployment created")
        let relay = try startRelay(root + "/deployment/relay.toml")
        defer { relay.terminate(); relay.waitUntilExit() }

        expect(try isr(["admin", "agency", "add", "school-a", "--name", "School A", "--kind", "school"], home: "admin"), exit: 0, "Registered agency school-a")
        expect(try isr(["admin", "agency", "add", "devon-csc", "--name", "Devon CSC", "--kind", "childrens-social-care"], home: "admin"), exit: 0, "devon-csc")
        let ca = root + "/deployment/ca.pem"
        let url = "https://localhost:\(port)"
        for (id, name, role) in [("alice@school-a", "Alice Smith", "practitioner"), ("dina@school-a", "Dina Patel", "dsl"),
                                 ("bob@devon-csc", "Bob Jones", "practitioner")] {
            let local = String(id.prefix { $0 != "@" })
            expect(try isr(["keygen", id, "--name", name, "--relay", url, "--ca", ca, "--out", root + "/\(local)-request.json"], home: local), exit: 0, "Give ")
            expect(try isr(["admin", "member", "add", root + "/\(local)-request.json", "--role", role, "--out", root + "/\(local)-enrol.json"], home: "admin"),
                   exit: 0, "Enrolled \(id)")
            expect(try isr(["enrol", root + "/\(local)-enrol.json"], home: local), exit: 0, "Pinned admin admin@devon-la")
        }
        expect(try isr(["admin", "role", "set", "duty@devon-csc", "--members", "bob@devon-csc"], home: "admin"), exit: 0, "duty@devon-csc now reaches bob@devon-csc")
        expect(try isr(["whoami"], home: "alice"), exit: 0, "enrolled:     yes, admin admin@devon-la pinned")

        let directory = try isr(["directory", "--json"], home: "alice")
        #expect(directory.status == 0, "\(directory.stderr)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(directory.stdout.utf8)) as? [[String: Any]])
        #expect(entries.count == 4 && entries.allSatisfy { $0["verified"] as? Bool == true }, "\(directory.stdout)")
        expect(try isr(["directory", "patel"], home: "bob"), exit: 0, "dina@school-a")
        expect(try isr(["purposes"], home: "bob"), exit: 0, "child-protection-enquiry: read-back due: within 4 hours, countersign")

        expect(try isr(["admin", "member", "revoke", "dina@school-a", "--reason", "left the school"], home: "admin"), exit: 0, "Revoked dina@school-a")
        expect(try isr(["directory", "dina"], home: "alice"), exit: 0, "revoked")
        expect(try isr(["whoami"], home: "dina"), exit: 0, "dina@school-a")
        expect(try isr(["directory"], home: "dina"), exit: 1, "has been revoked")

        // Refusals by the relay, and usage errors.
        expect(try isr(["admin", "agency", "add", "church-a", "--name", "C", "--kind", "school"], home: "alice"), exit: 1, "this is an admin operation")
        expect(try isr(["admin", "agency", "add", "church-a", "--name", "C", "--kind", "church"], home: "admin"), exit: 1, "is not one of school")
        expect(try isr(["admin", "member", "add", root + "/alice-request.json", "--role", "practitioner", "--out", root + "/again.json"], home: "admin"),
               exit: 1, "already enrolled")
        expect(try isr(["keygen", "alice", "--name", "A", "--relay", url, "--ca", ca, "--out", root + "/x.json"], home: "x"), exit: 2, "is not a member id")
        expect(try isr(["keygen", "--name", "A"], home: "x"), exit: 2, "Missing expected argument")
        expect(try isr(["directory", "--frobnicate"], home: "alice"), exit: 2, "Unknown option")

        // Local problems leave nothing half-written.
        let before = try FileManager.default.contentsOfDirectory(atPath: root + "/alice").sorted()
        let config = try String(contentsOfFile: root + "/alice/config.json", encoding: .utf8)
        expect(try isr(["directory"], home: "alice", environment: ["ISR_PASSPHRASE": "wrong"]), exit: 1, "does not unlock the identity `alice@school-a`")
        expect(try isr(["keygen", "alice@school-a", "--name", "A", "--relay", url, "--ca", ca, "--out", root + "/y.json"], home: "alice"), exit: 1, "already holds an identity")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/alice").sorted() == before)
        #expect(try String(contentsOfFile: root + "/alice/config.json", encoding: .utf8) == config)
        expect(try isr(["keygen", "carol@school-a", "--name", "C", "--relay", url, "--ca", root + "/missing.pem", "--out", root + "/c.json"], home: "carol"),
               exit: 1, "cannot read the CA certificate")
        #expect(!FileManager.default.fileExists(atPath: root + "/carol"), "no home was created")
        expect(try isr(["directory"], home: "nobody"), exit: 1, "run `isr keygen` first")
        expect(try isr(["enrol", root + "/missing.json"], home: "alice"), exit: 1, "cannot read the enrolment file")
        expect(try isr(["directory"], home: "alice", environment: [:]), exit: 1, "no passphrase")

        // An enrolment file whose directory entry was altered does not verify (exit 4), and nothing is installed.
        expect(try isr(["keygen", "erin@school-a", "--name", "Erin", "--relay", url, "--ca", ca, "--out", root + "/erin-request.json"], home: "erin"), exit: 0, "Give ")
        expect(try isr(["admin", "member", "add", root + "/erin-request.json", "--role", "practitioner", "--out", root + "/erin-enrol.json"], home: "admin"), exit: 0, "Enrolled")
        var enrolment = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/erin-enrol.json"))) as? [String: Any])
        enrolment["admin_key"] = Data(SigningKeyPair.generate().publicKey.bytes).base64EncodedString()
        try JSONSerialization.data(withJSONObject: enrolment).write(to: URL(fileURLWithPath: root + "/erin-forged.json"))
        expect(try isr(["enrol", root + "/erin-forged.json"], home: "erin"), exit: 4, "not signed by the admin key")
        #expect(!FileManager.default.fileExists(atPath: root + "/erin/certificate.pem"))

        // A relay from another deployment is not trusted (TLS fails: exit 3); an unreachable relay is exit 3 too.
        try FileManager.default.copyItem(atPath: root + "/alice", toPath: root + "/alice-elsewhere")
        expect(try isr(["admin", "init", "--out", root + "/other", "--relay-host", "localhost", "--port", "\(port)", "--admin", "admin@other",
                        "--policy", policy], home: "other-admin"), exit: 0, "Deployment created")
        try FileManager.default.removeItem(atPath: root + "/alice-elsewhere/ca.pem")
        try FileManager.default.copyItem(atPath: root + "/other/ca.pem", toPath: root + "/alice-elsewhere/ca.pem")
        expect(try isr(["directory"], home: "alice-elsewhere"), exit: 3, "cannot reach the relay")
        relay.terminate()
        relay.waitUntilExit()
        expect(try isr(["directory"], home: "alice"), exit: 3, "connection refused")
    }
}
