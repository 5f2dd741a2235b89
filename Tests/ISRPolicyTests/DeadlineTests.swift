import Foundation
import ISRPacket
import Testing
@testable import ISRPolicy

@Suite struct DeadlineTests {
    let calendar = try! WorkingCalendar(timeZone: "Europe/London", holidays: ["2026-12-25", "2026-12-28"])

    func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func secondsAreForDrills() throws {
        #expect(DeadlineRule.seconds(3).deadline(sentAt: date("2026-11-21T23:00:00Z"), calendar: calendar) == date("2026-11-21T23:00:03Z"))
        let policy = try Policy(toml: try String(contentsOfFile: PolicyFixtures.shippedPath, encoding: .utf8)
            .replacingOccurrences(of: "ack_deadline = { working_days = 3 }", with: "ack_deadline = { seconds = 2 }"))
        #expect(policy.purposes["child-in-need"]?.acknowledgementDeadline == .seconds(2))
    }

    @Test func hoursAreClockHours() {
        #expect(DeadlineRule.hours(4).deadline(sentAt: date("2026-11-21T23:00:00Z"), calendar: calendar) == date("2026-11-22T03:00:00Z"))
    }

    @Test func workingDaysSkipWeekendsAndHolidays() {
        // Friday 20 Nov 2026, 15:00 GMT + 3 working days = Wednesday 25 Nov 15:00.
        #expect(DeadlineRule.workingDays(3).deadline(sentAt: date("2026-11-20T15:00:00Z"), calendar: calendar) == date("2026-11-25T15:00:00Z"))
        // Thursday 24 Dec + 1 working day: 25th (holiday), 26–27 (weekend), 28th (holiday) → Tuesday 29th.
        #expect(DeadlineRule.workingDays(1).deadline(sentAt: date("2026-12-24T10:00:00Z"), calendar: calendar) == date("2026-12-29T10:00:00Z"))
    }

    @Test func nextWorkingDayBeforeSchool() {
        // Police notify on Friday night: the school must have it by Monday 08:30.
        #expect(DeadlineRule.nextWorkingDayAt(hour: 8, minute: 30).deadline(sentAt: date("2026-11-20T22:15:00Z"), calendar: calendar) == date("2026-11-23T08:30:00Z"))
        // In summer time 08:30 London is 07:30 UTC.
        #expect(DeadlineRule.nextWorkingDayAt(hour: 8, minute: 30).deadline(sentAt: date("2026-06-10T01:00:00Z"), calendar: calendar) == date("2026-06-11T07:30:00Z"))
    }

    @Test func urgencyTightensTheDeadline() throws {
        let policy = try PolicyFixtures.shipped()
        let sent = date("2026-11-20T15:00:00Z")
        #expect(policy.acknowledgementDeadline(purpose: "child-in-need", urgency: .routine, sentAt: sent, calendar: calendar) == date("2026-11-25T15:00:00Z"))
        #expect(policy.acknowledgementDeadline(purpose: "child-in-need", urgency: .priority, sentAt: sent, calendar: calendar) == date("2026-11-21T15:00:00Z"))
        #expect(policy.acknowledgementDeadline(purpose: "child-in-need", urgency: .urgent, sentAt: sent, calendar: calendar) == date("2026-11-20T17:00:00Z"))
        #expect(policy.acknowledgementDeadline(purpose: "nonsense", urgency: .urgent, sentAt: sent, calendar: calendar) == nil)
    }

    @Test func calendarInputIsValidated() {
        #expect(throws: PolicyError.self) { try WorkingCalendar(timeZone: "Mars/Olympus") }
        #expect(throws: PolicyError.self) { try WorkingCalendar(holidays: ["25/12/2026"]) }
    }
}
