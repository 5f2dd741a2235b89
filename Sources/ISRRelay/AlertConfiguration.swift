import Foundation
import ISRPacket

/// `[alerts]` in `relay.toml`: content-free e-mails (through the system's `sendmail` interface) and JSON webhooks for
/// people who are not looking at a screen. Alerts never carry packet content, subject references or people's names.
public struct AlertConfiguration: Sendable, Equatable {
    /// An e-mail to `to` for every event that concerns `address` (a member, or a role address and so its duty members).
    public struct Email: Sendable, Equatable {
        public var address: MemberID
        public var to: String
    }

    /// A webhook to an agency's URL for every event that concerns one of the agency's members or role addresses.
    public struct Webhook: Sendable, Equatable {
        public var agency: AgencyID
        public var url: URL
        /// Extra trust root for the receiver's certificate (a PEM file); without it the system's roots are used.
        public var caCertificate: String?
        /// A shared secret (a file): each body is signed with HMAC-SHA256, sent as `ISR-Signature: sha256=HEX`.
        public var secretFile: String?
    }

    /// The sendmail-compatible command and its arguments (msmtp and postfix both qualify); the recipient is appended.
    public var sendmail: [String]
    public var from: String
    /// Attempts per alert before it is given up (counted in `/metrics` and logged).
    public var attempts: Int
    /// The wait before the first retry; each retry waits twice as long as the one before.
    public var backoffSeconds: Double
    public var email: [Email]
    public var webhooks: [Webhook]

    struct Document: Decodable {
        struct EmailRule: Decodable {
            var address: String
            var to: String
        }
        struct WebhookRule: Decodable {
            var agency: String
            var url: String
            var caCertificate: String?
            var secretFile: String?
            enum CodingKeys: String, CodingKey {
                case agency, url
                case caCertificate = "ca_certificate"
                case secretFile = "secret_file"
            }
        }
        var sendmail: [String]?
        var from: String?
        var attempts: Int?
        var backoffSeconds: Double?
        var email: [EmailRule]?
        var webhook: [WebhookRule]?
        enum CodingKeys: String, CodingKey {
            case sendmail, from, attempts, email, webhook
            case backoffSeconds = "backoff_seconds"
        }
    }

    /// An e-mail address we are willing to hand to a command line: no spaces, quotes, or a leading dash.
    static func isPlainAddress(_ text: String) -> Bool {
        guard text.utf8.count <= 254, !text.hasPrefix("-"), let at = text.lastIndex(of: "@") else { return false }
        let local = text[..<at], domain = text[text.index(after: at)...]
        let localOK = !local.isEmpty && local.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._%+-".contains($0)) }
        let domainOK = !domain.isEmpty && domain.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-".contains($0)) }
        return localOK && domainOK
    }

    /// Checks the `[alerts]` table, naming the key that is wrong; `resolve` makes relative paths absolute.
    static func make(_ document: Document, path: String, resolve: (String) -> String) throws(ConfigurationError) -> AlertConfiguration {
        let sendmail = document.sendmail ?? ["/usr/sbin/sendmail"]
        guard let command = sendmail.first, command.hasPrefix("/"), sendmail.count <= 16 else {
            throw ConfigurationError("\(path): alerts.sendmail is the absolute path of a sendmail-compatible command and its arguments, e.g. [\"/usr/bin/msmtp\", \"-C\", \"/etc/isr/msmtprc\"]")
        }
        let from = document.from ?? "isr-relay@localhost"
        guard isPlainAddress(from) else { throw ConfigurationError("\(path): alerts.from `\(from)` is not a plain e-mail address") }
        let attempts = document.attempts ?? 6
        guard (1...20).contains(attempts) else { throw ConfigurationError("\(path): alerts.attempts must be 1–20") }
        let backoff = document.backoffSeconds ?? 30
        guard (0.05...3600).contains(backoff) else { throw ConfigurationError("\(path): alerts.backoff_seconds must be 0.05–3600") }
        var email: [Email] = []
        for rule in document.email ?? [] {
            guard let address = try? MemberID(rule.address) else {
                throw ConfigurationError("\(path): alerts.email address `\(rule.address)` is not a member or role address (name@agency)")
            }
            guard isPlainAddress(rule.to) else { throw ConfigurationError("\(path): alerts.email to `\(rule.to)` is not a plain e-mail address") }
            email.append(Email(address: address, to: rule.to))
        }
        var webhooks: [Webhook] = []
        for rule in document.webhook ?? [] {
            guard let agency = try? AgencyID(rule.agency) else { throw ConfigurationError("\(path): alerts.webhook agency `\(rule.agency)` is not an agency id") }
            guard let url = URL(string: rule.url), url.scheme == "https", url.host != nil, rule.url.utf8.count <= 2048 else {
                throw ConfigurationError("\(path): alerts.webhook url `\(rule.url)` must be an https:// URL")
            }
            let secret = rule.secretFile.map(resolve)
            if let secret, !FileManager.default.isReadableFile(atPath: secret) {
                throw ConfigurationError("\(path): alerts.webhook secret_file \(secret) cannot be read")
            }
            webhooks.append(Webhook(agency: agency, url: url, caCertificate: rule.caCertificate.map(resolve), secretFile: secret))
        }
        return AlertConfiguration(sendmail: sendmail, from: from, attempts: attempts, backoffSeconds: backoff, email: email, webhooks: webhooks)
    }
}
