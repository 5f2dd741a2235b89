import Foundation
import ISRCrypto
import TOMLKit

/// `SHARE.toml` for `isr send --file`: the same content as the flags, as a file a practitioner can prepare and
/// review. Unknown keys are errors (a misspelt `consent_reson` must not silently drop the reason).
///
///     to = ["bob@devon-csc"]
///     purpose = "child-in-need"
///     basis = "public-task"
///     condition = "safeguarding"
///     consent = "refused"
///     consent_reason = "…"
///     informed = "no"
///     informed_reason = "…"
///     statement = "…"
///     facts = ["…"]
///     opinions = ["…"]
///     reported = ["…"]
///     source = "class teacher"
///     date = "2026-11-20"
///     subject_ref = "CASE-7"
///     urgency = "routine"
///     ask = "…"
///     reply_to = "…"
///     [fields]
///     name = "Sam Example"
public struct ShareFile: Codable, Sendable, Equatable {
    public var to: [String]?
    public var purpose: String?
    public var basis: String?
    public var condition: String?
    public var consent: String?
    public var consentReason: String?
    public var informed: String?
    public var informedReason: String?
    public var statement: String?
    public var facts: [String]?
    public var opinions: [String]?
    public var reported: [String]?
    public var source: String?
    public var date: String?
    public var fields: [String: String]?
    public var subjectRef: String?
    public var urgency: String?
    public var ask: String?
    public var replyTo: String?

    /// An empty share file, to be filled field by field (a draft of answers given so far).
    public init() {}

    enum CodingKeys: String, CodingKey {
        case to, purpose, basis, condition, consent, informed, statement, facts, opinions, reported, source, date, fields, urgency, ask
        case consentReason = "consent_reason"
        case informedReason = "informed_reason"
        case subjectRef = "subject_ref"
        case replyTo = "reply_to"
    }

    public static func load(_ path: String) throws(ClientError) -> ShareFile {
        let bytes: [UInt8]
        do {
            bytes = try AtomicFile.read(path, limit: 256 * 1024)
        } catch {
            throw ClientError(.local, "cannot read the share file \(path): \(error.message)")
        }
        do {
            return try TOMLDecoder(strictDecoding: true).decode(ShareFile.self, from: String(decoding: bytes, as: UTF8.self))
        } catch let error as UnexpectedKeysError {
            throw ClientError(.usage, "\(path): unknown key(s) \(error.keys.keys.sorted().joined(separator: ", ")); see `isr help send` for the keys")
        } catch let error as TOMLParseError {
            throw ClientError(.usage, "\(path):\(error.source.begin.line): \(error.description)")
        } catch {
            throw ClientError(.usage, "\(path) is not a share file: \(error)")
        }
    }
}
