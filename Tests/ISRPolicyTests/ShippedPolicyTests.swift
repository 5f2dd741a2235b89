import ISRPacket
import Testing
@testable import ISRPolicy

@Suite struct ShippedPolicyTests {
    @Test func coversThePurposesAndBasesOfTheContract() throws {
        let policy = try PolicyFixtures.shipped()
        #expect(policy.purposeCodes == ["anonymous-consultation", "child-in-need", "child-protection-enquiry", "domestic-abuse-notification",
                                        "early-help", "health-assessment", "mash-enquiry", "school-transition"])
        #expect(Set(policy.lawfulBases.keys) == ["consent", "legal-obligation", "vital-interests", "public-task", "legitimate-interests",
                                                 "recognised-legitimate-interest", "statutory-duty", "court-order"])
        // A condition for special-category data is not a lawful basis: safeguarding (Sch. 1 para. 18) is a condition.
        #expect(Set(policy.conditions.keys) == ["safeguarding", "statutory-purposes", "preventing-unlawful-acts", "vital-interests-unable-to-consent",
                                                "health-care", "explicit-consent"])
        #expect(policy.conditions["safeguarding"]?.reference.contains("Sch. 1 Part 2 para. 18") == true)
        #expect(policy.conditions.values.filter(\.consentBased).map(\.code) == ["explicit-consent"])
        // (f) and (ea) are not for public authorities performing their tasks.
        for basis in ["legitimate-interests", "recognised-legitimate-interest"] {
            #expect(policy.lawfulBases[basis]?.availableTo == ["voluntary", "private-provider", "early-years"], "\(basis)")
        }
        #expect(policy.lawfulBases.values.filter(\.consentBased).map(\.code) == ["consent"])
        #expect(policy.agencyKinds == ["school", "early-years", "health", "police", "childrens-social-care", "mash", "local-authority", "voluntary",
                                       "private-provider"])
    }

    @Test func rulesFollowTheGuidance() throws {
        let policy = try PolicyFixtures.shipped()
        let anonymous = try #require(policy.purposes["anonymous-consultation"])
        #expect(!anonymous.identifyingAllowed)
        #expect(anonymous.allowedFields.allSatisfy { policy.fields[$0]?.identifying == false })
        let cp = try #require(policy.purposes["child-protection-enquiry"])
        #expect(cp.countersign, "never a lone decision in a serious case")
        #expect(!cp.lawfulBases.contains("consent"))
        #expect(policy.purposes.values.filter(\.countersign).map(\.code) == ["child-protection-enquiry"])
        #expect(cp.countersignWithin == .hours(1), "a held enquiry escalates to the sender's dsl/managers after an hour")
        #expect(anonymous.lawfulBases.isEmpty, "no one is identified, so no lawful basis is needed")
        #expect(["voluntary", "early-years", "private-provider"].allSatisfy(anonymous.recipientAgencyKinds.contains), "every sector can be consulted")
        let encompass = try #require(policy.purposes["domestic-abuse-notification"])
        #expect(Set(encompass.allowedFields) == ["name", "date_of_birth", "school", "incident_datetime", "child_present"])
        #expect(Set(encompass.requiredFields) == ["name", "incident_datetime", "child_present"])
        #expect(encompass.recipientAgencyKinds == ["school"])
        #expect(encompass.acknowledgementDeadline == .nextWorkingDayAt(hour: 8, minute: 30))
        #expect(policy.purposes["early-help"]?.conditions.contains("safeguarding") == false, "refused consent in early help is escalated, not overridden")
        #expect(policy.purposes["health-assessment"]?.specialCategory == true && encompass.specialCategory == false && !anonymous.specialCategory)
        #expect(policy.purposes["health-assessment"]?.recipientAgencyKinds == ["health"])
        #expect(policy.purposes["school-transition"]?.requiredFields.contains("upn") == true)
        for purpose in policy.purposes.values {
            #expect(!purpose.guidance.isEmpty && purpose.retentionDays > 0, "\(purpose.code)")
        }
    }
}
