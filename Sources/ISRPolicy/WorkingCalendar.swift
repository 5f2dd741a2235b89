import Foundation

/// Working days for deadlines: Monday to Friday in a time zone, minus listed holidays (bank holidays,
/// school closure days). The relay's configuration supplies the time zone and holidays.
public struct WorkingCalendar: Sendable, Equatable {
    public let timeZone: TimeZone
    /// Non-working dates, `YYYY-MM-DD`, in `timeZone`.
    public let holidays: Set<String>
    /// The same dates as `year * 10000 + month * 100 + day`, and one calendar built once: deadlines are computed on every acceptance.
    private let holidayKeys: Set<Int>
    private let calendar: Calendar

    /// Refuses an unknown time zone or a holiday that is not a `YYYY-MM-DD` date.
    public init(timeZone identifier: String = "Europe/London", holidays: [String] = []) throws(PolicyError) {
        guard let zone = TimeZone(identifier: identifier) else {
            throw PolicyError(.invalid, "time zone `\(identifier)` is unknown; use an IANA name such as Europe/London")
        }
        for day in holidays where Self.parse(day) == nil {
            throw PolicyError(.invalid, "holiday `\(day)` is not a date YYYY-MM-DD")
        }
        timeZone = zone
        self.holidays = Set(holidays)
        holidayKeys = Set(holidays.compactMap { Self.parse($0).map(Self.key) })
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        self.calendar = calendar
    }

    public static func == (a: WorkingCalendar, b: WorkingCalendar) -> Bool {
        a.timeZone == b.timeZone && a.holidays == b.holidays
    }

    /// True for Monday–Friday dates not listed as holidays.
    public func isWorkingDay(_ date: Date) -> Bool {
        let parts = calendar.dateComponents([.weekday, .year, .month, .day], from: date)
        guard let weekday = parts.weekday, (2...6).contains(weekday) else { return false }
        return !holidayKeys.contains(Self.key(parts))
    }

    /// The same local time `n` working days later (a day at a weekend or holiday does not count).
    public func addingWorkingDays(_ n: Int, to start: Date) -> Date {
        var date = start
        var remaining = n
        // Bounded: n is at most 30 by policy validation, and no calendar has more than a few hundred holidays in a row.
        for _ in 0..<(n * 7 + 400) where remaining > 0 {
            guard let next = calendar.date(byAdding: .day, value: 1, to: date) else { break }
            date = next
            if isWorkingDay(date) { remaining -= 1 }
        }
        return date
    }

    /// The first working day strictly after `start`'s local date, at `hour:minute` local time.
    public func nextWorkingDay(after start: Date, atHour hour: Int, minute: Int) -> Date {
        let day = addingWorkingDays(1, to: calendar.startOfDay(for: start))
        return calendar.date(bySettingHour: hour, minute: minute, second: 0, of: day) ?? day
    }

    static func parse(_ text: String) -> DateComponents? {
        let parts = text.split(separator: "-")
        guard text.count == 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        return DateComponents(year: y, month: m, day: d)
    }

    static func key(_ parts: DateComponents) -> Int {
        (parts.year ?? 0) * 10_000 + (parts.month ?? 0) * 100 + (parts.day ?? 0)
    }
}
