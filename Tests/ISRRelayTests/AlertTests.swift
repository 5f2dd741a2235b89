import Foundation
@testable import ISRRelay
import ISRRelayAPI
import Testing

/// The alert's words and the `[alerts]` table, in process: every event kind reads as a sentence a person can act on,
/// text from the registry cannot inject headers, and a bad configuration names its key.
struct AlertTests {
    let london = TimeZone(identifier: "Europe/London") ?? .current
    func alert(_ kind: String, title: String? = "Child protection enquiry (Children Act 1989 s.47)", agency: String? = "Devon Police",
               deadline: Int64? = 1_795_357_800_000) -> Alert {
        Alert(RelayEventBody(id: 7, kind: kind, packet: "8f310ce0651ecdeaca27d4ba117708ea", packetKind: "share", purpose: "child-protection-enquiry",
                             deadline: deadline, time: 1_795_343_400_000),
              address: "duty@devon-csc", purposeTitle: title, fromAgency: agency)
    }

    @Test func everyKindReadsAsASentence() {
        #expect(alert("new-packet").sentence(in: london)
                == "A child protection enquiry (Children Act 1989 s.47) from Devon Police awaits a read-back from duty@devon-csc by Sun 22 Nov 14:30 GMT.")
        #expect(alert("new-packet", title: "Early help", deadline: nil).sentence(in: london) == "An early help from Devon Police has arrived for duty@devon-csc.")
        #expect(alert("new-packet", title: "MASH enquiry").sentence(in: london).hasPrefix("A MASH enquiry from Devon Police"))
        #expect(alert("held-for-countersignature").sentence(in: london).contains("is held for your countersignature"))
        #expect(alert("read-back-received").sentence(in: london).hasPrefix("The read-back from Devon Police of your child protection enquiry"))
        #expect(alert("confirmed").sentence(in: london).contains("was confirmed"))
        #expect(alert("clarification-requested").sentence(in: london).contains("needs clarification"))
        #expect(alert("returned").sentence(in: london).contains("returned by your countersigner"))
        #expect(alert("escalation", agency: nil).sentence(in: london).hasPrefix("Child protection enquiry (Children Act 1989 s.47): a read-back or countersignature due by Sun 22 Nov 14:30 GMT is overdue"))
    }

    @Test func registryTextCannotInjectHeadersAndNonASCIIIsEncoded() {
        let mail = alert("new-packet", agency: "Evil\r\nBcc: everyone@example.org").email(from: "isr@relay.example", to: "duty@csc.example", timeZone: london)
        let headers = mail.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
        #expect(!headers.contains { $0.hasPrefix("Bcc:") }, "\(headers)")
        #expect(headers.filter { $0.hasPrefix("Subject: ") }.count == 1)
        let welsh = alert("new-packet", agency: "Heddlu Dyfed-Powys — Gwasanaeth").email(from: "isr@relay.example", to: "a@b.example", timeZone: london)
        #expect(welsh.contains("Subject: =?UTF-8?B?"), "\(welsh)")
        #expect(welsh.contains("This alert carries no content"))
    }

    @Test func badAlertConfigurationNamesTheKey() throws {
        func load(_ table: String) -> String {
            let directory = NSTemporaryDirectory() + "isr-alert-config-" + UUID().uuidString
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try? (RelayHarness.configText(port: 0) + "\n" + table).write(toFile: directory + "/relay.toml", atomically: true, encoding: .utf8)
            do {
                _ = try RelayConfiguration.load(directory + "/relay.toml")
                return "loaded"
            } catch {
                return error.message
            }
        }
        #expect(load("[alerts]\n[[alerts.email]]\naddress = \"bob@devon-csc\"\nto = \"-oQ/tmp/x@evil\"\n").contains("alerts.email to `-oQ/tmp/x@evil` is not a plain e-mail address"))
        #expect(load("[alerts]\n[[alerts.email]]\naddress = \"Bob\"\nto = \"bob@x.example\"\n").contains("is not a member or role address"))
        #expect(load("[alerts]\n[[alerts.webhook]]\nagency = \"devon-csc\"\nurl = \"http://example.org/hook\"\n").contains("must be an https:// URL"))
        #expect(load("[alerts]\nsendmail = [\"msmtp\"]\n").contains("alerts.sendmail is the absolute path"))
        #expect(load("[alerts]\nattempts = 0\n").contains("alerts.attempts must be 1–20"))
        #expect(load("[alerts]\nretries = 3\n").contains("unknown key(s) alerts.retries"))
        #expect(load("[alerts]\nsendmail = [\"/usr/bin/msmtp\"]\n[[alerts.email]]\naddress = \"duty@devon-csc\"\nto = \"duty@csc.example\"\n") == "loaded")
    }
}
