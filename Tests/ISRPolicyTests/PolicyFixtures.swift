import Foundation
import ISRPacket
@testable import ISRPolicy

enum PolicyFixtures {
    static let shippedPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/policy.toml").path

    static func shipped() throws -> Policy { try Policy.load(from: shippedPath) }

    static let alice = try! MemberID("alice@school-a")
    static let bob = try! MemberID("bob@devon-csc")

    /// A share that breaks no rule of the shipped policy.
    static func validShare() -> (PacketHeader, PacketBody) {
        let body = PacketBody(
            statement: "Child-in-need assessment: attendance and presentation concerns.",
            items: [BodyItem(tag: .fact, text: "Attendance 62% this term.", source: "school register", refersTo: "2026-11-13")],
            fields: [SubjectField(name: "name", value: "Sam Example"), SubjectField(name: "date_of_birth", value: "2015-03-12")],
            consentDetail: "Mother refused on 17 November; risk of significant harm (neglect) justifies sharing; agreed with the DSL.",
            subjectInformed: false, informedReason: "Telling the family now could increase the risk to the child.")
        let header = PacketHeader(kind: .share, sender: alice, recipients: [bob], purpose: "child-in-need", lawfulBasis: "public-task",
                                  condition: "safeguarding", consent: .refused, createdAt: 1_795_000_000, fieldNames: body.fieldNames, subjectReference: "CASE-42", retentionDays: 90)
        return (header, body)
    }

    /// An anonymous consultation that breaks no rule.
    static func validConsultation() -> (PacketHeader, PacketBody) {
        let body = PacketBody(statement: "Advice please, without identifying the child.",
                              items: [BodyItem(tag: .reported, text: "A Year 5 pupil, aged 9, says they are often left alone overnight.", source: "teaching assistant", refersTo: "2026-11-17")],
                              fields: [SubjectField(name: "age_years", value: "9"), SubjectField(name: "concern_category", value: "neglect")],
                              ask: "Does this meet the threshold for a referral?")
        let header = PacketHeader(kind: .consultation, sender: alice, recipients: [bob], purpose: "anonymous-consultation", lawfulBasis: "public-task",
                                  consent: .notSought, createdAt: 1_795_000_000, fieldNames: body.fieldNames, retentionDays: 30)
        return (header, body)
    }
}
