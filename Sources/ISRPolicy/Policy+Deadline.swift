import Foundation
import ISRPacket

extension Policy {
    /// When a read-back is due for a packet of `purpose` sent at `sent` with `urgency`: the purpose's rule,
    /// tightened by the urgency cap. Nil for an unknown purpose.
    public func acknowledgementDeadline(purpose code: String, urgency: Urgency, sentAt sent: Date, calendar: WorkingCalendar) -> Date? {
        guard let purpose = purposes[code] else { return nil }
        return purpose.acknowledgementDeadline.deadline(sentAt: sent, calendar: calendar, capHours: self.urgency.maxHours(for: urgency))
    }
}
