import Foundation
import ISRPacket
import ISRPolicy

/// The answers a share is built from, in the guidance's order: the lawful basis (and condition), consent and why sharing
/// goes ahead without it, whether the child or family was told and why not, why the recipient needs it, the items each
/// tagged fact, opinion or reported with their source and date, and the subject fields. One definition for the CLI's
/// flags and prompts and the web app's form.
public struct ShareAnswers: Sendable, Equatable {
    /// A question that must be answered before a share can be built.
    public enum Question: String, Sendable, CaseIterable {
        case consent, consentReason, statement, items, source
    }

    public var basis: String?
    public var condition: String?
    public var consent: String?
    public var consentReason: String?
    public var informed: String?
    public var informedReason: String?
    public var statement: String?
    public var facts: [String] = []
    public var opinions: [String] = []
    public var reported: [String] = []
    public var source: String?
    /// The date the items refer to, YYYY-MM-DD (today if absent).
    public var date: String?
    public var fields: [SubjectField] = []
    public var subjectRef: String?
    public var urgency = "routine"
    public var ask: String?

    public init() {}

    var hasItems: Bool { !(facts.isEmpty && opinions.isEmpty && reported.isEmpty) }

    /// What is still unanswered. `consentOptional`: an anonymous consultation identifies no one, so it records no consent position.
    public func missing(consentOptional: Bool) -> [Question] {
        var missing: [Question] = []
        if consent == nil && !consentOptional { missing.append(.consent) }
        if !consentOptional, let consent, ["refused", "not-sought"].contains(consent), consentReason?.isEmpty != false { missing.append(.consentReason) }
        if statement?.isEmpty != false { missing.append(.statement) }
        if !hasItems { missing.append(.items) }
        if hasItems && source?.isEmpty != false { missing.append(.source) }
        return missing
    }

    /// The body, consent and urgency (call once `missing` is empty); an answer of the wrong form is a usage error saying which.
    public func body(consentOptional: Bool) throws(ClientError) -> (PacketBody, ConsentStatus, Urgency) {
        let consentStatus: ConsentStatus
        if let consent {
            guard let parsed = ConsentStatus(rawValue: consent), parsed != .notApplicable else { throw ClientError(.usage, "consent is given, refused or not-sought") }
            consentStatus = parsed
        } else {
            consentStatus = .notApplicable
        }
        guard let urgencyLevel = Urgency(rawValue: urgency) else { throw ClientError(.usage, "urgency is routine, priority or urgent") }
        var informedFlag: Bool?
        if let informed {
            guard ["yes", "no"].contains(informed) else { throw ClientError(.usage, "whether the family was told is yes or no") }
            informedFlag = informed == "yes"
        }
        let refersTo = date ?? {
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd"
            return formatter.string(from: Date())
        }()
        // Fields with a known shape are checked before anything is sealed (the terminal asks again as they are typed).
        let wrong = fields.compactMap { field in FieldFormat.problem(field: field.name, value: field.value).map { "\(field.name): \($0)" } }
        guard wrong.isEmpty else { throw ClientError(.usage, wrong.joined(separator: "; ")) }
        let itemSource = source ?? ""
        let items = facts.map { BodyItem(tag: .fact, text: $0, source: itemSource, refersTo: refersTo) }
            + opinions.map { BodyItem(tag: .opinion, text: $0, source: itemSource, refersTo: refersTo) }
            + reported.map { BodyItem(tag: .reported, text: $0, source: itemSource, refersTo: refersTo) }
        let body = PacketBody(statement: statement ?? "", items: items, fields: fields, consentDetail: consentReason,
                              subjectInformed: informedFlag, informedReason: informedReason, ask: ask)
        do { try body.validate() } catch { throw ClientError(.usage, error.message) }
        return (body, consentStatus, urgencyLevel)
    }
}
