import Crypto
import Foundation
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import ISRTestSupport
import Testing
@testable import ISRRelay

/// Certificates over time: a member renews for the same key before expiry (the old certificate stops working), the
/// metrics count certificates about to expire, and the relay's own certificate is renewed and reloaded on SIGHUP.
@Suite(.serialized, .blocksThreads) struct RelayRenewalTests {
    @Test func aMemberRenewsForTheSameKeyAndTheOldCertificateStopsWorking() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        try await relay.addAgency("school-a", kind: "school")
        let alice = try await relay.enrol("alice@school-a")
        let tlsKey = try P256.Signing.PrivateKey(pemRepresentation: alice.tlsKeyPEM)
        func renewal(_ member: MemberID, _ key: P256.Signing.PrivateKey) throws -> [String: Any] {
            ["certificate_request": try MemberCertificateRequest(member: member, privateKey: key).pem()]
        }
        #expect(try await relay.json(alice, .post, "/v1/certificate/renew", try renewal(alice.id, P256.Signing.PrivateKey())).problemCode == "renewal.other-key")
        #expect(try await relay.json(alice, .post, "/v1/certificate/renew", try renewal(relay.admin.id, tlsKey)).problemCode == "renewal.other-member")
        #expect(try await relay.json(alice, .post, "/v1/certificate/renew", ["certificate_request": "nonsense"]).status == .unprocessableContent)

        // The renewed certificate expires later than the one it replaces.
        let before = try #require(try await relay.service.store.member(alice.id)?.certificateExpiresAt)
        relay.clock.advance(by: 120_000)  // less than the 5 minutes a certificate is back-dated, so TLS still accepts it
        let reply = try await relay.json(alice, .post, "/v1/certificate/renew", try renewal(alice.id, tlsKey))
        #expect(reply.status == .ok, "\(reply.text)")
        let renewed = try reply.json(RenewalBody.self)
        #expect(renewed.expiresAt > before && renewed.expiresAt > relay.clock.now + 364 * 86_400_000)
        #expect(try await relay.service.store.member(alice.id)?.certificateExpiresAt == renewed.expiresAt)
        // The renewed certificate works (and is for the same key); the old one is refused from now on.
        let again = Person(id: alice.id, keys: alice.keys, tlsKeyPEM: alice.tlsKeyPEM, certificatePEM: renewed.certificate)
        #expect(try await relay.request(again, .get, "/v1/inbox").status == .ok)
        #expect(try await relay.request(alice, .get, "/v1/inbox").problemCode == "auth.not-enrolled")
    }

    @Test func theMetricsCountCertificatesExpiringWithinThirtyDays() async throws {
        let relay = try await RelayHarness.start()
        defer { Task { await relay.stop() } }
        try await relay.addAgency("school-a", kind: "school")
        _ = try await relay.enrol("alice@school-a")
        _ = try await relay.enrol("bob@school-a")
        func expiring() async throws -> String {
            try await relay.request(relay.admin, .get, "/metrics").text.split(separator: "\n").first { $0.hasPrefix("isr_member_certificates_expiring_30d") }
                .map(String.init) ?? ""
        }
        let metrics = try await relay.request(relay.admin, .get, "/metrics").text
        #expect(try await expiring() == "isr_member_certificates_expiring_30d 0.0", "\(metrics.split(separator: "\n").filter { $0.contains("expiring") })")
        relay.clock.advance(by: 340 * 86_400_000)
        #expect(try await expiring() == "isr_member_certificates_expiring_30d 2.0")
    }

    @Test func theRelayCertificateIsRenewedAndReloadedOnSIGHUPWithoutARestart() async throws {
        let relay = try RelayProcess()
        defer { _ = relay.stop(signal: SIGKILL) }
        func serial() throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "openssl s_client -connect 127.0.0.1:\(relay.port) -servername localhost -CAfile '\(relay.directory)/certs/ca.pem' "
                                 + "-verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -serial"]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let before = try serial()
        #expect(before.hasPrefix("serial="), "openssl verified the relay's certificate: \(before)")
        let renew = Process()
        renew.executableURL = try RelayProcess.executable
        renew.arguments = ["renew-certificate", "--config", relay.directory + "/relay.toml"]
        let out = Pipe()
        renew.standardOutput = out
        try renew.run()
        let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        renew.waitUntilExit()
        #expect(renew.terminationStatus == 0 && said.contains("Send the relay SIGHUP"), "\(said)")
        #expect(try serial() == before, "the running relay keeps its certificate until told")
        relay.signal(SIGHUP)
        var after = before
        let deadline = Date().addingTimeInterval(10)
        while after == before, Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            after = try serial()
        }
        #expect(after != before && after.hasPrefix("serial="), "new handshakes get the renewed certificate, verified by openssl")
        #expect(relay.stderr.contains("reloaded the relay's TLS certificate"))
        #expect(try await relay.request(relay.admin, .get, "/healthz").status == .ok, "still serving, same process")
        // A key that does not match the certificate is refused on reload, and the relay keeps serving the last good pair.
        try P256.Signing.PrivateKey().pemRepresentation.write(toFile: relay.directory + "/certs/relay.key", atomically: true, encoding: .utf8)
        relay.signal(SIGHUP)
        let refusedBy = Date().addingTimeInterval(10)
        while !relay.stderr.contains("kept the current TLS certificate"), Date() < refusedBy { try await Task.sleep(for: .milliseconds(100)) }
        #expect(relay.stderr.contains("kept the current TLS certificate"))
        #expect(try serial() == after)
    }
}
