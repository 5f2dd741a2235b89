import Foundation
import ISRCrypto
import Synchronization
import Testing

/// Identities through the real `isr` and `isr-relay`: fingerprints computed from keys, a whole staff list enrolled by
/// invitation, codes that work once, guessing throttled, and the admin commands for what the API already did.
extension CLIJourneyTests {
    /// Runs `body` for 0..<count on the machine's cores and returns the results in order.
    func parallel<T: Sendable>(_ count: Int, _ body: @Sendable (Int) throws -> T) throws -> [T] {
        let results = Mutex<[Int: Result<T, any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: count) { index in
            let result = Result { try body(index) }
            results.withLock { $0[index] = result }
        }
        return try (0..<count).map { index in try results.withLock { try #require($0[index]) }.get() }
    }

    @Test func aTamperedRequestFileIsRefusedAndTheFingerprintIsComputedFromTheKeys() throws {
        let (relay, _, url, ca, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner")],
                                                duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        let made = try isr(["keygen", "erin@school-a", "--name", "Erin", "--relay", url, "--ca", ca, "--out", root + "/erin-request.json", "--json"], home: "erin")
        let fingerprint = try #require(try json(made)["fingerprint"] as? String)
        #expect(fingerprint.split(separator: " ").count == 12 && fingerprint.split(separator: " ").allSatisfy { $0.count == 5 && $0.allSatisfy(\.isNumber) })
        expect(try isr(["keygen", "mallory@school-a", "--name", "M", "--relay", url, "--ca", ca, "--out", root + "/mallory-request.json"], home: "mallory"),
               exit: 0, "Give ")
        let erin = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/erin-request.json"))) as? [String: Any])
        let mallory = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/mallory-request.json"))) as? [String: Any])
        func tampered(_ name: String, _ change: (inout [String: Any]) -> Void) throws -> String {
            var request = erin
            change(&request)
            let path = root + "/\(name).json"
            try JSONSerialization.data(withJSONObject: request).write(to: URL(fileURLWithPath: path))
            return path
        }
        // Mallory's keys under Erin's id and fingerprint; Mallory's CSR with Erin's keys; an old file without a proof.
        let swapped = try tampered("swapped") { request in
            for key in ["signing_key", "encryption_key", "proof"] { request[key] = mallory[key] }
        }
        let csr = try tampered("csr") { $0["certificate_request"] = mallory["certificate_request"] }
        let old = try tampered("old") { $0["format"] = "isr-certificate-request/v1"; $0["proof"] = nil }
        for (path, words) in [(swapped, "altered in transit"), (csr, "is for mallory@school-a, not erin@school-a"), (old, "run `isr keygen` again")] {
            let run = try isr(["admin", "member", "add", path, "--role", "practitioner", "--out", root + "/x.json"], home: "admin")
            #expect(run.status != 0 && run.stderr.contains(words), "\(path): \(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/x.json"))
        // The untouched file enrols, and the admin is shown the fingerprint Erin's keygen showed; directory and whoami agree.
        expect(try isr(["admin", "member", "add", root + "/erin-request.json", "--role", "practitioner", "--out", root + "/erin-enrol.json"], home: "admin"),
               exit: 0, fingerprint)
        expect(try isr(["enrol", root + "/erin-enrol.json"], home: "erin"), exit: 0, "Pinned admin")
        expect(try isr(["whoami"], home: "erin"), exit: 0, "fingerprint:  \(fingerprint)")
        expect(try isr(["directory", "erin"], home: "alice"), exit: 0, fingerprint)
    }

    @Test func aStaffListIsInvitedEnrolledWithCodesApprovedInOneCommandAndEachSendsAndReceives() throws {
        let (relay, _, url, ca, _) = try deploy([("bob@devon-csc", "Bob Jones", "practitioner")], duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        // 25 school staff and 25 social workers; one name needs CSV quoting.
        let pairs = 25
        var csv = "id,name,role\n"
        for index in 0..<pairs {
            csv += "teacher\(index)@school-a,\(index == 0 ? "\"Smith, Jo\"" : "Teacher \(index)"),practitioner\n"
            csv += "sw\(index)@devon-csc,Social Worker \(index),\(index == 0 ? "dsl" : "practitioner")\n"
        }
        try csv.write(toFile: root + "/staff.csv", atomically: true, encoding: .utf8)
        expect(try isr(["admin", "member", "invite", "--csv", root + "/staff.csv", "--out", root + "/codes.csv", "--expires", "2d"], home: "admin"),
               exit: 0, "Invited 50 people")
        #expect(try FileManager.default.attributesOfItem(atPath: root + "/codes.csv")[.posixPermissions] as? Int == 0o600)
        let rows = try String(contentsOfFile: root + "/codes.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(rows.count == 50)
        #expect(rows.first?.hasPrefix("teacher0@school-a,\"Smith, Jo\",practitioner,ISR-") == true, "\(rows.first ?? "")")
        let codes = Dictionary(uniqueKeysWithValues: rows.map { row in
            (String(row.prefix { $0 != "," }), String(row.split(separator: ",").first { $0.hasPrefix("ISR-") } ?? ""))
        })
        let people = codes.keys.sorted()

        // Everyone runs `isr enrol --code` on their own machine: keys made there, request sent, fingerprint shown.
        let fingerprints = try parallel(people.count) { index in
            let id = people[index]
            let run = try isr(["enrol", "--code", codes[id] ?? "", "--relay", url, "--ca", ca, "--json"], home: id)
            return (run.status, (try? json(run)["fingerprint"] as? String) ?? run.stderr)
        }
        #expect(fingerprints.allSatisfy { $0.0 == 0 }, "\(fingerprints.filter { $0.0 != 0 })")
        // The admin sees each pending enrolment with the fingerprint its owner saw, and approves all of them in one command.
        let pending = try isr(["admin", "member", "pending", "--json"], home: "admin")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(pending.stdout.utf8)) as? [[String: Any]])
        #expect(Dictionary(uniqueKeysWithValues: listed.map { ($0["member"] as? String ?? "", $0["fingerprint"] as? String ?? "") })
                == Dictionary(uniqueKeysWithValues: zip(people, fingerprints.map(\.1))))
        expect(try isr(["admin", "member", "approve", "--all"], home: "admin"), exit: 0, "Approved teacher0@school-a: enrolment (fingerprint \(fingerprints[people.firstIndex(of: "teacher0@school-a") ?? 0].1))")
        let installed = try parallel(people.count) { index in try isr(["enrol", "--code", codes[people[index]] ?? ""], home: people[index]).status }
        #expect(installed.allSatisfy { $0 == 0 })
        expect(try isr(["admin", "member", "list", "--agency", "school-a"], home: "admin"), exit: 0, "Smith, Jo")
        #expect(try isr(["admin", "member", "list", "--agency", "school-a", "--json"], home: "admin").stdout.components(separatedBy: "\"id\"").count - 1 == pairs)

        // Each teacher shares with their social worker, who reads it and reads back; each teacher then holds the read-back.
        let share = ["--purpose", "child-in-need", "--basis", "public-task", "--condition", "safeguarding", "--consent", "given", "--informed", "yes",
                     "--statement", "Attendance", "--fact", "Attendance 62% this term", "--source", "register", "--field", "name=Sam Example",
                     "--field", "date_of_birth=2015-03-12", "--subject-ref", "CASE-9", "--yes", "--json"]
        let journeys = try parallel(pairs) { index in
            let sent = try isr(["send", "--to", "sw\(index)@devon-csc"] + share, home: "teacher\(index)@school-a")
            guard sent.status == 0, let id = try json(sent)["id"] as? String else { return "send \(index): \(sent.stderr)" }
            let read = try isr(["read", id], home: "sw\(index)@devon-csc")
            guard read.status == 0, read.stdout.contains("Attendance 62% this term") else { return "read \(index): \(read.stderr)" }
            let ack = try isr(["ack", id, "--understood", "Attendance is 62%", "--concern", "medium"], home: "sw\(index)@devon-csc")
            guard ack.status == 0 else { return "ack \(index): \(ack.stderr)" }
            let status = try isr(["status", id], home: "teacher\(index)@school-a")
            return status.stdout.contains("Attendance is 62%") ? "ok" : "status \(index): \(status.stdout)"
        }
        #expect(journeys.allSatisfy { $0 == "ok" }, "\(journeys.filter { $0 != "ok" })")

        // A code works once: a second machine with teacher0's code is refused, and leaves no identity behind.
        expect(try isr(["enrol", "--code", codes["teacher0@school-a"] ?? "", "--relay", url, "--ca", ca], home: "thief"), exit: 1, "already used")
        #expect(!FileManager.default.fileExists(atPath: root + "/thief/identity.json"))
    }

    @Test func waitingForApprovalAdminCommandsAndGuessedCodes() throws {
        let (relay, _, url, ca, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner")],
                                                duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        let invited = try isr(["admin", "member", "invite", "dave@school-a", "--name", "Dave Brown", "--role", "practitioner", "--json"], home: "admin")
        let code = try #require(try json(invited)["code"] as? String)
        expect(try isr(["admin", "member", "invite", "alice@school-a", "--name", "Alice", "--role", "practitioner"], home: "admin"), exit: 1, "already enrolled")
        expect(try isr(["admin", "member", "invite", "x@school-a", "--name", "X", "--role", "practitioner", "--expires", "45d"], home: "admin"), exit: 2, "1h to 30d")
        // `--wait` returns once the admin approves (the approval comes from another process meanwhile).
        let waited = Mutex<ExecutableTests.Run?>(nil)
        let done = DispatchSemaphore(value: 0)
        let root = self.root, passphrase = self.passphrase
        Thread.detachNewThread {
            let run = try? ExecutableTests.run("isr", ["enrol", "--code", code, "--relay", url, "--ca", ca, "--wait", "--timeout", "50", "--home", root + "/dave"],
                                               environment: passphrase)
            waited.withLock { $0 = run }
            done.signal()
        }
        var pending = ""
        let deadline = Date().addingTimeInterval(30)
        while !pending.contains("dave@school-a"), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.5)
            pending = try isr(["admin", "member", "pending"], home: "admin").stdout
        }
        expect(try isr(["admin", "member", "approve", "dave@school-a"], home: "admin"), exit: 0, "Approved dave@school-a")
        #expect(done.wait(timeout: .now() + 55) == .success)
        let run = try #require(waited.withLock { $0 })
        #expect(run.status == 0 && run.stdout.contains("Enrolled as dave@school-a") && run.stderr.contains("read them your fingerprint"), "\(run.stderr)")
        expect(try isr(["directory", "dave"], home: "alice"), exit: 0, "Dave Brown")

        // The admin commands for what the API already did.
        expect(try isr(["admin", "agency", "list"], home: "admin"), exit: 0, "devon-csc  Devon CSC")
        expect(try isr(["admin", "member", "role", "dave@school-a", "dsl"], home: "admin"), exit: 0, "dave@school-a is now dsl")
        expect(try isr(["admin", "role", "list"], home: "admin"), exit: 0, "duty@devon-csc  bob@devon-csc")
        expect(try isr(["admin", "agency", "suspend", "school-a"], home: "admin"), exit: 0, "Suspended")
        expect(try isr(["inbox"], home: "alice"), exit: 1, "suspended")
        expect(try isr(["admin", "agency", "reinstate", "school-a"], home: "admin"), exit: 0, "Reinstated agency school-a")
        expect(try isr(["inbox"], home: "alice"), exit: 0, "inbox")
        expect(try isr(["admin", "member", "approve", "nobody@school-a"], home: "admin"), exit: 1, "no enrolment is waiting")
        expect(try isr(["admin", "member", "invite", "--csv", root + "/missing.csv", "--out", root + "/c.csv"], home: "admin"), exit: 1, "cannot read the staff list")
        try "id,name\nx@school-a,X\n".write(toFile: root + "/bad.csv", atomically: true, encoding: .utf8)
        expect(try isr(["admin", "member", "invite", "--csv", root + "/bad.csv", "--out", root + "/c.csv"], home: "admin"), exit: 2, "id,name,role")

        // Guessing is throttled: after five wrong codes from this address even a typo-free code waits.
        for _ in 0..<5 {
            expect(try isr(["enrol", "--code", "ISR-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA", "--relay", url, "--ca", ca], home: "guess"),
                   exit: 1, "unknown, expired or withdrawn")
        }
        expect(try isr(["enrol", "--code", "ISR-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA", "--relay", url, "--ca", ca], home: "guess"),
               exit: 1, "too many wrong invitation codes")
        expect(try isr(["enrol", "--code", "ISR-123", "--relay", url, "--ca", ca], home: "guess"), exit: 2, "40 letters")
        #expect(!FileManager.default.fileExists(atPath: root + "/guess"))
    }

    @Test func everyCommandWarnsBeforeTheCertificateExpiresAndRenewWorks() throws {
        // A deployment whose member certificates last 20 days: every command is inside the 30-day warning.
        let (relay, _, _, _, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner")],
                                             duty: ["bob@devon-csc"], certificateDays: 20)
        defer { relay.terminate(); relay.waitUntilExit() }
        let inbox = try isr(["inbox"], home: "alice")
        #expect(inbox.status == 0 && inbox.stderr.contains("warning: your certificate expires at") && inbox.stderr.contains("run `isr renew` now"), "\(inbox.stderr)")
        let before = try String(contentsOfFile: root + "/alice/certificate.pem", encoding: .utf8)
        let renewed = try isr(["renew", "--json"], home: "alice")
        #expect(renewed.status == 0, "\(renewed.stderr)")
        #expect(try json(renewed)["expires_at"] as? Int64 ?? 0 > Int64(Date().addingTimeInterval(19 * 86_400).timeIntervalSince1970 * 1000))
        #expect(try String(contentsOfFile: root + "/alice/certificate.pem", encoding: .utf8) != before)
        expect(try isr(["inbox"], home: "alice"), exit: 0, "inbox")
        // The admin renews the same way.
        expect(try isr(["renew"], home: "admin"), exit: 0, "Renewed admin@devon-la's certificate")
        expect(try isr(["admin", "agency", "list"], home: "admin"), exit: 0, "school-a")
        // The old certificate no longer opens the door.
        try before.write(toFile: root + "/alice/certificate.pem", atomically: true, encoding: .utf8)
        let refused = try isr(["inbox"], home: "alice")
        #expect(refused.status == 1 && refused.stderr.contains("isr: error: alice@school-a is not enrolled with this certificate"), "\(refused.stderr)")
    }

    /// Runs a short Python client as the unprivileged user `nobody` against `socket`: what another user's process gets.
    func asNobody(_ socket: String) throws -> String {
        let script = """
            import socket
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect('\(socket)')
            except Exception as e:
                print('refused', type(e).__name__); raise SystemExit
            try:
                s.send(b'K'); data = s.recv(200)
            except Exception:
                data = b''
            print('got', len(data)) if data else print('no keys')
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3", "-c", script]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func oneUnlockServesEveryCommandOnlyToItsUserUntilLocked() throws {
        let (relay, _, _, _, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner")],
                                             duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        let socket = root + "/alice/agent.sock"
        expect(try isr(["unlock", "--for", "10m"], home: "alice", environment: ["ISR_PASSPHRASE": "wrong"]), exit: 1, "does not unlock")
        #expect(!FileManager.default.fileExists(atPath: socket))
        expect(try isr(["unlock", "--for", "10m"], home: "alice"), exit: 0, "Unlocked")
        #expect(try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int == 0o600)
        // Without any passphrase, commands now work.
        expect(try isr(["inbox"], home: "alice", environment: [:]), exit: 0, "inbox")
        expect(try isr(["send", "--to", "bob@devon-csc", "--purpose", "child-in-need", "--basis", "public-task", "--condition", "safeguarding", "--consent", "given",
                        "--informed", "yes", "--statement", "Attendance", "--fact", "Attendance 62%", "--source", "register", "--field", "name=Sam Example",
                        "--field", "date_of_birth=2015-03-12", "--subject-ref", "CASE-3", "--yes"], home: "alice", environment: [:]), exit: 0, "Sent")
        expect(try isr(["unlock"], home: "alice", environment: [:]), exit: 1, "already unlocked")
        // Another user cannot reach the socket, and is refused by the agent even when the file modes would let them in.
        #expect(try asNobody(socket) == "refused PermissionError")
        chmod(root + "/alice", 0o755)
        chmod(socket, 0o666)
        let loosened = try asNobody(socket)
        #expect(loosened == "no keys", "connected, but the agent checks the peer's uid and sends nothing: \(loosened)")
        chmod(root + "/alice", 0o700)
        // `isr lock` ends it: the socket goes, and commands need the passphrase again.
        expect(try isr(["lock"], home: "alice"), exit: 0, "Locked")
        #expect(!FileManager.default.fileExists(atPath: socket))
        expect(try isr(["inbox"], home: "alice", environment: [:]), exit: 1, "no passphrase")
        expect(try isr(["lock"], home: "alice"), exit: 0, "No agent was running")
        // A changed identity file ends the agent by itself.
        expect(try isr(["unlock", "--for", "1h"], home: "alice"), exit: 0, "Unlocked")
        let identity = try Data(contentsOf: URL(fileURLWithPath: root + "/alice/identity.json"))
        try identity.write(to: URL(fileURLWithPath: root + "/alice/identity.json"))
        let deadline = Date().addingTimeInterval(10)
        while FileManager.default.fileExists(atPath: socket), Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        #expect(!FileManager.default.fileExists(atPath: socket), "the agent noticed the identity file changed")
        expect(try isr(["unlock", "--for", "90s"], home: "alice"), exit: 2, "--for is a number of hours or minutes")
    }

    @Test func aLostLaptopIsResetReEnrolledUnderTheSameIDAndItsUnreadPacketsResent() throws {
        let (relay, _, url, ca, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner")],
                                                duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        let share = ["--to", "bob@devon-csc", "--purpose", "child-in-need", "--basis", "public-task", "--condition", "safeguarding", "--consent", "given",
                     "--informed", "yes", "--statement", "Attendance", "--fact", "Attendance 62% this term", "--source", "register", "--field", "name=Sam Example",
                     "--field", "date_of_birth=2015-03-12", "--subject-ref", "CASE-4", "--yes", "--json"]
        let unread = try #require(try json(try isr(["send"] + share, home: "alice"))["id"] as? String)
        let answered = try #require(try json(try isr(["send"] + share, home: "alice"))["id"] as? String)
        expect(try isr(["read", answered], home: "bob"), exit: 0, "Attendance")
        expect(try isr(["ack", answered, "--understood", "Attendance 62%", "--concern", "low"], home: "bob"), exit: 0, "Read-back")
        expect(try isr(["status", "--resend-needed"], home: "alice"), exit: 0, "Every recipient of what you sent can open it.")

        // Bob's laptop is stolen: the admin resets him; he enrols again, under the same id, on a new machine.
        let reset = try isr(["admin", "member", "reset", "bob@devon-csc", "--reason", "laptop stolen", "--json"], home: "admin")
        let code = try #require(try json(reset)["code"] as? String, "\(reset.stderr)")
        expect(try isr(["inbox"], home: "bob"), exit: 1, "has been revoked")
        expect(try isr(["enrol", "--code", code, "--relay", url, "--ca", ca], home: "bob-new"), exit: 0, "waiting for approval")
        expect(try isr(["admin", "member", "approve", "bob@devon-csc"], home: "admin"), exit: 0, "Approved bob@devon-csc")
        expect(try isr(["enrol", "--code", code], home: "bob-new"), exit: 0, "Enrolled as bob@devon-csc")
        expect(try isr(["directory", "bob"], home: "alice"), exit: 0, "active")

        // What was sealed only to the lost keys cannot be opened; the sender is told and resends it with one command.
        let lost = try isr(["read", unread], home: "bob-new")
        #expect(lost.status != 0, "\(lost.stdout)")
        let needs = try isr(["status", "--resend-needed", "--json"], home: "alice")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(needs.stdout.utf8)) as? [[String: Any]], "\(needs.stderr)")
        #expect(listed.map { $0["packet"] as? String } == [unread] && listed.first?["members"] as? [String] == ["bob@devon-csc"], "\(needs.stdout)")
        let resent = try #require(try json(try isr(["resend", unread, "--yes", "--json"], home: "alice"))["id"] as? String)
        expect(try isr(["read", resent], home: "bob-new"), exit: 0, "Attendance 62% this term")
        expect(try isr(["status", "--resend-needed"], home: "alice"), exit: 0, "Every recipient of what you sent can open it.")
        expect(try isr(["resend", answered, "--yes"], home: "alice"), exit: 1, "no recipient of")
        // Bob's history stays his: the read-back he gave before the reset is still recorded under his id.
        expect(try isr(["status", answered], home: "alice"), exit: 0, "bob@devon-csc")
    }

    @Test func anAgencyAdminEnrolsTheirOwnStaffAndEveryoneVerifiesThem() throws {
        let (relay, _, url, ca, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner")],
                                                duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        func code(_ run: ExecutableTests.Run) throws -> String { try #require(try json(run)["code"] as? String, "\(run.stderr)") }
        // The deployment admin makes carol the agency admin of devon-csc.
        let carolCode = try code(try isr(["admin", "member", "invite", "carol@devon-csc", "--name", "Carol White", "--role", "agency-admin", "--json"], home: "admin"))
        expect(try isr(["enrol", "--code", carolCode, "--relay", url, "--ca", ca], home: "carol"), exit: 0, "waiting for approval")
        expect(try isr(["admin", "member", "approve", "carol@devon-csc"], home: "admin"), exit: 0, "Approved")
        expect(try isr(["enrol", "--code", carolCode], home: "carol"), exit: 0, "Pinned admin admin@devon-la")
        // Carol invites and approves her own staff, and no one else's.
        let daveCode = try code(try isr(["admin", "member", "invite", "dave@devon-csc", "--name", "Dave Brown", "--role", "practitioner", "--json"], home: "carol"))
        expect(try isr(["admin", "member", "invite", "erin@school-a", "--name", "Erin", "--role", "practitioner"], home: "carol"), exit: 1, "you administer devon-csc only")
        expect(try isr(["admin", "member", "invite", "fay@devon-csc", "--name", "Fay", "--role", "agency-admin"], home: "carol"), exit: 1, "only a deployment admin")
        expect(try isr(["admin", "agency", "add", "x-school", "--name", "X", "--kind", "school"], home: "carol"), exit: 1, "deployment admin operation")
        expect(try isr(["enrol", "--code", daveCode, "--relay", url, "--ca", ca], home: "dave"), exit: 0, "waiting for approval")
        expect(try isr(["admin", "member", "pending"], home: "carol"), exit: 0, "dave@devon-csc")
        expect(try isr(["admin", "member", "approve", "--all"], home: "carol"), exit: 0, "Approved dave@devon-csc")
        expect(try isr(["enrol", "--code", daveCode], home: "dave"), exit: 0, "Pinned admin admin@devon-la")
        // Alice, who pinned the deployment admin, verifies dave (through carol's entry) and sends to him.
        let directory = try isr(["directory", "--json"], home: "alice")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(directory.stdout.utf8)) as? [[String: Any]])
        #expect(entries.first { $0["id"] as? String == "dave@devon-csc" }?["verified"] as? Bool == true, "\(directory.stdout)")
        expect(try isr(["send", "--to", "dave@devon-csc", "--purpose", "child-in-need", "--basis", "public-task", "--condition", "safeguarding",
                        "--consent", "given", "--informed", "yes", "--statement", "Attendance", "--fact", "Attendance 62%", "--source", "register",
                        "--field", "name=Sam Example", "--field", "date_of_birth=2015-03-12", "--subject-ref", "CASE-5", "--yes"], home: "alice"), exit: 0, "Sent")
        expect(try isr(["admin", "member", "role", "dave@devon-csc", "dsl"], home: "carol"), exit: 0, "dave@devon-csc is now dsl")
        expect(try isr(["admin", "member", "revoke", "alice@school-a", "--reason", "x"], home: "carol"), exit: 1, "you administer devon-csc only")
        // Once the deployment admin revokes carol, clients stop trusting what she signed.
        expect(try isr(["admin", "member", "revoke", "carol@devon-csc", "--reason", "left"], home: "admin"), exit: 0, "Revoked")
        expect(try isr(["directory", "dave"], home: "alice"), exit: 0, "NO - do not send")
    }
}
