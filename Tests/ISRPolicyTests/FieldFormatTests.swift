import Foundation
import Testing
@testable import ISRPolicy

/// Field shapes checked as they are typed: each bad answer is named with how to write it.
@Suite struct FieldFormatTests {
    @Test func knownFieldsMustTakeTheirShapeAndOthersAreFreeText() {
        let now = FieldFormat.day("2026-11-22") ?? Date()
        #expect(FieldFormat.problem(field: "date_of_birth", value: "2015-03-12", now: now) == nil)
        for bad in ["yes", "12/03/2015", "2015-02-30", "2015-3-12"] {
            #expect(FieldFormat.problem(field: "date_of_birth", value: bad, now: now)?.contains("YYYY-MM-DD") == true, "\(bad)")
        }
        #expect(FieldFormat.problem(field: "date_of_birth", value: "2027-01-01", now: now)?.contains("future") == true)
        #expect(FieldFormat.problem(field: "date_of_birth", value: "1960-01-01", now: now)?.contains("25 years") == true)
        #expect(FieldFormat.problem(field: "nhs_number", value: "943 476 5919") == nil)
        #expect(FieldFormat.problem(field: "nhs_number", value: "943 476 5918") != nil)
        #expect(FieldFormat.problem(field: "postcode", value: "EX1 1AA") == nil && FieldFormat.problem(field: "postcode", value: "Exeter") != nil)
        #expect(FieldFormat.problem(field: "incident_datetime", value: "2026-11-21 23:10") == nil)
        #expect(FieldFormat.problem(field: "incident_datetime", value: "last night") != nil)
        #expect(FieldFormat.problem(field: "child_present", value: "yes") == nil && FieldFormat.problem(field: "child_present", value: "maybe") != nil)
        #expect(FieldFormat.problem(field: "age_years", value: "9") == nil && FieldFormat.problem(field: "age_years", value: "nine") != nil)
        #expect(FieldFormat.problem(field: "name", value: "Sam Example") == nil && FieldFormat.problem(field: "name", value: " ") != nil)
    }
}
