import Foundation
import Testing

/// `isr send` on a real pseudo-terminal with nothing but the identity: it shows the purpose's guidance first, asks who
/// gave consent, asks again for a date of birth of `yes`, asks whether an untagged item is fact, opinion or reported,
/// and finds the recipient in the verified directory — and what it sends is what was answered.
extension CLIJourneyTests {
    @Test func theGuidedSendAsksForEverythingValidatesAnswersAndLosesNone() throws {
        let (relay, _, _, _, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner")],
                                             duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        let answers = ["child-in-need", "public-task", "safeguarding", "given", "Mother, by phone on 20 Nov", "Sam Example", "yes", "2015-03-12", "yes",
                       "Assessment of needs", "Attendance 62% this term", "fact", "opinion: Withdrawn in class", "", "class teacher", "bob", "bob@devon-csc", "y"]
        let run = try isrOnTerminal(["send", "--json"], home: "alice", input: answers.joined(separator: "\n") + "\n")
        #expect(run.status == 0, "\(run.stdout)")
        for shown in ["Child in need", "Which lawful basis", "Who gave consent, and when?", "a date of birth is written YYYY-MM-DD",
                      "a fact, an opinion, or reported?", "bob@devon-csc  Bob Jones, practitioner", "Send? [y/N]"] {
            #expect(run.stdout.contains(shown), "shown: \(shown)")
        }
        let guidance = try #require(run.stdout.range(of: "Which lawful basis")).lowerBound
        #expect(try #require(run.stdout.range(of: "Child in need")).lowerBound < guidance, "the guidance comes before the questions")
        // The result is the JSON object after the last prompt.
        let match = try #require(run.stdout.firstMatch(of: /"id":"([0-9a-f]{32})"/), "\(run.stdout)")
        let id = String(match.1)
        let read = try isr(["read", id], home: "bob")
        expect(read, exit: 0, "[FACT] Attendance 62% this term")
        #expect(read.stdout.contains("[OPINION] Withdrawn in class") && read.stdout.contains("date_of_birth: 2015-03-12")
                && read.stdout.contains("consent: Mother, by phone on 20 Nov"), "\(read.stdout)")
    }

    @Test func anInterruptedGuidedSendResumesFromItsSealedDraft() throws {
        let (relay, _, _, _, _) = try deploy([("alice@school-a", "Alice Smith", "practitioner"), ("bob@devon-csc", "Bob Jones", "practitioner")],
                                             duty: ["bob@devon-csc"])
        defer { relay.terminate(); relay.waitUntilExit() }
        // Three wrong dates of birth end the first attempt; every answer before them is kept.
        let first = try isrOnTerminal(["send"], home: "alice", input: ["child-in-need", "public-task", "safeguarding", "given", "Mother, by phone on 20 Nov",
                                                                      "Sam Example", "yes", "no", "maybe"].joined(separator: "\n") + "\n")
        #expect(first.status != 0 && first.stdout.contains("no valid answer"), "\(first.stdout)")
        let draft = root + "/alice/drafts/send.draft"
        let sealed = try #require(FileManager.default.contents(atPath: draft), "the draft is kept in the home")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("Sam Example"), "the draft is sealed")
        #expect((try FileManager.default.attributesOfItem(atPath: draft)[.posixPermissions] as? Int) == 0o600)
        // --resume asks only what is still missing.
        let resumed = try isrOnTerminal(["send", "--resume", "--json"], home: "alice",
                                        input: ["2015-03-12", "yes", "Assessment of needs", "fact: Attendance 62% this term", "", "class teacher",
                                                "bob@devon-csc", "y"].joined(separator: "\n") + "\n")
        #expect(resumed.status == 0, "\(resumed.stdout)")
        #expect(resumed.stdout.contains("Resuming the draft saved"))
        for asked in ["What is the legitimate purpose", "Which lawful basis", "Who gave consent"] { #expect(!resumed.stdout.contains(asked), "asked again: \(asked)") }
        let match = try #require(resumed.stdout.firstMatch(of: /"id":"([0-9a-f]{32})"/), "\(resumed.stdout)")
        let read = try isr(["read", String(match.1)], home: "bob")
        expect(read, exit: 0, "consent: Mother, by phone on 20 Nov")
        #expect(read.stdout.contains("name: Sam Example") && read.stdout.contains("date_of_birth: 2015-03-12") && read.stdout.contains("[FACT] Attendance 62%"))
        // Sent, the draft is gone.
        #expect(!FileManager.default.fileExists(atPath: draft))
        expect(try isr(["send", "--resume", "--yes"], home: "alice"), exit: 2, "there is no draft to resume")
    }
}
