import Foundation
import ISRCrypto
import ISRPacket
import ISRTestSupport
import Testing

/// The CLI as practitioners and admins use it: the real `isr` and `isr-relay` binaries, separate homes,
/// a production deployment made by `isr admin init`.
@Suite(.serialized, .blocksThreads) struct CLIJourneyTests {
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
        // Output to a file, polled: no pipe or dispatch source outlives the process.
        let log = root + "/relay-\(UUID().uuidString).out"
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = try ExecutableTests.executable("isr-relay")
        process.arguments = ["--config", config]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var seen = ""
        while !seen.contains("listening on"), process.isRunning, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            seen = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
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

    /// `isr admin init`, the relay started on it, two agencies, practitioners enrolled through keygen → member add → enrol,
    /// and duty@devon-csc set to `duty`.
    func deploy(_ people: [(String, String, String)], duty: [String], drill: Bool = false,
                agencies: [(String, String, String)] = [], certificateDays: Int? = nil,
                storeURL: String? = nil) throws -> (relay: Process, port: Int, url: String, ca: String, policy: String) {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let port = Self.freePort()
        var policy = ExecutableTests.root.appendingPathComponent("config/policy.toml").path
        if drill {
            // A drill policy: child-in-need read-backs are due within 2 seconds.
            let text = try String(contentsOfFile: policy, encoding: .utf8).replacingOccurrences(of: "ack_deadline = { working_days = 3 }", with: "ack_deadline = { seconds = 2 }")
            policy = root + "/drill-policy.toml"
            try text.write(toFile: policy, atomically: true, encoding: .utf8)
        }
        expect(try isr(["admin", "init", "--out", root + "/deployment", "--relay-host", "localhost", "--relay-host", "127.0.0.1",
                        "--port", "\(port)", "--admin", "admin@devon-la", "--policy", policy], home: "admin"),
               exit: 0, "Deployment created")
        if drill {
            let config = root + "/deployment/relay.toml"
            try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "interval_seconds = 30", with: "interval_seconds = 1")
                .write(toFile: config, atomically: true, encoding: .utf8)
        }
        if let certificateDays {
            let config = root + "/deployment/relay.toml"
            try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "member_certificate_days = 365", with: "member_certificate_days = \(certificateDays)")
                .write(toFile: config, atomically: true, encoding: .utf8)
        }
        if let storeURL {
            let config = root + "/deployment/relay.toml"
            try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "[store]\n", with: "[store]\nurl = \"\(storeURL)\"\n")
                .write(toFile: config, atomically: true, encoding: .utf8)
        }
        let relay = try startRelay(root + "/deployment/relay.toml")
        expect(try isr(["admin", "agency", "add", "school-a", "--name", "School A", "--kind", "school"], home: "admin"), exit: 0, "Registered agency school-a")
        expect(try isr(["admin", "agency", "add", "devon-csc", "--name", "Devon CSC", "--kind", "childrens-social-care"], home: "admin"), exit: 0, "devon-csc")
        for (id, name, kind) in agencies {
            expect(try isr(["admin", "agency", "add", id, "--name", name, "--kind", kind], home: "admin"), exit: 0, "Registered agency \(id)")
        }
        let ca = root + "/deployment/ca.pem"
        let url = "https://localhost:\(port)"
        for (id, name, role) in people {
            let local = String(id.prefix { $0 != "@" })
            expect(try isr(["keygen", id, "--name", name, "--relay", url, "--ca", ca, "--out", root + "/\(local)-request.json"], home: local), exit: 0, "Give ")
            expect(try isr(["admin", "member", "add", root + "/\(local)-request.json", "--role", role, "--out", root + "/\(local)-enrol.json"], home: "admin"),
                   exit: 0, "Enrolled \(id)")
            expect(try isr(["enrol", root + "/\(local)-enrol.json"], home: local), exit: 0, "Pinned admin admin@devon-la")
        }
        expect(try isr(["admin", "role", "set", "duty@devon-csc", "--members", duty.joined(separator: ",")], home: "admin"), exit: 0, "duty@devon-csc now reaches")
        return (relay, port, url, ca, policy)
    }

    @Test func adminInitEnrolmentDirectoryAndTheirFailures() throws {
        let (relay, port, url, ca, policy) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("dina@school-a", "Dina Patel", "dsl"),
                                                         ("bob@devon-csc", "Bob Jones", "practitioner")], duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        expect(try isr(["whoami"], home: "alice"), exit: 0, "enrolled:     yes, admin admin@devon-la pinned")

        let directory = try isr(["directory", "--json"], home: "alice")
        #expect(directory.status == 0, "\(directory.stderr)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(directory.stdout.utf8)) as? [[String: Any]])
        #expect(entries.count == 4 && entries.allSatisfy { $0["verified"] as? Bool == true }, "\(directory.stdout)")
        expect(try isr(["directory", "patel"], home: "bob"), exit: 0, "dina@school-a")
        expect(try isr(["purposes"], home: "bob"), exit: 0, "child-protection-enquiry: read-back due: within 4 hours, countersign")

        expect(try isr(["admin", "member", "revoke", "dina@school-a", "--reason", "left the school"], home: "admin"), exit: 0, "Revoked dina@school-a")
        expect(try isr(["directory", "dina"], home: "alice"), exit: 0, "revoked")
        // The reason is for admins (the log binds it by its SHA-256 only); a practitioner is refused.
        expect(try isr(["admin", "member", "revocations"], home: "admin"), exit: 0, "left the school")
        expect(try isr(["admin", "member", "revocations"], home: "alice"), exit: 1, "revocation reasons are for admins")
        expect(try isr(["whoami"], home: "dina"), exit: 0, "dina@school-a")
        expect(try isr(["directory"], home: "dina"), exit: 1, "has been revoked")

        // Refusals by the relay, and usage errors.
        expect(try isr(["admin", "agency", "add", "church-a", "--name", "C", "--kind", "school"], home: "alice"), exit: 1, "this is a deployment admin operation")
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

    /// Runs `isr ARGS` on a real pseudo-terminal (util-linux `script`), typing `input`; bounded like every run.
    func isrOnTerminal(_ arguments: [String], home: String, input: String) throws -> ExecutableTests.Run {
        let command = ([try ExecutableTests.executable("isr").path] + arguments + ["--home", root + "/" + home]).map { "'\($0)'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, "/dev/null"]
        process.environment = passphrase.merging(["PATH": "/usr/bin:/bin", "TERM": "dumb"]) { a, _ in a }
        let stdin = Pipe(), out = Pipe()
        process.standardInput = stdin
        process.standardOutput = out
        process.standardError = out
        try process.run()
        try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))  // EPIPE if it exited early: its output says why
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate(); Issue.record("guided send did not finish within 60 s") }
        try stdin.fileHandleForWriting.close()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).replacingOccurrences(of: "\r", with: "")
        process.waitUntilExit()
        return ExecutableTests.Run(status: process.terminationStatus, stdout: text, stderr: "")
    }

    /// The JSON a command printed.
    func json(_ run: ExecutableTests.Run) throws -> [String: Any] {
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)")
    }

    func inboxIDs(_ home: String) throws -> [String] {
        let run = try isr(["inbox", "--json"], home: home)
        #expect(run.status == 0, "\(run.stderr)")
        return (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    @Test func sendReadAcknowledgeConfirmAndEveryOtherStepThroughTheCLI() throws {
        let (relay, _, _, _, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("dina@school-a", "Dina Patel", "dsl"),
                                              ("bob@devon-csc", "Bob Jones", "practitioner"), ("carol@devon-csc", "Carol White", "practitioner")],
                                             duty: ["bob@devon-csc", "carol@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        let share = ["--purpose", "child-in-need", "--basis", "public-task", "--condition", "safeguarding", "--consent", "refused",
                     "--consent-reason", "Mother refused on 17 November; risk of significant harm (neglect); agreed with the DSL",
                     "--informed", "no", "--informed-reason", "Telling the family could increase the risk",
                     "--statement", "Child-in-need assessment: attendance and presentation", "--fact", "Attendance 62% this term",
                     "--opinion", "Increasingly withdrawn", "--reported", "Says there is no food at weekends", "--source", "class teacher",
                     "--field", "name=Sam Example", "--field", "date_of_birth=2015-03-12", "--subject-ref", "CASE-7", "--yes"]

        // Share with consent refused and the override recorded → read → ack → confirm.
        let sent = try json(try isr(["send", "--to", "bob@devon-csc"] + share + ["--json"], home: "alice"))
        let id = try #require(sent["id"] as? String)
        #expect(sent["state"] as? String == "accepted")
        #expect(try inboxIDs("bob") == [id])
        let read = try isr(["read", id], home: "bob")
        expect(read, exit: 0, "[FACT] Attendance 62% this term  — class teacher")
        #expect(read.stdout.contains("[OPINION] Increasingly withdrawn") && read.stdout.contains("[REPORTED] Says there is no food at weekends"))
        #expect(read.stdout.contains("consent: Mother refused") && read.stdout.contains("subject informed: no — Telling the family"))
        expect(try isr(["ack", id, "--understood", "Attendance 62% is fact; withdrawn is the teacher's opinion; food at weekends reported", "--concern", "medium"],
                       home: "bob"), exit: 0, "Read-back")
        // Before confirming, the sender sees what was understood beside what was sent; without a terminal, --yes is needed.
        let unconfirmed = try json(try isr(["status", id, "--json"], home: "alice"))
        let understood = try #require(unconfirmed["understood"] as? [[String: Any]])
        #expect(understood.first?["statement"] as? String == "Attendance 62% is fact; withdrawn is the teacher's opinion; food at weekends reported")
        #expect(understood.first?["concern"] as? String == "medium" && understood.first?["member"] as? String == "bob@devon-csc")
        expect(try isr(["confirm", id], home: "alice"), exit: 2, "confirm with --yes")
        let confirmed = try isr(["confirm", id, "--yes"], home: "alice")
        expect(confirmed, exit: 0, "Confirmed \(id)")
        #expect(confirmed.stdout.contains("bob@devon-csc (for bob@devon-csc) read back:") && confirmed.stdout.contains("concern:    medium")
                && confirmed.stdout.contains("1. [FACT] Attendance 62% this term"), "the read-back is shown beside what was sent: \(confirmed.stdout)")
        let status = try json(try isr(["status", id, "--json"], home: "alice"))
        #expect((status["history"] as? [[String: Any]])?.compactMap { $0["state"] as? String } == ["accepted", "delivered", "read", "acknowledged", "confirmed"])
        #expect((status["recipients"] as? [[String: Any]])?.map { "\($0["member"] ?? "")=\($0["state"] ?? "")" } == ["bob@devon-csc=confirmed"])
        expect(try isr(["confirm", id, "--yes"], home: "alice"), exit: 1, "no read-back is waiting for you")

        // A correction goes to everyone who received the share; the recipient answers with an outcome.
        let correction = try #require(try json(try isr(["correct", id] + share.dropFirst(2).map { $0 == "Attendance 62% this term" ? "Attendance 58% this term" : $0 } + ["--json"],
                                                       home: "alice"))["id"] as? String)
        expect(try isr(["read", correction], home: "bob"), exit: 0, "Attendance 58% this term")
        expect(try isr(["correct", id] + share.dropFirst(2), home: "bob"), exit: 1, "only the sender")
        let outcome = try #require(try json(try isr(["outcome", id, "--statement", "A child-in-need assessment has started", "--basis", "public-task", "--condition", "safeguarding", "--json"],
                                                    home: "bob"))["id"] as? String)
        expect(try isr(["read", outcome], home: "alice"), exit: 0, "A child-in-need assessment has started")
        let record = try isr(["audit", "show", id], home: "alice")
        expect(record, exit: 0, "sent share \(id)")
        #expect(record.stdout.contains("sent confirm") && record.stdout.contains("sent correction") && record.stdout.contains("received outcome"), "\(record.stdout)")

        // Clarification → a second read-back.
        let second = try #require(try json(try isr(["send", "--to", "bob@devon-csc"] + share + ["--json"], home: "alice"))["id"] as? String)
        expect(try isr(["read", second], home: "bob"), exit: 0, "verified")
        expect(try isr(["ack", second, "--understood", "Attendance is fine", "--concern", "low"], home: "bob"), exit: 0, "Read-back")
        expect(try isr(["clarify", second, "--note", "Attendance is 62%, well below expected; please read again"], home: "alice"), exit: 0, "new read-back is due")
        expect(try isr(["ack", second, "--understood", "Attendance 62%, well below expected", "--concern", "medium"], home: "bob"), exit: 0, "Read-back")
        expect(try isr(["confirm", second, "--yes"], home: "alice"), exit: 0, "Confirmed")
        expect(try isr(["status", second], home: "alice"), exit: 0, "clarification-requested")

        // Request → decline: the requester sees the reasons.
        let request = try #require(try json(try isr(["request", "--to", "alice@school-a", "--purpose", "child-in-need", "--basis", "public-task", "--condition", "safeguarding",
                                                     "--ask", "What does the school know about attendance?", "--json"], home: "bob"))["id"] as? String)
        expect(try isr(["read", request], home: "alice"), exit: 0, "What does the school know")
        expect(try isr(["decline", request, "--reason", "The family already shared the attendance record with you"], home: "alice"), exit: 0, "Declined")
        expect(try isr(["status", request], home: "bob"), exit: 0, "declined")
        let decline = try #require(try inboxIDs("bob").first)
        expect(try isr(["read", decline], home: "bob"), exit: 0, "The family already shared the attendance record")

        // An anonymous consultation with an NHS number is refused before anything leaves the machine.
        let before = try inboxIDs("bob").count
        expect(try isr(["send", "--to", "bob@devon-csc", "--purpose", "anonymous-consultation",
                        "--statement", "Advice please", "--reported", "Pupil 943 476 5919 is left alone at night", "--source", "teaching assistant",
                        "--field", "concern_category=neglect", "--yes"], home: "alice"), exit: 1, "looks like an NHS number")
        // Without the identifier it goes, with no lawful basis or consent position: no one is identified.
        let consultation = try json(try isr(["send", "--to", "bob@devon-csc", "--purpose", "anonymous-consultation", "--statement", "Advice please",
                                             "--reported", "A Year 5 pupil is left alone at night", "--source", "teaching assistant",
                                             "--field", "concern_category=neglect", "--yes", "--json"], home: "alice"))
        #expect(consultation["kind"] as? String == "consultation")
        // Not seeking consent needs a reason, on the flags path too; and nobody can address themselves.
        expect(try isr(["send", "--to", "bob@devon-csc"] + share.map { $0 == "refused" ? "not-sought" : $0 }.filter { !$0.hasPrefix("Mother refused") && $0 != "--consent-reason" },
                       home: "alice"), exit: 2, "--consent-reason")
        expect(try isr(["send", "--to", "alice@school-a,bob@devon-csc"] + share, home: "alice"), exit: 1, "remove yourself from the recipients")
        #expect(try inboxIDs("bob").count == before + 1)

        // A role address reaches both members; one acknowledges, and the record names who.
        let toDuty = try #require(try json(try isr(["send", "--to", "duty@devon-csc"] + share + ["--json"], home: "alice"))["id"] as? String)
        let (carolInbox, bobInbox) = (try inboxIDs("carol"), try inboxIDs("bob"))
        #expect(carolInbox.contains(toDuty) && bobInbox.contains(toDuty))
        expect(try isr(["read", toDuty], home: "carol"), exit: 0, "verified")
        expect(try isr(["ack", toDuty, "--understood", "Attendance and withdrawal concerns", "--concern", "medium"], home: "carol"), exit: 0, "Read-back")
        let dutyStatus = try isr(["status", toDuty], home: "alice")
        expect(dutyStatus, exit: 0, "acknowledged")
        #expect(dutyStatus.stdout.split(separator: "\n").contains { $0.contains(" acknowledged ") && $0.hasSuffix("carol@devon-csc") }, "\(dutyStatus.stdout)")

        // A child protection enquiry is held until the DSL countersigns.
        let enquiry = try json(try isr(["send", "--to", "bob@devon-csc", "--purpose", "child-protection-enquiry", "--basis", "statutory-duty", "--condition", "safeguarding", "--consent", "not-sought",
                                        "--consent-reason", "Seeking consent could put the child at risk", "--informed", "no", "--informed-reason", "Risk of harm",
                                        "--statement", "Section 47 enquiry", "--fact", "Bruising seen on both arms", "--source", "class teacher",
                                        "--field", "name=Sam Example", "--field", "date_of_birth=2015-03-12", "--field", "concern_category=physical",
                                        "--yes", "--json"], home: "alice"))
        let held = try #require(enquiry["id"] as? String)
        #expect(enquiry["state"] as? String == "held")
        #expect(!(try inboxIDs("bob").contains(held)))
        expect(try isr(["countersign", held], home: "alice"), exit: 1, "a countersignature must come from a second person")
        let dinaInbox = try isr(["inbox"], home: "dina")
        #expect(dinaInbox.stdout.contains(held) && dinaInbox.stdout.contains("awaiting-countersignature"), "the DSL finds it in their inbox: \(dinaInbox.stdout)")
        expect(try isr(["read", held], home: "dina"), exit: 0, "You hold this to countersign: release it with isr countersign \(held)")
        let countersigned = try isr(["countersign", held, "--yes"], home: "dina")
        expect(countersigned, exit: 0, "Countersigned")
        #expect(countersigned.stdout.contains("1. [FACT] Bruising seen on both arms"), "the DSL read what they released: \(countersigned.stdout)")
        #expect(try inboxIDs("bob").contains(held))
        // Another enquiry, returned by the DSL with reasons: it never reaches bob, and alice sees why.
        let returnedID = try #require(try json(try isr(["send", "--to", "bob@devon-csc", "--purpose", "child-protection-enquiry", "--basis", "statutory-duty", "--condition", "safeguarding",
                                                        "--consent", "not-sought", "--consent-reason", "Seeking consent could put the child at risk",
                                                        "--informed", "no", "--informed-reason", "Risk of harm", "--statement", "Section 47 enquiry",
                                                        "--fact", "A bruise", "--source", "class teacher", "--field", "name=Sam Example",
                                                        "--field", "date_of_birth=2015-03-12", "--field", "concern_category=physical", "--yes", "--json"],
                                                       home: "alice"))["id"] as? String)
        expect(try isr(["countersign", returnedID, "--return"], home: "dina"), exit: 2, "--return needs --reason")
        expect(try isr(["countersign", returnedID, "--return", "--reason", "One bruise does not meet the s.47 threshold: consult the MASH first"], home: "dina"),
               exit: 0, "Returned")
        expect(try isr(["status", returnedID], home: "alice"), exit: 0, "RETURNED by the countersigner: One bruise does not meet the s.47 threshold")
        #expect(!(try inboxIDs("bob").contains(returnedID)))

        // A decision not to share is recorded; a packet nobody fetched can be withdrawn.
        expect(try isr(["decide", "--not-share", "--purpose", "early-help", "--reason", "The family is already working with early help"], home: "alice"),
               exit: 0, "Decision not to share recorded")
        expect(try isr(["decide", "--shared-outside", "--method", "phone", "--with", "Pat Lee, Devon CSC", "--purpose", "child-in-need",
                        "--reason", "Called the duty social worker because the child was distressed"], home: "alice"), exit: 0, "Share outside ISR recorded")
        expect(try isr(["decide", "--shared-outside", "--purpose", "child-in-need", "--reason", "x"], home: "alice"), exit: 2, "--shared-outside needs --method")
        expect(try isr(["decide", "--not-share", "--shared-outside", "--purpose", "child-in-need", "--reason", "x"], home: "alice"), exit: 2, "exactly one of")
        let withdrawn = try #require(try json(try isr(["send", "--to", "bob@devon-csc"] + share + ["--json"], home: "alice"))["id"] as? String)
        expect(try isr(["withdraw", withdrawn], home: "alice"), exit: 0, "Withdrew")
        #expect(!(try inboxIDs("bob").contains(withdrawn)))

        // Without a terminal, everything missing is listed at once; the recipients must be confirmed with --yes.
        let missing = try isr(["send", "--to", "bob@devon-csc"], home: "alice")
        expect(missing, exit: 2, "missing: --purpose")
        #expect(missing.stderr.contains("--consent") && missing.stderr.contains("--statement") && missing.stderr.contains("--fact"))
        expect(try isr(["send", "--to", "bob@devon-csc"] + share.dropLast(), home: "alice"), exit: 2, "confirm the recipients with --yes")
        expect(try isr(["send", "--to", "nobody@devon-csc"] + share, home: "alice"), exit: 1, "neither a member nor a role address")
        expect(try isr(["status", "--overdue"], home: "alice"), exit: 0, "Nothing you sent is overdue")

        // The same share from a file; a misspelt key is refused rather than ignored.
        try """
            to = ["bob@devon-csc"]
            purpose = "child-in-need"
            basis = "public-task"
            condition = "safeguarding"
            consent = "given"
            consent_reason = "Mother agreed on 18 November"
            informed = "yes"
            statement = "Child-in-need assessment"
            facts = ["Attendance 62% this term"]
            opinions = ["Increasingly withdrawn"]
            source = "class teacher"
            subject_ref = "CASE-7"
            [fields]
            name = "Sam Example"
            date_of_birth = "2015-03-12"
            """.write(toFile: root + "/share.toml", atomically: true, encoding: .utf8)
        let fromFile = try #require(try json(try isr(["send", "--file", root + "/share.toml", "--yes", "--json"], home: "alice"))["id"] as? String)
        expect(try isr(["read", fromFile], home: "bob"), exit: 0, "[OPINION] Increasingly withdrawn")
        try (try String(contentsOfFile: root + "/share.toml", encoding: .utf8).replacingOccurrences(of: "consent_reason", with: "consent_reson"))
            .write(toFile: root + "/typo.toml", atomically: true, encoding: .utf8)
        expect(try isr(["send", "--file", root + "/typo.toml", "--yes"], home: "alice"), exit: 2, "unknown key(s) consent_reson")

        // On a terminal, send asks the guidance's questions in order, shows the summary and asks before sending.
        let answers = ["child-in-need", "public-task", "safeguarding", "refused", "Mother refused; risk of significant harm", "Sam Example", "2015-03-12", "no",
                       "Telling the family could increase the risk", "Assessment of needs", "fact: Attendance 62% this term", "opinion: Withdrawn", "",
                       "class teacher"].joined(separator: "\n") + "\n"
        let beforeGuided = try inboxIDs("bob").count
        let declined = try isrOnTerminal(["send", "--to", "bob@devon-csc"], home: "alice", input: answers + "n\n")
        #expect(declined.status == 1 && declined.stdout.contains("not sent"), "\(declined.stdout)")
        #expect(try inboxIDs("bob").count == beforeGuided, "nothing was sent")
        let guided = try isrOnTerminal(["send", "--to", "bob@devon-csc"], home: "alice", input: answers + "y\n")
        #expect(guided.status == 0, "\(guided.stdout)")
        for question in ["What is the legitimate purpose", "Which lawful basis", "Which condition", "Is there consent", "Why is it right to share without consent",
                         "Child's full name", "Has the child or family been told", "Why not", "Why does the recipient need this",
                         "fact:, opinion: or reported:", "Who saw, judged or reported", "Sealed for these verified recipients", "Send? [y/N]", "Sent "] {
            #expect(guided.stdout.contains(question), "asked: \(question)")
        }
        let order = ["What is the legitimate purpose", "Is there consent", "Has the child or family been told", "Why does the recipient need this", "Send? [y/N]"]
            .compactMap { guided.stdout.range(of: $0)?.lowerBound }
        #expect(order == order.sorted() && order.count == 5, "the questions come in the guidance's order")
        #expect(try inboxIDs("bob").count == beforeGuided + 1)

        // The local record answers without the relay.
        relay.terminate()
        relay.waitUntilExit()
        expect(try isr(["audit", "show", id], home: "bob"), exit: 0, "received share \(id)")
        let offline = try isr(["status", id], home: "bob")
        #expect(offline.status == 0 && offline.stdout.contains("received share \(id)") && offline.stderr.contains("showing your local record"), "\(offline.stderr)")
        expect(try isr(["status", PacketID.random().hex], home: "bob"), exit: 3, "cannot reach the relay")
    }

    @Test func overdueEscalationAndAuditVerificationThatCatchesATamperedDatabase() throws {
        let (relay, _, _, _, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner")],
                                             duty: ["bob@devon-csc"], drill: true)
        defer { if relay.isRunning { relay.terminate(); relay.waitUntilExit() } }
        let sent = try json(try isr(["send", "--to", "bob@devon-csc", "--purpose", "child-in-need", "--basis", "public-task", "--condition", "safeguarding", "--consent", "given",
                                     "--consent-reason", "Mother agreed on 18 Nov", "--informed", "yes", "--statement", "Assessment of needs",
                                     "--fact", "Attendance 62%", "--source", "register", "--field", "name=Sam Example", "--field", "date_of_birth=2015-03-12",
                                     "--yes", "--json"], home: "alice"))
        let id = try #require(sent["id"] as? String)
        // The deadline is 2 s and the relay escalates every second: wait (bounded) until it recorded the escalation.
        var history = ""
        for _ in 0..<40 where !history.contains("overdue") {
            Thread.sleep(forTimeInterval: 0.25)
            history = try isr(["status", id], home: "alice").stdout
        }
        #expect(history.split(separator: "\n").contains { $0.contains(" overdue ") && $0.hasSuffix("relay") }, "\(history)")
        let overdue = try isr(["status", "--overdue"], home: "alice").stdout
        #expect(overdue.contains(id) && overdue.contains("OVERDUE"), "\(overdue)")

        expect(try isr(["audit", "verify"], home: "bob"), exit: 0, "First verification from this home")
        expect(try isr(["read", id], home: "bob"), exit: 0, "verified")
        expect(try isr(["audit", "verify"], home: "bob"), exit: 0, "Consistent with the checkpoint of size")

        expect(try isr(["audit", "verify"], home: "admin"), exit: 0, "leaves hash to the root the relay signed")
        // Stop the relay, change one byte of the audit leaf that recorded the share to bob, start it again.
        relay.terminate()
        relay.waitUntilExit()
        let database = root + "/deployment/data/relay.sqlite"
        let tamper = Process()
        tamper.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        tamper.arguments = ["-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            index = db.execute("SELECT leaf_index FROM packets WHERE id = ?", (bytes.fromhex(sys.argv[2]),)).fetchone()[0]
            data = bytearray(db.execute("SELECT data FROM audit_leaves WHERE leaf_index = ?", (index,)).fetchone()[0])
            data[-1] ^= 1
            db.execute("UPDATE audit_leaves SET data = ? WHERE leaf_index = ?", (bytes(data), index))
            db.commit()
            """, database, id]
        try tamper.run()
        tamper.waitUntilExit()
        #expect(tamper.terminationStatus == 0)
        let restarted = try startRelay(root + "/deployment/relay.toml")
        defer { restarted.terminate(); restarted.waitUntilExit() }
        // Bob proves his own events (the whole log is for admins); the admin re-hashes every leaf. Both catch it.
        expect(try isr(["audit", "verify"], home: "bob"), exit: 4, "altered")
        expect(try isr(["audit", "verify"], home: "admin"), exit: 4, "altered")
    }

    @Test func isrBenchDrivesARunningRelayWithAnAdminHome() throws {
        let (relay, _, url, _, _) = try deploy([("bob@devon-csc", "Bob Jones", "practitioner")], duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        // Twice: the second run finds its agencies registered and enrols new synthetic members beside the first run's.
        for _ in 0..<2 {
            let run = try ExecutableTests.run("isr-bench", ["--relay", url, "--home", root + "/admin", "--relay-pid", "\(relay.processIdentifier)",
                                                            "--connections", "2", "--packets", "6", "--json"], environment: passphrase)
            #expect(run.status == 0, "\(run.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)")
            let phases = try #require(report["phases"] as? [[String: Any]])
            #expect(phases.map { $0["name"] as? String } == ["accept", "inbox", "deliver", "read-back", "confirm"])
            #expect(phases.allSatisfy { $0["errors"] as? Int == 0 && $0["relayCPUSeconds"] != nil }, "\(phases)")
        }
        let wrong = try ExecutableTests.run("isr-bench", ["--relay", url, "--home", root + "/admin", "--packets", "2"], environment: ["ISR_PASSPHRASE": "wrong"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.hasPrefix("isr-bench: error: "), "\(wrong.stderr)")
    }

    /// The lifecycle across four agency kinds through the real binaries: Operation Encompass from the police to a school
    /// DSL, read back and confirmed; a health assessment from a school to health; a child-in-need share to a school and a
    /// health visitor who both read back; a police request answered by the school and declined by health.
    @Test func aJourneyAcrossSchoolSocialCarePoliceAndHealth() throws {
        let (relay, _, _, _, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("dina@school-a", "Dina Patel", "dsl"),
                                              ("bob@devon-csc", "Bob Jones", "practitioner"), ("pete@devon-police", "Pete Shaw", "practitioner"),
                                              ("hana@nhs-devon", "Hana Ali", "practitioner")],
                                             duty: ["bob@devon-csc"],
                                             agencies: [("devon-police", "Devon and Cornwall Police", "police"), ("nhs-devon", "NHS Devon", "health")])
        defer { relay.terminate(); relay.waitUntilExit() }
        func sent(_ arguments: [String], home: String) throws -> String {
            let confirm = arguments.first == "send" ? ["--yes"] : []
            return try #require(try json(try isr(arguments + confirm + ["--json"], home: home))["id"] as? String)
        }
        let withoutConsent = ["--consent", "not-sought", "--consent-reason", "Telling the parents could put the child at risk",
                              "--informed", "no", "--informed-reason", "It could increase the risk of harm", "--source", "attending officer"]

        // Police → school DSL: Operation Encompass. The DSL reads it back; the police see it and confirm.
        let encompass = try sent(["send", "--to", "dina@school-a", "--purpose", "domestic-abuse-notification", "--basis", "public-task",
                                  "--statement", "Operation Encompass notification", "--fact", "Police attended a domestic incident at the home last night",
                                  "--field", "name=Sam Example", "--field", "incident_datetime=2026-11-21 23:10", "--field", "child_present=yes"] + withoutConsent,
                                 home: "pete")
        expect(try isr(["read", encompass], home: "dina"), exit: 0, "Police attended a domestic incident")
        expect(try isr(["ack", encompass, "--understood", "Sam was present at a domestic incident last night; a trusted adult will check in this morning",
                        "--concern", "high"], home: "dina"), exit: 0, "Read-back")
        let police = try isr(["confirm", encompass, "--yes"], home: "pete")
        expect(police, exit: 0, "Confirmed \(encompass)")
        #expect(police.stdout.contains("understood: Sam was present at a domestic incident last night"), "\(police.stdout)")

        // School → health: a health assessment, read back by the health professional.
        let assessment = try sent(["send", "--to", "hana@nhs-devon", "--purpose", "health-assessment", "--basis", "public-task", "--condition", "health-care", "--consent", "given",
                                   "--informed", "yes", "--statement", "Concern about weight loss", "--fact", "Lost weight over the term", "--source", "school nurse",
                                   "--field", "name=Sam Example", "--field", "date_of_birth=2015-03-12", "--field", "nhs_number=9434765919"], home: "alice")
        expect(try isr(["read", assessment], home: "hana"), exit: 0, "Lost weight over the term")
        expect(try isr(["ack", assessment, "--understood", "Weight loss this term; assessment requested", "--concern", "medium"], home: "hana"), exit: 0, "Read-back")
        expect(try isr(["confirm", assessment, "--yes"], home: "alice"), exit: 0, "Confirmed")

        // A child in immediate danger: the school's enquiry is released at once; the DSL countersigns afterwards.
        let enquiry = ["send", "--to", "bob@devon-csc", "--purpose", "child-protection-enquiry", "--basis", "statutory-duty", "--condition", "safeguarding",
                       "--statement", "Section 47 enquiry", "--fact", "Says she will be taken abroad tonight", "--field", "name=Sam Example",
                       "--field", "date_of_birth=2015-03-12", "--field", "concern_category=physical"] + withoutConsent
        expect(try isr(enquiry + ["--emergency", "--yes"], home: "alice"), exit: 2, "--emergency and --emergency-reason go together")
        let urgent = try sent(enquiry + ["--emergency", "--emergency-reason", "Flight tonight; the DSL is in a meeting"], home: "alice")
        expect(try isr(["read", urgent], home: "bob"), exit: 0, "Says she will be taken abroad tonight")
        let dsl = try isr(["inbox"], home: "dina")
        #expect(dsl.stdout.contains(urgent) && dsl.stdout.contains("awaiting-countersignature (emergency)"), "\(dsl.stdout)")
        expect(try isr(["countersign", urgent, "--yes"], home: "dina"), exit: 0, "Countersigned")
        expect(try isr(["status", urgent], home: "alice"), exit: 0, "EMERGENCY RELEASE: Flight tonight; the DSL is in a meeting")

        // Children's social care → a school and a health professional: both read back, one `confirm` confirms both.
        let both = try sent(["send", "--to", "alice@school-a,hana@nhs-devon", "--purpose", "child-in-need", "--basis", "public-task", "--condition", "safeguarding", "--consent", "given",
                             "--informed", "yes", "--statement", "Child in need plan", "--fact", "A child-in-need plan is in place", "--source", "social worker",
                             "--field", "name=Sam Example", "--field", "date_of_birth=2015-03-12"], home: "bob")
        for home in ["alice", "hana"] {
            expect(try isr(["read", both], home: home), exit: 0, "A child-in-need plan is in place")
            expect(try isr(["ack", both, "--understood", "There is a child-in-need plan", "--concern", "medium"], home: home), exit: 0, "Read-back")
        }
        expect(try isr(["ack", both, "--understood", "again", "--concern", "low"], home: "hana"), exit: 1, "acknowledged")
        let waiting = try isr(["status", both], home: "bob")
        #expect(waiting.stdout.contains("alice@school-a") && waiting.stdout.contains("hana@nhs-devon") && waiting.stdout.contains("understood: There is a child-in-need plan"),
                "\(waiting.stdout)")
        let confirmations = try isr(["confirm", both, "--yes", "--json"], home: "bob")
        let confirmed = try JSONSerialization.jsonObject(with: Data(confirmations.stdout.utf8)) as? [[String: Any]]
        #expect(confirmations.status == 0 && confirmed?.count == 2, "\(confirmations.stderr)")
        let states = try json(try isr(["status", both, "--json"], home: "bob"))["recipients"] as? [[String: Any]]
        #expect(states?.compactMap { $0["state"] as? String } == ["confirmed", "confirmed"])

        // Police → a request to the school and health: the school answers with a share (back to the police, whom the purpose's
        // recipient kinds do not list: a reply goes to the other party), health declines with reasons.
        let request = try sent(["request", "--to", "alice@school-a,hana@nhs-devon", "--purpose", "child-in-need", "--basis", "public-task", "--condition", "safeguarding",
                                "--ask", "What do you know about Sam's attendance and health?"], home: "pete")
        for home in ["alice", "hana"] { expect(try isr(["read", request], home: home), exit: 0, "What do you know") }
        _ = try sent(["send", "--to", "pete@devon-police", "--reply-to", request, "--purpose", "child-in-need", "--basis", "public-task", "--condition", "safeguarding", "--consent", "given",
                      "--informed", "yes", "--statement", "Answer to your request", "--fact", "Attendance 62% this term", "--source", "register",
                      "--field", "name=Sam Example", "--field", "date_of_birth=2015-03-12"], home: "alice")
        expect(try isr(["decline", request, "--reason", "No health records held for this child"], home: "hana"), exit: 0, "Declined")
        let answers = try json(try isr(["status", request, "--json"], home: "pete"))["recipients"] as? [[String: Any]]
        #expect(answers?.map { "\($0["member"] ?? "")=\($0["state"] ?? "")" } == ["alice@school-a=answered", "hana@nhs-devon=declined"])
        expect(try isr(["notices"], home: "pete"), exit: 0, "No escalation notices for you")
        expect(try isr(["audit", "verify"], home: "hana"), exit: 0, "Audit log verified")
    }
}
