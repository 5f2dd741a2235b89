import Foundation
import ISRRecord
import Testing

/// The record through the real `isr` and `isr-relay`: a case chronology across a share, a read-back, a correction, an
/// outcome, a request and its decline and a decision not to share; nothing for a member who is not a party; an exported
/// bundle verified offline by `isr verify-bundle` and by the independent Python verifier, and every changed byte caught.
extension CLIJourneyTests {
    static let bundleVerifier = ExecutableTests.root.appendingPathComponent("Tests/ISRPacketTests/Vectors/verify_bundle.py").path

    func python(_ arguments: [String]) throws -> ExecutableTests.Run {
        try tool("/usr/bin/python3", arguments)
    }

    func chronology(_ home: String, _ reference: String) throws -> [[String: Any]] {
        let run = try isr(["record", "--subject-ref", reference, "--json"], home: home)
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]], "\(run.stdout)")
    }

    @Test func aCaseChronologyAnEvidenceBundleVerifiedOfflineAndNothingForOutsiders() throws {
        let (relay, _, _, _, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("dina@school-a", "Dina Patel", "dsl"),
                                              ("bob@devon-csc", "Bob Jones", "practitioner"), ("carol@devon-csc", "Carol White", "practitioner"),
                                              ("erin@devon-csc", "Erin Gray", "practitioner"), ("pete@devon-police", "Pete Shaw", "practitioner")],
                                             duty: ["bob@devon-csc", "carol@devon-csc"], agencies: [("devon-police", "Devon Police", "police")])
        defer { relay.terminate(); relay.waitUntilExit() }
        let share = ["--to", "bob@devon-csc", "--purpose", "child-in-need", "--basis", "public-task", "--condition", "safeguarding", "--consent", "refused",
                     "--consent-reason", "Mother refused on 17 November; risk of significant harm (neglect)", "--informed", "no",
                     "--informed-reason", "Telling the family could increase the risk", "--statement", "Attendance and presentation",
                     "--fact", "Attendance 62% this term", "--opinion", "Increasingly withdrawn", "--reported", "Says there is no food at weekends",
                     "--source", "class teacher", "--field", "name=Sam Example", "--field", "date_of_birth=2015-03-12", "--subject-ref", "CASE-9", "--yes", "--json"]
        // A share, read and read back, confirmed; a correction and an outcome.
        let shared = try #require(try json(try isr(["send"] + share, home: "alice"))["id"] as? String)
        expect(try isr(["read", shared], home: "bob"), exit: 0, "Attendance 62% this term")
        expect(try isr(["ack", shared, "--understood", "Attendance 62% is fact; withdrawn is opinion", "--concern", "medium"], home: "bob"), exit: 0, "Read-back")
        expect(try isr(["confirm", shared, "--yes"], home: "alice"), exit: 0, "Confirmed")
        let corrected = try #require(try json(try isr(["correct", shared] + share.dropFirst(4).map { $0 == "Attendance 62% this term" ? "Attendance 58% this term" : $0 },
                                                      home: "alice"))["id"] as? String)
        expect(try isr(["read", corrected], home: "bob"), exit: 0, "Attendance 58% this term")
        let outcome = try #require(try json(try isr(["outcome", shared, "--statement", "A child-in-need assessment has started", "--basis", "public-task",
                                                     "--condition", "safeguarding", "--json"], home: "bob"))["id"] as? String)
        expect(try isr(["read", outcome], home: "alice"), exit: 0, "assessment has started")
        // A request and its decline; a decision not to share.
        let request = try #require(try json(try isr(["request", "--to", "alice@school-a", "--purpose", "child-in-need", "--basis", "public-task",
                                                     "--condition", "safeguarding", "--ask", "What does the school know about attendance?",
                                                     "--subject-ref", "CASE-9", "--json"], home: "bob"))["id"] as? String)
        expect(try isr(["read", request], home: "alice"), exit: 0, "What does the school know")
        expect(try isr(["decline", request, "--reason", "The family already shared the attendance record with you"], home: "alice"), exit: 0, "Declined")
        expect(try isr(["decide", "--not-share", "--purpose", "early-help", "--reason", "The family is already working with early help",
                        "--subject-ref", "CASE-9"], home: "alice"), exit: 0, "Decision not to share recorded")
        // A child protection enquiry to the duty role, held until the DSL countersigns; carol reads it back for the role.
        let enquiry = try #require(try json(try isr(["send", "--to", "duty@devon-csc", "--purpose", "child-protection-enquiry", "--basis", "statutory-duty",
                                                     "--condition", "safeguarding", "--consent", "not-sought", "--consent-reason", "Seeking consent could put the child at risk",
                                                     "--informed", "no", "--informed-reason", "Risk of harm", "--statement", "Section 47 enquiry",
                                                     "--fact", "Bruising seen on both arms", "--source", "class teacher", "--field", "name=Sam Example",
                                                     "--field", "date_of_birth=2015-03-12", "--field", "concern_category=physical", "--subject-ref", "CASE-9",
                                                     "--yes", "--json"], home: "alice"))["id"] as? String)
        expect(try isr(["read", enquiry], home: "dina"), exit: 0, "countersign")
        expect(try isr(["countersign", enquiry, "--yes"], home: "dina"), exit: 0, "Countersigned")
        expect(try isr(["read", enquiry], home: "carol"), exit: 0, "Bruising seen on both arms")
        expect(try isr(["ack", enquiry, "--understood", "Bruising on both arms, seen by the teacher", "--concern", "high"], home: "carol"), exit: 0, "Read-back")
        // Another case, which must not appear.
        let other = try #require(try json(try isr(["send"] + share.map { $0 == "CASE-9" ? "CASE-10" : $0 }, home: "alice"))["id"] as? String)

        // Alice's chronology: everything about CASE-9, oldest first, with what each said.
        let mine = try chronology("alice", "CASE-9")
        let steps = mine.compactMap { $0["step"] as? String }
        let wanted = ["shared", "read back what they understood", "confirmed the read-back", "corrected", "reported the outcome",
                      "requested information", "declined the request", "recorded a decision"]
        #expect(Array(steps.filter(wanted.contains).prefix(wanted.count)) == wanted, "\(steps)")
        #expect(steps.contains("fetched") && steps.contains("read (signed receipt)") && steps.contains("countersigned"), "\(steps)")
        #expect(mine.contains { $0["step"] as? String == "countersigned" && $0["actor"] as? String == "dina@school-a" })
        #expect(mine.contains { $0["step"] as? String == "read back what they understood" && $0["actor"] as? String == "carol@devon-csc" })
        let times = mine.compactMap { $0["at"] as? Int64 }
        #expect(times == times.sorted() && times.count == mine.count)
        #expect(!mine.contains { $0["packet"] as? String == other }, "another case's packet is not in this chronology")
        let details = mine.map { ($0["step"] as? String ?? "", ($0["detail"] as? [String] ?? []).joined(separator: "\n")) }
        #expect(details.contains { $0.0 == "read back what they understood" && $0.1.contains("Understood: Attendance 62% is fact") && $0.1.contains("Concern: medium") })
        #expect(details.contains { $0.0 == "shared" && $0.1.contains("[FACT] Attendance 62% this term — class teacher") && $0.1.contains("[OPINION] Increasingly withdrawn")
                                   && $0.1.contains("Consent: refused — Mother refused") && $0.1.contains("Subject informed: no — Telling the family") })
        #expect(details.contains { $0.0 == "declined the request" && $0.1.contains("Reasons: The family already shared") })
        #expect(details.contains { $0.0 == "recorded a decision" && $0.1.contains("Reasons: The family is already working with early help") })
        let text = try isr(["record", "--subject-ref", "CASE-9"], home: "alice")
        expect(text, exit: 0, "alice@school-a shared → bob@devon-csc")
        print("isr record --subject-ref CASE-9 (alice):\n\(text.stdout)")
        expect(try isr(["record", "--subject-ref", "CASE-9", "--purpose", "early-help"], home: "alice"), exit: 0, "recorded a decision")
        #expect(try chronology("alice", "CASE-9").count == mine.count)
        expect(try isr(["record", "--subject-ref", "CASE 9"], home: "alice"), exit: 2, "a subject reference is 1–64")
        expect(try isr(["record", "--subject-ref", "CASE-9", "--since", "yesterday"], home: "alice"), exit: 2, "--since is a date")

        // Bob's: the same case from his side, without alice's private decision.
        let bobs = try chronology("bob", "CASE-9")
        #expect(bobs.contains { $0["step"] as? String == "requested information" } && !bobs.contains { $0["step"] as? String == "recorded a decision" }, "\(bobs)")
        // Carol and bob, through the duty role, see the enquiry; the DSL sees what they countersigned.
        #expect(try chronology("carol", "CASE-9").contains { $0["packet"] as? String == enquiry && $0["step"] as? String == "shared" })
        #expect(bobs.contains { $0["packet"] as? String == enquiry && $0["step"] as? String == "shared" })
        let dinas = try chronology("dina", "CASE-9")
        #expect(dinas.contains { $0["packet"] as? String == enquiry } && !dinas.contains { $0["packet"] as? String == shared }, "\(dinas)")
        // Erin (bob's agency, not a party) and pete (police) learn nothing: the same answer as a case nobody wrote about.
        for home in ["erin", "pete"] {
            #expect(try chronology(home, "CASE-9").isEmpty)
            let nothing = try isr(["record", "--subject-ref", "CASE-9"], home: home)
            let unknown = try isr(["record", "--subject-ref", "CASE-NOBODY"], home: home)
            #expect(nothing.status == 0 && nothing.stdout == unknown.stdout.replacingOccurrences(of: "CASE-NOBODY", with: "CASE-9"), "\(nothing.stdout)")
        }
        expect(try isr(["export", "--subject-ref", "CASE-9", "--out", root + "/pete.tar"], home: "pete"), exit: 1, "nothing to export")
        expect(try isr(["export", shared, "--out", root + "/pete.tar"], home: "pete"), exit: 1, "no packet")

        // The evidence bundle, verified offline by isr and by the independent Python verifier.
        let bundle = root + "/case-9.tar"
        let exported = try json(try isr(["export", "--subject-ref", "CASE-9", "--out", bundle, "--json"], home: "alice"))
        // Carol's read-back of the enquiry is listed in the report, but alice has not opened it, so it is not in the bundle.
        #expect(exported["packets"] as? Int == 9 && exported["not_held"] as? Int == 1 && exported["withheld_bodies"] as? Int == 0, "\(exported)")
        expect(try isr(["export", "--subject-ref", "CASE-9", "--out", bundle], home: "alice"), exit: 1, "already exists")
        expect(try isr(["export", shared, "--subject-ref", "CASE-9", "--out", root + "/x.tar"], home: "alice"), exit: 2, "not both")
        let verified = try ExecutableTests.run("isr", ["verify-bundle", bundle], environment: [:])
        expect(verified, exit: 0, "was sent by alice@school-a (Alice Smith, School A)")
        #expect(verified.stdout.contains("countersigned by dina@school-a (Dina Patel, School A)") && verified.stdout.contains("read by carol@devon-csc"))
        #expect(verified.stdout.contains("read by bob@devon-csc (Bob Jones, Devon CSC)") && verified.stdout.contains("signed receipt ✓")
                && verified.stdout.contains("body proven") && verified.stdout.contains("events are in log"), "\(verified.stdout)")
        print("isr verify-bundle:\n\(verified.stdout)")
        let second = try python([Self.bundleVerifier, bundle])
        #expect(second.status == 0 && second.stdout.contains("second implementation: bundle verified, 9 packets"), "\(second.stdout)")
        expect(try ExecutableTests.run("isr", ["verify-bundle", bundle, "--admin-key", "0000 0000"], environment: [:]), exit: 4, "not the 0000 0000 you expected")
        // By packet id: the share and every reply to it that alice holds (read-back, confirmation, correction, outcome).
        let byID = try json(try isr(["export", shared, "--out", root + "/share.tar", "--json"], home: "alice"))
        #expect(byID["packets"] as? Int == 5, "\(byID)")
        expect(try ExecutableTests.run("isr", ["verify-bundle", root + "/share.tar"], environment: [:]), exit: 0, "Outcome")
        // The export is itself in the audit log, which still verifies.
        #expect((exported["export_leaf"] as? Int ?? 0) > 0)
        expect(try isr(["audit", "verify"], home: "bob"), exit: 0, "Audit log verified")

        // Every byte of every packet in the bundle flipped in turn is caught, and so is a changed byte anywhere in the file.
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: bundle)))
        _ = try BundleVerifier.verify(bytes)
        var offset = 0
        var packetBytes: [Int] = []
        for file in try CanonicalTar.read(bytes) {
            if file.name.hasPrefix("packets/") { packetBytes += (offset + 512)..<(offset + 512 + file.bytes.count) }
            offset += 512 + (file.bytes.count + 511) / 512 * 512
        }
        #expect(packetBytes.count > 3000)
        for index in packetBytes + Array(stride(from: 0, to: bytes.count, by: 11)) {
            var changed = bytes
            changed[index] ^= 0x01
            #expect(throws: RecordError.self, "byte \(index)") { try BundleVerifier.verify(changed) }
        }
        // The real edges too: a changed byte in a packet, in the report and in the signature file.
        for (name, at) in [("packets/", 100), ("report.html", 300), ("manifest.sig", 20)] {
            var offset = 0
            var position = 0
            for file in try CanonicalTar.read(bytes) {
                if file.name.hasPrefix(name) { position = offset + 512 + at; break }
                offset += 512 + (file.bytes.count + 511) / 512 * 512
            }
            var changed = bytes
            changed[position] ^= 0x01
            try Data(changed).write(to: URL(fileURLWithPath: root + "/changed.tar"))
            expect(try ExecutableTests.run("isr", ["verify-bundle", root + "/changed.tar"], environment: [:]), exit: 4, "does not verify")
            #expect(try python([Self.bundleVerifier, root + "/changed.tar"]).status == 1, "python catches a changed byte in \(name)")
        }

        // A disclosure with the child's name and the items withheld: the report marks them, the rest still verifies.
        let redactedPath = root + "/case-9-sar.tar"
        let redacted = try json(try isr(["export", "--subject-ref", "CASE-9", "--out", redactedPath, "--redact", "name,items", "--json"], home: "alice"))
        #expect((redacted["withheld_bodies"] as? Int ?? 0) >= 2, "\(redacted)")
        let sar = try ExecutableTests.run("isr", ["verify-bundle", redactedPath], environment: [:])
        expect(sar, exit: 0, "Redacted for disclosure: items, name withheld")
        #expect(sar.stdout.contains("body withheld"), "\(sar.stdout)")
        let files = try CanonicalTar.read(Array(try Data(contentsOf: URL(fileURLWithPath: redactedPath))))
        let report = String(decoding: try #require(files.first { $0.name == "report.html" }).bytes, as: UTF8.self)
        #expect(!report.contains("Sam Example") && !report.contains("Attendance 62% this term") && report.contains("withheld"))
        #expect(try python([Self.bundleVerifier, redactedPath]).status == 0)
        expect(try isr(["export", "--subject-ref", "CASE-9", "--out", root + "/y.tar", "--redact", "nhs"], home: "alice"), exit: 2, "`nhs` is not a field you can withhold")

        // The report in a real browser: printed to PDF, with a screenshot in the test output.
        let fullReport = String(decoding: try #require(try CanonicalTar.read(bytes).first { $0.name == "report.html" }).bytes, as: UTF8.self)
        #expect(fullReport.contains("Attendance 62% this term") && fullReport.contains("<span class=\"tag fact\">fact</span>") && !fullReport.contains("<script"))
        try printReport(fullReport)
    }

    /// Headless Chromium prints `html` to PDF and takes a screenshot (into `screenshots`, like the browser journeys).
    func printReport(_ html: String) throws {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let browser = try #require(chromium, "chromium is needed (apt-get install -y chromium)")
        let page = root + "/report.html"
        try html.write(toFile: page, atomically: true, encoding: .utf8)
        let shots = screenshots
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        for (flag, out) in [("--print-to-pdf=", root + "/report.pdf"), ("--screenshot=", shots + "/record-report.png")] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: browser)
            process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--window-size=1100,1400",
                                 "--user-data-dir=" + root + "/chromium", flag + out, "file://" + page]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let data = try Data(contentsOf: URL(fileURLWithPath: out))
            #expect(data.count > 5000, "\(out) was written")
            if out.hasSuffix(".pdf") { #expect(data.starts(with: Data("%PDF-".utf8))) }
        }
        // The printed PDF as a reader sees it: its pages counted and the first rendered by poppler.
        let info = try tool("/usr/bin/pdfinfo", [root + "/report.pdf"]).stdout
        let pages = info.split(separator: "\n").first { $0.hasPrefix("Pages:") }.flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) } ?? 0
        #expect(pages >= 2, "the chronology prints on several pages: \(info)")
        _ = try tool("/usr/bin/pdftoppm", ["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", root + "/report.pdf", shots + "/record-report-printed"])
        #expect(FileManager.default.fileExists(atPath: shots + "/record-report-printed.png"))
        print("report screenshots: \(shots)/record-report.png, \(shots)/record-report-printed.png (\(pages) printed pages)")
    }

    /// Runs a short-lived tool (python3, pdfinfo, pdftoppm) to completion: its exit status and its output and errors.
    func tool(_ path: String, _ arguments: [String]) throws -> ExecutableTests.Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(FileManager.default.isExecutableFile(atPath: path) ? path : nil, "\(path) is needed (see .ci/run)"))
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return ExecutableTests.Run(status: process.terminationStatus, stdout: text, stderr: "")
    }
}
