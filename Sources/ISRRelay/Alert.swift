import Foundation
import ISRCrypto
import ISRRelayAPI

/// One content-free alert for one address: which event happened to which packet, its purpose, the agency it came from
/// and its deadline. Never packet content, subject references or people's names — only what the relay already sees.
struct Alert: Sendable, Equatable, Encodable {
    /// The audit leaf of the event: the same id `GET /v1/events` uses.
    let event: UInt64
    let kind: String
    /// The member or role address the alert is for.
    let address: String
    let packet: String?
    let reply: String?
    let packetKind: String?
    let purpose: String?
    let purposeTitle: String?
    /// The display name of the agency the event came from (the sender's, or the answering recipient's).
    let fromAgency: String?
    let deadline: Int64?
    let time: Int64

    init(_ body: RelayEventBody, address: String, purposeTitle: String?, fromAgency: String?) {
        event = body.id
        kind = body.kind
        self.address = address
        packet = body.packet
        reply = body.reply
        packetKind = body.packetKind
        purpose = body.purpose
        self.purposeTitle = purposeTitle
        self.fromAgency = fromAgency
        deadline = body.deadline
        time = body.time
    }

    /// The webhook body: this alert as JSON, snake_case keys, sorted.
    var json: Data { (try? ISRJSON.encoder().encode(self)) ?? Data() }

    /// One sentence a person can act on, e.g. "A child protection enquiry from Devon Police awaits a read-back from
    /// duty@devon-csc by Mon 23 Nov 14:30 GMT."
    func sentence(in timeZone: TimeZone) -> String {
        let what = Self.midSentence(Self.clean(purposeTitle ?? packetKind.map { "\($0) packet" } ?? "packet"))
        let from = fromAgency.map { " from \(Self.clean($0))" } ?? ""
        let by = deadline.map { " by \(Self.format($0, timeZone))" } ?? ""
        let lead = what.prefix(1).uppercased() + what.dropFirst()
        switch kind {
        case "new-packet":
            return deadline == nil ? "\(Self.article(what)) \(what)\(from) has arrived for \(address)." : "\(Self.article(what)) \(what)\(from) awaits a read-back from \(address)\(by)."
        case "held-for-countersignature":
            return "\(Self.article(what)) \(what) is held for your countersignature before it is released."
        case "read-back-received":
            return "The read-back\(from) of your \(what) has arrived; confirm it or ask for clarification."
        case "confirmed":
            return "Your read-back of \(Self.article(what).lowercased()) \(what)\(from) was confirmed."
        case "clarification-requested":
            return "Your read-back of \(Self.article(what).lowercased()) \(what)\(from) needs clarification; send a new read-back."
        case "returned":
            return "Your \(what) was returned by your countersigner; read their reasons."
        case "escalation":
            return "\(lead): a read-back or countersignature due\(by) is overdue; you are notified to follow it up."
        default:
            return "\(lead): \(kind)."
        }
    }

    /// The whole message handed to sendmail: headers, then a short plain-text body.
    func email(from: String, to: String, timeZone: TimeZone) -> String {
        let sentence = self.sentence(in: timeZone)
        var body = sentence + "\n\n"
        if let packet { body += "Packet: \(packet)\n" }
        body += "Open it with `isr inbox` or `isr ui` on your own device.\n\n"
        body += "This alert carries no content: what was shared is readable only with your keys.\n"
        let date = Date(timeIntervalSince1970: Double(time) / 1000)
        let headers = [
            "From: \(from)",
            "To: \(to)",
            "Subject: \(Self.header("ISR: " + sentence))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <isr-\(event)-\(kind)-\(address.replacingOccurrences(of: "@", with: "."))@\(from.split(separator: "@").last ?? "localhost")>",
            "Auto-Submitted: auto-generated",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        ]
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body.replacingOccurrences(of: "\n", with: "\r\n")
    }

    /// "Child in need assessment" → "child in need assessment"; "MASH enquiry" stays as it is.
    static func midSentence(_ title: String) -> String {
        let letters = Array(title.prefix(2))
        guard letters.count == 2, letters[0].isUppercase, !letters[1].isUppercase else { return title }
        return title.prefix(1).lowercased() + title.dropFirst()
    }

    static func article(_ word: String) -> String {
        guard let first = word.lowercased().first else { return "A" }
        return "aeiou".contains(first) ? "An" : "A"
    }

    /// Text from the registry (agency names) or the policy, without control characters, at most 120 characters.
    static func clean(_ text: String) -> String {
        String(String(text.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) }).prefix(120))
    }

    /// A header value: plain ASCII as is, anything else as an RFC 2047 encoded word.
    static func header(_ text: String) -> String {
        let value = clean(text)
        guard value.unicodeScalars.allSatisfy({ $0.isASCII }) else { return "=?UTF-8?B?\(Data(value.utf8).base64EncodedString())?=" }
        return value
    }

    static func format(_ milliseconds: Int64, _ timeZone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = timeZone
        formatter.dateFormat = "EEE d MMM HH:mm zzz"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
