import Testing
@testable import ISRPolicy

@Suite struct IdentifierScannerTests {
    @Test(arguments: [
        ("NHS 943 476 5919 on file", IdentifierScanner.Kind.nhsNumber, "943 476 5919"),
        ("nhs:9434765919.", .nhsNumber, "9434765919"),
        ("number 943-476-5919", .nhsNumber, "943-476-5919"),
        ("lives near PL1 2AA", .postcode, "PL1 2AA"),
        ("at sw1a 1aa today", .postcode, "sw1a 1aa"),
        ("born 12/03/2015", .dateOfBirth, "12/03/2015"),
        ("dob 2015-03-12", .dateOfBirth, "2015-03-12"),
        ("born on 12th March 2015", .dateOfBirth, "12th March 2015"),
        ("born March 12, 2015", .dateOfBirth, "March 12, 2015"),
        ("mum on 07700 900123", .phoneNumber, "07700 900123"),
        ("ring +44 7700 900123", .phoneNumber, "+44 7700 900123"),
        ("helpline (01752) 304339", .phoneNumber, "(01752) 304339"),
        ("write to a.teacher@school.example.org now", .email, "a.teacher@school.example.org"),
    ])
    func findsIdentifiers(text: String, kind: IdentifierScanner.Kind, match: String) throws {
        let findings = IdentifierScanner.scan(text)
        #expect(findings.count == 1, "\(findings)")
        let finding = try #require(findings.first)
        #expect(finding.kind == kind)
        #expect(finding.text == match)
        let start = text.index(text.startIndex, offsetBy: finding.firstCharacter - 1)
        let end = text.index(text.startIndex, offsetBy: finding.lastCharacter)
        #expect(String(text[start..<end]) == match, "the span points at the match")
    }

    @Test(arguments: [
        "A Year 5 pupil, aged 9, in the lunch queue on Tuesday.",
        "Three siblings; the eldest is 14. Room 101, period 3.",
        "Rent arrears of £1200 since 2024.",
        "943 476 5918 fails the NHS check digit",
        "Seen in November 2026 and again on 17 November.",
        "Scored 12/20 in the test.",
    ])
    func leavesOrdinaryTextAlone(text: String) {
        #expect(IdentifierScanner.scan(text) == [])
    }

    @Test func nhsCheckDigit() {
        #expect(IdentifierScanner.isValidNHSNumber("9434765919"))
        #expect(IdentifierScanner.isValidNHSNumber("4010232137"))
        #expect(!IdentifierScanner.isValidNHSNumber("4010232138"))
        #expect(!IdentifierScanner.isValidNHSNumber("123456789"))
        // 6 × 2 = 12, 12 mod 11 = 1, so the check digit would be 10: no number with this prefix is valid.
        for last in 0...9 { #expect(!IdentifierScanner.isValidNHSNumber(Substring("000000006\(last)"))) }
    }

    @Test func findsSeveralAndReportsThemInOrder() {
        let findings = IdentifierScanner.scan("Sam (DOB 01/02/2016) at PL4 8AA, mum 07700 900123.")
        #expect(findings.map(\.kind) == [.dateOfBirth, .postcode, .phoneNumber])
        #expect(findings.map(\.firstCharacter) == [10, 25, 38])
    }
}
