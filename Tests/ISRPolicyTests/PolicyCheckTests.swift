import ISRPacket
import Testing
@testable import ISRPolicy

/// Every rule: the valid baseline passes, and one change breaks exactly that rule.
@Suite struct PolicyCheckTests {
    let policy = try! PolicyFixtures.shipped()

    func rules(_ header: PacketHeader, _ body: PacketBody, kinds: [MemberID: String]? = nil) -> [PolicyViolation.Rule] {
        policy.check(header: header, body: body, recipientAgencyKinds: kinds).map(\.rule)
    }

    func only(_ rule: PolicyViolation.Rule, _ header: PacketHeader, _ body: PacketBody, kinds: [MemberID: String]? = nil) -> String? {
        let violations = policy.check(header: header, body: body, recipientAgencyKinds: kinds)
        #expect(violations.map(\.rule) == [rule])
        return violations.first?.message
    }

    @Test func validPacketsPass() {
        let (h, b) = PolicyFixtures.validShare()
        #expect(rules(h, b, kinds: [PolicyFixtures.bob: "childrens-social-care"]) == [])
        let (ch, cb) = PolicyFixtures.validConsultation()
        #expect(rules(ch, cb) == [])
    }

    @Test func unknownPurposeListsTheChoices() {
        var (h, b) = PolicyFixtures.validShare()
        h.purpose = "general-concern"
        let message = only(.unknownPurpose, h, b)
        #expect(message?.contains("child-in-need, child-protection-enquiry") == true)
    }

    @Test func lawfulBasisMustBeAllowedAndPresent() {
        var (h, b) = PolicyFixtures.validShare()
        h.purpose = "early-help"
        h.condition = "health-care"
        h.retentionDays = 60
        h.lawfulBasis = "vital-interests"
        h.consent = .given
        b.consentDetail = nil
        let message = only(.lawfulBasisNotAllowed, h, b)
        #expect(message == "purpose `early-help` does not allow lawful basis `vital-interests`; choose one of consent, public-task, legitimate-interests")
        h.lawfulBasis = nil
        #expect(only(.lawfulBasisMissing, h, b)?.contains("consent, public-task") == true)
    }

    @Test func consentPositionIsRecordedAndConsistent() {
        var (h, b) = PolicyFixtures.validShare()
        h.consent = .notApplicable
        b.consentDetail = nil
        _ = only(.consentMissing, h, b)
        (h, b) = PolicyFixtures.validShare()
        h.lawfulBasis = "consent"
        let message = only(.consentBasisContradiction, h, b)
        #expect(message?.contains("public-task, statutory-duty, recognised-legitimate-interest") == true)
        (h, b) = PolicyFixtures.validShare()
        b.consentDetail = nil
        #expect(only(.consentOverrideReasonMissing, h, b)?.contains("--consent-reason") == true)
        h.consent = .notSought
        h.lawfulBasis = "public-task"
        #expect(only(.consentOverrideReasonMissing, h, b)?.contains("consent was not sought") == true, "not seeking consent needs a reason too")
        h.consent = .given
        h.lawfulBasis = "consent"
        #expect(rules(h, b) == [], "consent given needs no override reason")
    }

    @Test func legitimateInterestsAreNotForPublicAuthorities() {
        var (h, b) = PolicyFixtures.validShare()
        h.purpose = "early-help"
        h.condition = "health-care"
        h.retentionDays = 60
        h.lawfulBasis = "legitimate-interests"
        h.consent = .given
        h.fieldNames = ["date_of_birth", "name"]
        b.fields = b.fields.filter { ["date_of_birth", "name"].contains($0.name) }
        let message = policy.checkHeader(h, senderAgencyKind: "school").first?.message
        #expect(message?.contains("not to a school performing its tasks; choose consent, public-task") == true, "\(String(describing: message))")
        #expect(policy.checkHeader(h, senderAgencyKind: "voluntary").isEmpty, "a charity may rely on legitimate interests")
    }

    @Test func earlyHelpDoesNotOverrideARefusalButPointsToAnotherPurpose() {
        var (h, b) = PolicyFixtures.validShare()
        h.purpose = "early-help"
        h.condition = "health-care"
        h.retentionDays = 60
        let message = only(.consentRefusedUseAnotherPurpose, h, b)
        #expect(message?.contains("use mash-enquiry or child-protection-enquiry instead") == true, "\(String(describing: message))")
        h.purpose = "mash-enquiry"
        h.condition = "safeguarding"
        h.retentionDays = 90
        #expect(rules(h, b) == [], "a MASH enquiry may override the refusal, with the reason recorded")
    }

    @Test func aSpecialCategoryPurposeNeedsAConditionBesidesItsBasis() {
        var (h, b) = PolicyFixtures.validShare()
        h.condition = nil
        #expect(only(.conditionMissing, h, b)?.contains("safeguarding, statutory-purposes, health-care, explicit-consent") == true)
        h.condition = "public-task"
        #expect(only(.conditionNotAllowed, h, b)?.contains("does not allow condition `public-task`") == true, "a lawful basis is not a condition")
        h.condition = "explicit-consent"
        #expect(only(.consentBasisContradiction, h, b)?.contains("condition `explicit-consent` cannot apply") == true, "consent was refused")
        h.consent = .given
        b.consentDetail = nil
        #expect(rules(h, b) == [])
        var (ch, cb) = PolicyFixtures.validConsultation()
        #expect(rules(ch, cb) == [], "an anonymous consultation identifies no one: no condition")
        ch.condition = "made-up"
        #expect(only(.conditionNotAllowed, ch, cb)?.contains("not in the policy") == true)
    }

    @Test func repliesGoToThePartiesWhateverTheirKind() {
        // A school's read-back of an Operation Encompass notification goes to the police: not a recipient kind of the purpose.
        let police = PolicyFixtures.alice
        let readBack = PacketHeader(kind: .readback, sender: PolicyFixtures.bob, recipients: [police], purpose: "domestic-abuse-notification",
                                    lawfulBasis: nil, consent: .notApplicable, createdAt: 1_800_000_000, inReplyTo: .random(), retentionDays: 30)
        #expect(policy.checkHeader(readBack, recipientAgencyKinds: [police: "police"]).isEmpty)
        var original = readBack
        original.kind = .share
        original.inReplyTo = nil
        #expect(policy.checkHeader(original, recipientAgencyKinds: [police: "police"]).map(\.rule).contains(.recipientKindNotAllowed))
    }

    @Test func subjectInformedOrWhyNot() {
        var (h, b) = PolicyFixtures.validShare()
        b.subjectInformed = nil
        b.informedReason = nil
        _ = only(.subjectInformedMissing, h, b)
        b.subjectInformed = false
        _ = only(.informedReasonMissing, h, b)
        b.subjectInformed = true
        #expect(rules(h, b) == [])
        (h, b) = PolicyFixtures.validConsultation()
        #expect(b.subjectInformed == nil && rules(h, b) == [], "an anonymous consultation identifies no one to inform")
    }

    @Test func fieldsMustBeAllowedRequiredAndMatch() {
        var (h, b) = PolicyFixtures.validShare()
        h.purpose = "early-help"
        h.condition = "health-care"
        h.retentionDays = 60
        h.fieldNames = ["date_of_birth", "name", "nhs_number"]
        b.fields.append(SubjectField(name: "nhs_number", value: "943 476 5919"))
        b.fields.sort { $0.name < $1.name }
        h.consent = .given
        h.lawfulBasis = "consent"
        b.consentDetail = nil
        #expect(only(.fieldNotAllowed, h, b) == "purpose `early-help` does not allow field `nhs_number` (it is not needed for this purpose); remove it, or choose a purpose that allows it")
        (h, b) = PolicyFixtures.validShare()
        h.fieldNames = ["name"]
        b.fields = [SubjectField(name: "name", value: "Sam Example")]
        #expect(only(.requiredFieldMissing, h, b)?.contains("--field date_of_birth=VALUE") == true)
        (h, b) = PolicyFixtures.validShare()
        b.fields = [SubjectField(name: "date_of_birth", value: "2015-03-12"), SubjectField(name: "name", value: "S"), SubjectField(name: "school", value: "X")]
        _ = only(.fieldsMismatch, h, b)
    }

    @Test func anonymousConsultationsRefuseIdentifyingFieldsReferencesAndText() {
        var (h, b) = PolicyFixtures.validConsultation()
        h.fieldNames = ["age_years", "concern_category", "name"]
        b.fields.append(SubjectField(name: "name", value: "Sam"))
        #expect(only(.fieldNotAllowed, h, b)?.contains("identifies the child") == true)
        (h, b) = PolicyFixtures.validConsultation()
        h.subjectReference = "CASE-42"
        _ = only(.subjectReferenceNotAllowed, h, b)
        (h, b) = PolicyFixtures.validConsultation()
        b.items[0].text = "Pupil with NHS number 943 476 5919 is often left alone."
        let message = only(.identifierInAnonymousText, h, b)
        #expect(message?.hasPrefix("item 1 text, characters 23–34: «943 476 5919» looks like an NHS number") == true, "\(message ?? "")")
        b.items[0].text = "Left alone."
        b.ask = "Call me on 07700 900123 or mail a.teacher@school.example.org"
        #expect(rules(h, b) == [.identifierInAnonymousText, .identifierInAnonymousText])
    }

    @Test func consultationKindNeedsAnAnonymousPurpose() {
        var (h, b) = PolicyFixtures.validConsultation()
        h.purpose = "early-help"
        h.condition = "health-care"
        h.retentionDays = 60
        #expect(rules(h, b).contains(.kindNotAllowedForPurpose))
    }

    @Test func recipientAgencyKindsAreChecked() {
        let (h, b) = PolicyFixtures.validShare()
        #expect(only(.recipientKindNotAllowed, h, b, kinds: [PolicyFixtures.bob: "police"])?.contains("not to bob@devon-csc (a police agency)") == true)
    }

    @Test func retentionMustMatchThePolicy() {
        var (h, b) = PolicyFixtures.validShare()
        h.retentionDays = 3650
        _ = only(.retentionMismatch, h, b)
    }

    @Test func eachKindSaysWhatItMust() {
        var (h, b) = PolicyFixtures.validShare()
        b.items = []
        b.fields = []
        h.fieldNames = []
        #expect(rules(h, b).contains(.nothingShared))
        let readback = PacketHeader(kind: .readback, sender: PolicyFixtures.bob, recipients: [PolicyFixtures.alice], purpose: "child-in-need",
                                    lawfulBasis: nil, consent: .notApplicable, createdAt: 1, inReplyTo: try! PacketID(hex: String(repeating: "ab", count: 16)), retentionDays: 90)
        #expect(rules(readback, PacketBody(statement: "Attendance 62%, teacher worried, no food at weekends.", concern: .high)) == [])
        #expect(rules(readback, PacketBody(statement: "Attendance 62%.")) == [.concernMissing])
        #expect(rules(readback, PacketBody(statement: "  ", concern: .low)) == [.statementMissing])
        var decline = readback
        decline.kind = .decline
        #expect(rules(decline, PacketBody(statement: "")) == [.statementMissing])
        #expect(rules(decline, PacketBody(statement: "Not necessary: the school already holds this.")) == [])
        var confirm = readback
        confirm.kind = .confirm
        #expect(rules(confirm, PacketBody(statement: "")) == [])
    }
}
