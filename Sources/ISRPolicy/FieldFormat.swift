import Foundation

/// The forms subject fields with a known shape must take, checked as a practitioner types them (a date of birth of
/// `yes` is asked for again, not sent). Fields not listed here are free text.
public enum FieldFormat {
    /// What is wrong with `value` for the field `name`, and how to write it; nil if it is acceptable.
    public static func problem(field name: String, value: String, now: Date = Date()) -> String? {
        let text = value.trimmingCharacters(in: .whitespaces)
        switch name {
        case "date_of_birth":
            guard let date = day(text) else { return "a date of birth is written YYYY-MM-DD, e.g. 2015-03-12" }
            guard date <= now else { return "\(text) is in the future" }
            guard date > now.addingTimeInterval(-26 * 365.25 * 86_400) else { return "\(text) is more than 25 years ago: check the year" }
            return nil
        case "nhs_number":
            return IdentifierScanner.isValidNHSNumber(text[...]) ? nil : "an NHS number is 10 digits whose last is its check digit (e.g. 943 476 5919); check it"
        case "postcode":
            return text.wholeMatch(of: /(?i)(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2})/) != nil
                ? nil : "a UK postcode, e.g. EX1 1AA"
        case "incident_datetime":
            let parts = text.split(separator: " ")
            guard parts.count == 2, day(String(parts[0])) != nil, parts[1].wholeMatch(of: /([01][0-9]|2[0-3]):[0-5][0-9]/) != nil else {
                return "a date and time is written YYYY-MM-DD HH:MM, e.g. 2026-11-21 23:10"
            }
            return nil
        case "child_present":
            return ["yes", "no"].contains(text) ? nil : "answer yes or no"
        case "age_years":
            return Int(text).map { (0...25).contains($0) } == true ? nil : "an age in whole years, 0 to 25"
        default:
            return text.isEmpty ? "this cannot be empty" : nil
        }
    }

    /// A calendar date in YYYY-MM-DD that exists (UTC midnight).
    static func day(_ text: String) -> Date? {
        guard text.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}/) != nil else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.isLenient = false
        guard let date = formatter.date(from: text), formatter.string(from: date) == text else { return nil }
        return date
    }
}
