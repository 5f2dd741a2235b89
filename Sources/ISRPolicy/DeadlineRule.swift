import Foundation

/// How long a recipient has to acknowledge (post a read-back) before the packet is overdue and escalated.
public enum DeadlineRule: Sendable, Equatable, CustomStringConvertible {
    /// Seconds after sending: for test and exercise policies (escalation drills), not for real purposes.
    case seconds(Int)
    /// Clock hours after sending.
    case hours(Int)
    /// The same time of day, this many working days after sending.
    case workingDays(Int)
    /// The next working day (after the day of sending) at this local time, e.g. before school starts.
    case nextWorkingDayAt(hour: Int, minute: Int)

    public var description: String {
        switch self {
        case .seconds(let n): "within \(n) seconds"
        case .hours(let n): n == 1 ? "within 1 hour" : "within \(n) hours"
        case .workingDays(let n): n == 1 ? "within 1 working day" : "within \(n) working days"
        case .nextWorkingDayAt(let h, let m): "by " + String(format: "%02d:%02d", h, m) + " on the next working day"
        }
    }

    /// The deadline for a packet sent at `sent`, tightened by the urgency cap (hours) when given.
    public func deadline(sentAt sent: Date, calendar: WorkingCalendar, capHours: Int? = nil) -> Date {
        let rule: Date
        switch self {
        case .seconds(let n):
            rule = sent.addingTimeInterval(TimeInterval(n))
        case .hours(let n):
            rule = sent.addingTimeInterval(TimeInterval(n) * 3600)
        case .workingDays(let n):
            rule = calendar.addingWorkingDays(n, to: sent)
        case .nextWorkingDayAt(let hour, let minute):
            rule = calendar.nextWorkingDay(after: sent, atHour: hour, minute: minute)
        }
        guard let capHours else { return rule }
        return min(rule, sent.addingTimeInterval(TimeInterval(capHours) * 3600))
    }
}
