import ISRClient
import ISRPacket
import Testing

/// The answers a share is built from: subject fields of a known shape are checked before anything is sealed, whichever
/// way they came (flags, a share file, the web form).
struct ShareAnswersTests {
    func answers(_ fields: [(String, String)]) -> ShareAnswers {
        var answers = ShareAnswers()
        (answers.consent, answers.statement, answers.facts, answers.source) = ("given", "Assessment", ["Attendance 62%"], "register")
        answers.fields = fields.map { SubjectField(name: $0.0, value: $0.1) }
        return answers
    }

    @Test func wellFormedFieldsMakeABody() throws {
        let (body, consent, _) = try answers([("name", "Sam Example"), ("date_of_birth", "2015-03-12"), ("nhs_number", "943 476 5919")]).body(consentOptional: false)
        #expect(body.fields.count == 3 && consent == .given)
    }

    @Test func everyMisshapenFieldIsNamedWithHowToWriteIt() {
        do {
            _ = try answers([("date_of_birth", "yes"), ("nhs_number", "9434765918"), ("postcode", "EX1")]).body(consentOptional: false)
            Issue.record("misshapen fields were accepted")
        } catch {
            #expect(error.code == .usage)
            for part in ["date_of_birth: a date of birth is written YYYY-MM-DD", "nhs_number: an NHS number is 10 digits", "postcode: a UK postcode"] {
                #expect(error.message.contains(part), "\(error.message)")
            }
        }
    }
}
