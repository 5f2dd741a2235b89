import Foundation
import ISRCrypto
import ISRPacket
import ISRTestSupport
import Testing

/// Alerts for people who are not looking at a screen, through real parts: the daemon hands e-mails to msmtp, which
/// delivers them to a local SMTP server (aiosmtpd, writing a Maildir); webhooks go over HTTPS to a local Python receiver
/// that checks their HMAC signature; a webhook answered 503 is retried and then counted as failed in `/metrics`.
/// No alert carries content, the subject reference or a person's name.
@Suite(.serialized, .blocksThreads) struct RelayAlertTests {
    /// A free loopback TCP port (bound, read, closed).
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

    /// Runs `arguments` to completion (for openssl); output discarded.
    static func run(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Starts a helper process (logging to `log`) and waits (≤ 20 s) until `port` accepts connections.
    static func serve(_ arguments: [String], port: Int, log: String) throws -> Process {
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, process.isRunning {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            close(fd)
            if connected == 0 { return process }
            Thread.sleep(forTimeInterval: 0.1)
        }
        process.terminate()
        throw RelayProcessError(message: "\(arguments.joined(separator: " ")) did not listen: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    /// The files in `directory` (each an e-mail or a webhook record), read once they stop changing.
    static func files(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasSuffix(".tmp") && !$0.hasPrefix(".") }.sorted()
            .compactMap { try? String(contentsOfFile: directory + "/" + $0, encoding: .utf8) }
    }

    @Test func emailsReachAnSMTPServerThroughMsmtpAndWebhooksAnHTTPSReceiverWithoutContent() async throws {
        let work = NSTemporaryDirectory() + "isr-alerts-" + UUID().uuidString
        // aiosmtpd's Mailbox handler creates the Maildir itself (and refuses mail into one that exists but is empty).
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        // The SMTP server, and msmtp configured to hand it every message.
        let smtpPort = Self.freePort()
        let smtp = try Self.serve(["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(smtpPort)", "-c", "aiosmtpd.handlers.Mailbox", work + "/maildir"],
                                  port: smtpPort, log: work + "/smtp.log")
        defer { smtp.terminate() }
        try "account default\nhost 127.0.0.1\nport \(smtpPort)\nfrom isr-relay@devon.example\nauth off\ntls off\n".write(toFile: work + "/msmtprc", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: work + "/msmtprc")
        // The agency's HTTPS receiver, with a certificate openssl makes for 127.0.0.1, and the shared secret.
        #expect(try Self.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                              "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", work + "/hook.key", "-out", work + "/hook.pem"]) == 0)
        try "a shared secret for devon-csc's webhook".write(toFile: work + "/hook.secret", atomically: true, encoding: .utf8)
        let hookPort = Self.freePort()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Alerts/webhook_sink.py").path
        let hook = try Self.serve(["/usr/bin/python3", script, "\(hookPort)", work + "/hook.pem", work + "/hook.key", work + "/hook.secret", work + "/hooks"],
                                  port: hookPort, log: work + "/hook.log")
        defer { hook.terminate() }

        let relay = try RelayProcess(extraConfig: """
            [alerts]
            sendmail = ["/usr/bin/msmtp", "-C", "\(work)/msmtprc"]
            from = "isr-relay@devon.example"
            attempts = 2
            backoff_seconds = 0.1
            [[alerts.email]]
            address = "bob@devon-csc"
            to = "bob@csc.example"
            [[alerts.email]]
            address = "duty@devon-csc"
            to = "duty-team@csc.example"
            [[alerts.email]]
            address = "alice@school-a"
            to = "alice@school.example"
            [[alerts.webhook]]
            agency = "devon-csc"
            url = "https://127.0.0.1:\(hookPort)/isr"
            ca_certificate = "\(work)/hook.pem"
            secret_file = "\(work)/hook.secret"
            [[alerts.webhook]]
            agency = "school-a"
            url = "https://127.0.0.1:\(hookPort)/unavailable"
            ca_certificate = "\(work)/hook.pem"
            """)
        defer { relay.stop(signal: SIGKILL) }
        let (alice, _, bob, _) = try await relay.standardCast()
        // A share to bob, another to the duty role address (bob is one of its members), then bob's read-back.
        let toBob = try await relay.build(.share, from: alice, to: [bob.id])
        let toDuty = try await relay.build(.share, from: alice, to: [try MemberID("duty@devon-csc")])
        #expect(try await relay.send(toBob, as: alice).status == .created)
        #expect(try await relay.send(toDuty, as: alice).status == .created)
        let bobsID = try PacketHeader(derEncoded: toBob.headerBytes).id, dutyID = try PacketHeader(derEncoded: toDuty.headerBytes).id
        _ = try await relay.fetchAndOpen(bobsID, as: bob, from: alice.id)
        #expect(try await relay.send(try await relay.build(.readback, from: bob, to: [alice.id], inReplyTo: bobsID), as: bob).status == .created)

        // bob: both shares (the second through the role); the duty team: the second; alice: the read-back.
        let started = Date()
        var mails: [String] = [], hooks: [String] = []
        var metrics = ""
        while Date().timeIntervalSince(started) < 20 {
            mails = Self.files(work + "/maildir/new")
            hooks = Self.files(work + "/hooks")
            metrics = try relay.curl("/metrics").1
            if mails.count >= 4, hooks.count >= 2, metrics.contains("isr_alerts_failed_total{channel=\"webhook\"} 1") { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(mails.count == 4, "\(mails)\n\(relay.stderr)")
        func mail(to address: String, about id: PacketID) -> String? { mails.first { $0.contains("To: \(address)") && $0.contains(id.hex) } }
        let bobMail = try #require(mail(to: "bob@csc.example", about: bobsID), "\(mails)")
        #expect(bobMail.contains("Subject: ISR: A child in need") && bobMail.contains("from School-A awaits a read-back from bob@devon-csc by"), "\(bobMail)")
        #expect(bobMail.contains("From: isr-relay@devon.example") && bobMail.contains("Auto-Submitted: auto-generated"))
        #expect(mail(to: "bob@csc.example", about: dutyID)?.contains("awaits a read-back from bob@devon-csc") == true, "the role's packet reaches its member")
        #expect(mail(to: "duty-team@csc.example", about: dutyID)?.contains("awaits a read-back from duty@devon-csc") == true, "\(mails)")
        #expect(mail(to: "alice@school.example", about: bobsID)?.contains("The read-back from Devon-Csc of your child in need") == true, "\(mails)")

        #expect(hooks.count == 2, "\(hooks)")
        for hook in hooks {
            let record = try #require(try JSONSerialization.jsonObject(with: Data(hook.utf8)) as? [String: Any])
            #expect(record["signature_ok"] as? Bool == true && record["path"] as? String == "/isr", "\(hook)")
            let body = try #require(try JSONSerialization.jsonObject(with: Data((record["body"] as? String ?? "").utf8)) as? [String: Any])
            #expect(body["kind"] as? String == "new-packet" && body["purpose"] as? String == "child-in-need" && body["deadline"] is Int, "\(body)")
            #expect([bobsID.hex, dutyID.hex].contains(body["packet"] as? String ?? "") && ["bob@devon-csc", "duty@devon-csc"].contains(body["address"] as? String ?? ""))
        }
        for text in mails + hooks {
            for secret in ["CASE-7", "Sam Example", "2015-03-12", "Attendance", "Bob", "Alice"] { #expect(!text.contains(secret), "\(secret) leaked: \(text)") }
        }
        // The unavailable webhook was tried twice, then given up and counted; none of it held up acceptance.
        #expect(metrics.contains("isr_alerts_sent_total{channel=\"email\"} 4"), "\(metrics)")
        #expect(metrics.contains("isr_alerts_sent_total{channel=\"webhook\"} 2"))
        #expect(metrics.contains("isr_alert_attempts_failed_total{channel=\"webhook\"} 2"))
        #expect(metrics.contains("isr_alerts_failed_total{channel=\"webhook\"} 1"))
        #expect(relay.stderr.contains("alert not delivered; giving up"))
    }

    @Test func aHangingMailCommandDelaysNeitherAcceptanceNorShutdown() async throws {
        let work = NSTemporaryDirectory() + "isr-alerts-slow-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        // A "sendmail" that hangs for a minute (exec: the process the relay started is the one that hangs).
        try "#!/bin/sh\ncat > /dev/null\nexec sleep 60\n".write(toFile: work + "/slow-sendmail", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: work + "/slow-sendmail")
        let relay = try RelayProcess(extraConfig: """
            [alerts]
            sendmail = ["\(work)/slow-sendmail"]
            [[alerts.email]]
            address = "bob@devon-csc"
            to = "bob@csc.example"
            """)
        defer { relay.stop(signal: SIGKILL) }
        let (alice, _, bob, _) = try await relay.standardCast()
        let started = ContinuousClock.now
        for _ in 0..<3 { #expect(try await relay.send(try await relay.build(.share, from: alice, to: [bob.id]), as: alice).status == .created) }
        // The mail command hangs for 60 s; acceptance does not wait for it (the bound is loose for a loaded CI machine).
        #expect(ContinuousClock.now - started < .seconds(30), "acceptance does not wait for alerts")
        try await Task.sleep(for: .seconds(1))
        #expect(try !relay.curl("/metrics").1.contains("isr_alerts_sent_total{channel=\"email\"}"), "the mails are still hanging")
        // SIGTERM stops the relay promptly: the hanging commands are stopped, not waited for.
        let stopping = ContinuousClock.now
        #expect(relay.stop() == 0, "\(relay.stderr.suffix(2500))")
        #expect(ContinuousClock.now - stopping < .seconds(20), "shutdown took \(ContinuousClock.now - stopping)")
    }
}
