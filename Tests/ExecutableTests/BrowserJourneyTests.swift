import Foundation
import Testing

/// `isr ui` in a real headless Chromium (Debian's chromium and chromium-driver, driven by python3-selenium): the whole
/// share → live inbox → read → read-back → confirm journey between a school DSL and a social worker, a held enquiry
/// released from the DSL view, an anonymous consultation refused while it holds an NHS number; and the web app's door:
/// no token, a wrong Host or a form without its CSRF token are refused, and it listens on loopback only.
/// `ISR_WRITE_SCREENSHOTS=1` writes the screenshots into `Browser/screenshots` for the README.
extension CLIJourneyTests {
    static let browserDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser")

    /// Starts `isr ui --no-open` for `home`; returns the process and the URL it printed first.
    func startUI(home: String) throws -> (Process, String) {
        let (process, out) = try background(["ui", "--no-open"], home: home)
        let deadline = Date().addingTimeInterval(30)
        while lines(out).isEmpty, process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let url = try #require(lines(out).first, "isr ui printed its URL")
        #expect(url.hasPrefix("http://127.0.0.1:") && url.contains("/?token="), "\(url)")
        return (process, url)
    }

    /// `curl ARGUMENTS` → (exit status, stdout).
    func curl(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-sS", "--max-time", "10"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func theWebAppCarriesAShareFromSendToConfirmationInARealBrowser() throws {
        let (relay, _, _, _, _) = try deploy([("dina@school-a", "Dina Shah", "dsl"), ("alice@school-a", "Alice Smith", "practitioner"),
                                              ("bob@devon-csc", "Bob Jones", "practitioner")], duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        // A colleague's child protection enquiry waits for the DSL's countersignature.
        let held = try #require(try json(try isr(["send", "--to", "bob@devon-csc", "--purpose", "child-protection-enquiry", "--basis", "statutory-duty",
                                                   "--condition", "safeguarding", "--consent", "not-sought", "--consent-reason", "Seeking consent could put the child at risk",
                                                   "--informed", "no", "--informed-reason", "Risk of harm", "--statement", "Section 47 enquiry",
                                                   "--fact", "Bruising seen on both arms", "--source", "class teacher", "--field", "name=Sam Example",
                                                   "--field", "date_of_birth=2015-03-12", "--field", "concern_category=physical", "--yes", "--json"], home: "alice"))["id"] as? String)
        // Social care asks the school's DSL for information; she answers it in the browser.
        let request = try #require(try json(try isr(["request", "--to", "dina@school-a", "--purpose", "child-in-need", "--basis", "public-task",
                                                      "--condition", "safeguarding", "--ask", "Attendance and any concerns this term", "--subject-ref", "CASE-9",
                                                      "--json"], home: "bob"))["id"] as? String)
        let (dslUI, dslURL) = try startUI(home: "dina")
        let (workerUI, workerURL) = try startUI(home: "bob")
        defer { for process in [dslUI, workerUI] where process.isRunning { process.interrupt(); process.waitUntilExit() } }

        // The door, checked with curl as an independent client.
        let port = try #require(URLComponents(string: dslURL)?.port)
        let base = "http://127.0.0.1:\(port)"
        #expect(try curl(["-o", "/dev/null", "-w", "%{http_code}", base + "/inbox"]).1 == "403", "no token, no cookie")
        #expect(try curl(["-o", "/dev/null", "-w", "%{http_code}", base + "/?token=0000"]).1 == "403", "a wrong token")
        #expect(try curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: evil.example:\(port)", dslURL]).1 == "421", "a rebinding Host")
        let jar = root + "/dina-cookies"
        let (_, headers) = try curl(["-D", "-", "-o", "/dev/null", "-c", jar, dslURL])
        #expect(headers.contains("HttpOnly") && headers.contains("SameSite=Strict") && headers.lowercased().contains("location: /"), "\(headers)")
        let (_, page) = try curl(["-D", "-", "-b", jar, base + "/inbox"])
        #expect(page.lowercased().contains("content-security-policy: default-src 'none'; script-src 'self'") && page.contains("Inbox"), "\(page.prefix(600))")
        #expect(try curl(["-o", "/dev/null", "-w", "%{http_code}", "-b", jar, "--data", "reason=x", base + "/packets/\(held)/return"]).1 == "403", "no CSRF token")
        #expect(try curl(["-o", "/dev/null", "-w", "%{http_code}", "-b", jar, "--data", "csrf=forged&reason=x", base + "/packets/\(held)/return"]).1 == "403")
        // Read to the end: /proc files report size 0, and with many sockets open the table is longer than one read.
        let table = String(decoding: try #require(FileHandle(forReadingAtPath: "/proc/net/tcp")).readDataToEndOfFile(), as: UTF8.self)
        let listening = table.split(separator: "\n")
            .filter { $0.contains(String(format: ":%04X ", port)) && $0.split(separator: " ")[3] == "0A" }
        #expect(!listening.isEmpty && listening.allSatisfy { $0.split(separator: " ")[1].hasPrefix("0100007F:") }, "loopback only: \(listening)")
        #expect(try curl(["-o", "/dev/null", "-w", "%{http_code}", "-g", "http://[::1]:\(port)/inbox"]).0 != 0, "not on IPv6 either")

        // The journey in Chromium.
        let shots = screenshots
        let journey = try browserJourney("ui_journey.py", [dslURL, workerURL, held, request, shots])
        #expect(journey["ok"] as? Bool == true, "\(journey)")
        for name in ["inbox", "packet", "send-form", "send-summary", "readback", "dsl-view", "anonymous-refused", "decisions"] {
            #expect(FileManager.default.fileExists(atPath: shots + "/\(name).png"), "screenshot \(name)")
        }
        // What the browser did is on the relay: the held enquiry was released, the share confirmed.
        expect(try isr(["status", held], home: "alice"), exit: 0, "countersigned")
        expect(try isr(["status", request], home: "bob"), exit: 0, "answered")
        // Ctrl-C stops the web app cleanly, with its event stream open.
        for process in [dslUI, workerUI] {
            process.interrupt()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "isr ui exits cleanly on Ctrl-C")
        }
    }

    /// Where the journeys save their screenshots: the repository's (for the README) with ISR_WRITE_SCREENSHOTS=1.
    var screenshots: String {
        ProcessInfo.processInfo.environment["ISR_WRITE_SCREENSHOTS"] == "1" ? Self.browserDirectory.appendingPathComponent("screenshots").path : root + "/screenshots"
    }

    /// Runs `script ARGUMENTS` (a selenium journey) and returns its last line of output as JSON.
    func browserJourney(_ script: String, _ arguments: [String]) throws -> [String: Any] {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = [Self.browserDirectory.appendingPathComponent(script).path] + arguments
        let out = Pipe()
        python.standardOutput = out
        python.standardError = out
        try python.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        #expect(python.terminationStatus == 0, "\(output)")
        let last = output.split(separator: "\n").last.map(String.init) ?? ""
        return (try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]) ?? ["output": output]
    }

    @Test func aNewPractitionerIsInvitedEnrolledAndApprovedEntirelyInTheBrowser() throws {
        let (relay, _, url, ca, _) = try deploy([("bob@devon-csc", "Bob Jones", "practitioner")], duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        let (adminUI, adminURL) = try startUI(home: "admin")
        // Erin's machine has no identity: her `isr ui` serves the setup page, then (once approved) her app, on one port.
        let (erinUI, erinURL) = try startUI(home: "erin")
        defer { for process in [adminUI, erinUI] where process.isRunning { process.interrupt(); process.waitUntilExit() } }
        let shots = screenshots
        let journey = try browserJourney("admin_journey.py", [adminURL, erinURL, url, ca, passphrase["ISR_PASSPHRASE"] ?? "", shots])
        let fingerprint = try #require(journey["fingerprint"] as? String, "\(journey)")
        // What the browser did is real: Erin's home is enrolled with the keys made there, and she is in the directory.
        expect(try isr(["whoami"], home: "erin"), exit: 0, fingerprint)
        expect(try isr(["directory", "erin"], home: "bob"), exit: 0, "erin@devon-csc")
        expect(try isr(["admin", "role", "list"], home: "admin"), exit: 0, "bob@devon-csc, erin@devon-csc")
        expect(try isr(["admin", "agency", "list"], home: "admin"), exit: 0, "Devon and Cornwall Police")
        #expect(!FileManager.default.fileExists(atPath: root + "/erin/enrolment-request.json"), "the pending request is gone once installed")
        for process in [adminUI, erinUI] {
            process.interrupt()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "isr ui exits cleanly on Ctrl-C")
        }
        // A practitioner's web app has no admin pages.
        let (bobUI, bobURL) = try startUI(home: "bob")
        defer { if bobUI.isRunning { bobUI.interrupt(); bobUI.waitUntilExit() } }
        let port = try #require(URLComponents(string: bobURL)?.port)
        let jar = root + "/bob-cookies"
        _ = try curl(["-o", "/dev/null", "-c", jar, bobURL])
        let (_, page) = try curl(["-b", jar, "http://127.0.0.1:\(port)/admin"])
        #expect(page.contains("the admin pages are for admins and agency admins"), "\(page.prefix(400))")
    }
}
