import Testing
@testable import ISRClient

/// The staff list an admin invites from: RFC 4180 quoting, any column order, bounded, and every row checked.
@Suite struct StaffListTests {
    @Test func quotedFieldsColumnOrderAndLineEndings() throws {
        let list = try StaffList(csv: "Role,ID,Name,Room\r\npractitioner,alice@school-a,\"Smith, \"\"Ali\"\"\",12\r\ndsl,dina@school-a,Dina Patel,3\r\n\r\n")
        #expect(list.people.map(\.id.rawValue) == ["alice@school-a", "dina@school-a"])
        #expect(list.people.map(\.name) == ["Smith, \"Ali\"", "Dina Patel"] && list.people.map(\.role) == ["practitioner", "dsl"])
        #expect(StaffList.field("Smith, \"Ali\"") == "\"Smith, \"\"Ali\"\"\"" && StaffList.field("Dina") == "Dina")
    }

    @Test func everyBadListIsAOneLineUsageError() {
        let bad: [(String, String)] = [
            ("id,name\nalice@school-a,A\n", "id,name,role"),
            ("id,name,role\nalice,A,practitioner\n", "row 2"),
            ("id,name,role\nalice@school-a,A,practitioner\nalice@school-a,B,dsl\n", "appears twice"),
            ("id,name,role\nalice@school-a,\"A,practitioner\n", "inside a quoted field"),
            ("id,name,role\nalice@school-a,A\n", "has 2 fields"),
            ("id,name,role\nalice@school-a,\u{1b}[2J,practitioner\n", "one line"),
            ("id,name,role\n", "1–500 people"),
        ]
        for (text, words) in bad {
            let error = #expect(throws: ClientError.self) { try StaffList(csv: text) }
            #expect(error?.code == .usage && error?.message.contains(words) == true, "\(text): \(error?.message ?? "")")
        }
        let many = "id,name,role\n" + (0...500).map { "p\($0)@school-a,P,practitioner" }.joined(separator: "\n")
        #expect(throws: ClientError.self) { try StaffList(csv: many) }
    }
}
