import Foundation
import Testing

/// Devices and re-keying through the real `isr` and `isr-relay`: a second device enrolled from the first, both reading the
/// same packet, one revoked; new keys for a device with every packet sealed to the old ones still readable.
extension CLIJourneyTests {
    var share: [String] {
        ["--to", "bob@devon-csc", "--purpose", "child-in-need", "--basis", "public-task", "--condition", "safeguarding", "--consent", "given",
         "--informed", "yes", "--statement", "Attendance", "--fact", "Attendance 62% this term", "--source", "register", "--field", "name=Sam Example",
         "--field", "date_of_birth=2015-03-12", "--subject-ref", "CASE-7", "--yes", "--json"]
    }

    @Test func aSecondDeviceReadsTheSamePacketAndARevokedDeviceStopsWorking() throws {
        let (relay, _, url, ca, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner")],
                                                duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        // Bob asks for a code on his laptop and uses it on his tablet; an admin approves the tablet's fingerprint.
        let invite = try isr(["device", "invite", "tablet", "--json"], home: "bob")
        let code = try #require(try json(invite)["code"] as? String, "\(invite.stderr)")
        expect(try isr(["device", "invite", "Tablet!"], home: "bob"), exit: 1, "lowercase letters, digits and hyphens")
        expect(try isr(["enrol", "--code", code, "--relay", url, "--ca", ca], home: "bob-tablet"), exit: 2, "isr device add")
        let added = try isr(["device", "add", "--code", code, "--relay", url, "--ca", ca], home: "bob-tablet")
        expect(added, exit: 0, "waiting for approval")
        expect(try isr(["admin", "member", "pending"], home: "admin"), exit: 0, "new device `tablet`")
        expect(try isr(["admin", "member", "approve", "bob@devon-csc"], home: "admin"), exit: 0, "Approved bob@devon-csc: new device `tablet`")
        expect(try isr(["device", "add", "--code", code], home: "bob-tablet"), exit: 0, "Enrolled as bob@devon-csc")
        expect(try isr(["device", "add", "--code", code, "--relay", url, "--ca", ca], home: "bob-other"), exit: 1, "already used")

        // Alice sees two verified devices and seals to both; each device opens the same packet.
        let directory = try #require(try JSONSerialization.jsonObject(with: Data(try isr(["directory", "bob", "--json"], home: "alice").stdout.utf8)) as? [[String: Any]])
        #expect(directory.first?["devices"] as? Int == 2 && directory.first?["verified"] as? Bool == true, "\(directory)")
        let id = try #require(try json(try isr(["send"] + share, home: "alice"))["id"] as? String)
        expect(try isr(["read", id], home: "bob"), exit: 0, "Attendance 62% this term")
        expect(try isr(["read", id], home: "bob-tablet"), exit: 0, "Attendance 62% this term")
        // The tablet's read-back is signed with the tablet's key; alice verifies it and confirms.
        expect(try isr(["ack", id, "--understood", "Attendance 62%", "--concern", "low"], home: "bob-tablet"), exit: 0, "Read-back")
        expect(try isr(["confirm", id, "--yes"], home: "alice"), exit: 0, "Confirmed \(id)")
        let devices = try isr(["device", "list"], home: "bob")
        expect(devices, exit: 0, "primary (this one)")
        #expect(devices.stdout.contains("tablet") && !devices.stdout.contains("NO"), "\(devices.stdout)")

        // The tablet is lost: bob revokes it from the laptop. It stops working; nothing new is sealed to it.
        expect(try isr(["device", "revoke", "tablet", "--reason", "left on the train"], home: "bob"), exit: 0, "Revoked device `tablet`")
        expect(try isr(["admin", "member", "revocations", "--json"], home: "admin"), exit: 0, "\"reason\":\"left on the train\"")
        expect(try isr(["inbox"], home: "bob-tablet"), exit: 1, "(`tablet`) has been revoked")
        let after = try #require(try json(try isr(["send"] + share, home: "alice"))["id"] as? String)
        expect(try isr(["read", after], home: "bob"), exit: 0, "Attendance 62% this term")
        expect(try isr(["directory", "bob", "--keys"], home: "alice"), exit: 0, "revoked")
        expect(try isr(["status", "--resend-needed"], home: "alice"), exit: 0, "Every recipient of what you sent can open it.")
        expect(try isr(["device", "revoke", "primary", "--reason", "x"], home: "bob"), exit: 1, "only active device")
    }

    @Test func aRekeyKeepsEveryPacketSealedToTheOldKeysReadable() throws {
        let (relay, _, _, _, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner")],
                                             duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        let before = try #require(try json(try isr(["send"] + share, home: "alice"))["id"] as? String)
        expect(try isr(["read", before], home: "bob"), exit: 0, "Attendance 62% this term")
        expect(try isr(["ack", before, "--understood", "Attendance 62%", "--concern", "low"], home: "bob"), exit: 0, "Read-back")
        let unread = try #require(try json(try isr(["send"] + share, home: "alice"))["id"] as? String)

        // Bob asks for new keys; until an admin approves them, his current keys keep working.
        let started = try isr(["rekey"], home: "bob")
        expect(started, exit: 0, "wait for an admin's approval")
        let asked = try json(try isr(["rekey", "--json"], home: "bob"))
        #expect(asked["state"] as? String == "submitted", "\(asked)")
        expect(try isr(["inbox"], home: "bob"), exit: 0, unread)
        expect(try isr(["admin", "member", "pending"], home: "admin"), exit: 0, "new keys for `primary`")
        expect(try isr(["admin", "member", "approve", "bob@devon-csc"], home: "admin"), exit: 0, "Approved bob@devon-csc: new keys for `primary`")
        try FileManager.default.copyItem(atPath: root + "/bob", toPath: root + "/bob-old")
        let done = try isr(["rekey"], home: "bob")
        expect(done, exit: 0, "Re-keyed bob@devon-csc's device `primary`")
        let fingerprint = try #require(asked["fingerprint"] as? String)
        #expect(done.stdout.contains(fingerprint) && started.stdout.contains(fingerprint), "the installed fingerprint is the one shown for approval")

        // The old certificate no longer works; packets sealed to the old key still open; new ones are sealed to the new key.
        expect(try isr(["inbox"], home: "bob-old"), exit: 1, "not enrolled with this certificate")
        expect(try isr(["status", "--resend-needed"], home: "alice"), exit: 0, "Every recipient of what you sent can open it.")
        expect(try isr(["read", unread], home: "bob"), exit: 0, "Attendance 62% this term")
        expect(try isr(["read", before], home: "bob"), exit: 0, "Attendance 62% this term")
        let after = try #require(try json(try isr(["send"] + share, home: "alice"))["id"] as? String)
        expect(try isr(["read", after], home: "bob"), exit: 0, "Attendance 62% this term")
        expect(try isr(["read", after], home: "bob-old"), exit: 1, "not enrolled with this certificate")
        // What bob signed with his old key (the read-back) still verifies for alice, and the directory shows the history.
        expect(try isr(["confirm", before, "--yes"], home: "alice"), exit: 0, "Confirmed \(before)")
        let history = try isr(["directory", "bob", "--keys"], home: "alice")
        expect(history, exit: 0, "retired")
        #expect(!history.stdout.contains("NO"), "every key in the history verifies: \(history.stdout)")
        // An unlock agent started before a re-key ends with it; a new one serves the new keys.
        expect(try isr(["unlock", "--for", "10m"], home: "bob"), exit: 0, "Unlocked")
        expect(try isr(["inbox"], home: "bob", environment: [:]), exit: 0, after)
        expect(try isr(["lock"], home: "bob"), exit: 0, "Locked")
    }
}
