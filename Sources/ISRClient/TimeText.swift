import Foundation

/// A time as people read it in tables and pages (local time zone, to the minute), `-` when absent.
public func timeText(_ milliseconds: Int64?) -> String {
    guard let milliseconds else { return "-" }
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd HH:mm"
    return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
}
