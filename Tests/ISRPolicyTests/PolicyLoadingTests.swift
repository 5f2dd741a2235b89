import Foundation
import Testing
@testable import ISRPolicy

@Suite struct PolicyLoadingTests {
    let shippedText = try! String(contentsOfFile: PolicyFixtures.shippedPath, encoding: .utf8)

    func refusal(_ text: String) -> PolicyError? {
        #expect(throws: PolicyError.self) { try Policy(toml: text, source: "test.toml") }
    }

    @Test func syntaxErrorsNameTheLine() {
        let error = refusal("version = 1\nagency_kinds = [\"school\"\n")
        #expect(error?.code == .syntax)
        #expect(error?.message.hasPrefix("test.toml:") == true)
    }

    @Test func misspeltKeysAreRefusedNotIgnored() {
        let error = refusal(shippedText.replacingOccurrences(of: "countersign = true", with: "countersign = true\ncountersigned_by = \"dsl\""))
        #expect(error?.code == .unknownKey)
        #expect(error?.message.contains("countersigned_by") == true)
    }

    @Test func missingKeysAreNamed() {
        let error = refusal(shippedText.replacingOccurrences(of: "retention_days = 60\n", with: "\n"))
        #expect(error?.code == .invalid)
        #expect(error?.message.contains("retention_days") == true)
    }

    @Test(arguments: [
        ("lawful_bases = [\"consent\", \"public-task\", \"legitimate-interests\"]", "lawful_bases = [\"consent\", \"gut-feeling\"]", "gut-feeling"),
        ("required_fields = [\"name\", \"date_of_birth\", \"upn\"]", "required_fields = [\"name\", \"nhs_number\"]", "nhs_number"),
        ("allowed_fields = [\"age_years\",", "allowed_fields = [\"name\", \"age_years\",", "identifies the child"),
        ("ack_deadline = { working_days = 5 }\nretention_days = 60\n\n[purposes.mash", "ack_deadline = { working_days = 5, hours = 2 }\nretention_days = 60\n\n[purposes.mash", "exactly one"),
        ("next_working_day_at = \"08:30\"", "next_working_day_at = \"8.30am\"", "HH:MM"),
        ("recipient_agency_kinds = [\"school\"]", "recipient_agency_kinds = [\"church\"]", "church"),
        ("version = 1", "version = 2", "not supported"),
        ("urgent_max_hours = 2", "urgent_max_hours = 48", "urgent_max_hours"),
        ("[purposes.early-help]", "[purposes.Early-Help]", "not a code"),
        ("ack_deadline = { hours = 4 }", "ack_deadline = { seconds = 0 }", "seconds must be 1 to 86400"),
    ])
    func semanticErrorsSayWhatToChange(original: String, replacement: String, expected: String) {
        let text = shippedText.replacingOccurrences(of: original, with: replacement)
        #expect(text != shippedText, "fixture must change the policy")
        let error = refusal(text)
        #expect(error?.code == .invalid)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "no error")")
    }

    @Test func filesAreBoundedAndMustExist() throws {
        let dir = NSTemporaryDirectory() + "isr-policy-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let big = dir + "/big.toml"
        #expect(FileManager.default.createFile(atPath: big, contents: Data(repeating: 0x23, count: Policy.maximumFileBytes + 1)))
        #expect(throws: PolicyError.self) { try Policy.load(from: big) }
        let missing = #expect(throws: PolicyError.self) { try Policy.load(from: dir + "/none.toml") }
        #expect(missing?.code == .unreadable)
        let binary = dir + "/binary.toml"
        #expect(FileManager.default.createFile(atPath: binary, contents: Data([0xff, 0xfe, 0x00])))
        #expect((#expect(throws: PolicyError.self) { try Policy.load(from: binary) })?.code == .syntax)
    }
}
