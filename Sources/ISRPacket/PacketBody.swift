/// The end-to-end encrypted part of a packet: what only the recipients can read.
public struct PacketBody: Sendable, Equatable {
    /// The statement for this kind: the purpose of a share, the reasons for a decline or a decision,
    /// "what I understood" in a read-back, the question in a clarification.
    public var statement: String
    /// The information itself, each item tagged fact, opinion or reported.
    public var items: [BodyItem]
    /// Subject fields the purpose allows (name, date of birth, …), strictly sorted by name.
    public var fields: [SubjectField]
    /// Consent details: who gave or refused it, or why it was not sought / why sharing overrides a refusal.
    public var consentDetail: String?
    /// Whether the subject (or family) was told the information is being shared.
    public var subjectInformed: Bool?
    /// Why the subject was not informed (e.g. it would increase the risk of harm).
    public var informedReason: String?
    /// What the recipient is asked to do.
    public var ask: String?
    /// In a read-back: the level of concern the recipient understood.
    public var concern: ConcernLevel?

    public init(statement: String, items: [BodyItem] = [], fields: [SubjectField] = [], consentDetail: String? = nil,
                subjectInformed: Bool? = nil, informedReason: String? = nil, ask: String? = nil, concern: ConcernLevel? = nil) {
        self.statement = statement
        self.items = items
        self.fields = fields.sorted { Array($0.name.utf8).lexicographicallyPrecedes($1.name.utf8) }
        self.consentDetail = consentDetail
        self.subjectInformed = subjectInformed
        self.informedReason = informedReason
        self.ask = ask
        self.concern = concern
    }

    /// The field names, in the order the header lists them.
    public var fieldNames: [String] { fields.map(\.name) }

    /// Checks every rule of the v1 body format: text grammar and bounds, sorting, dates.
    public func validate() throws(PacketError) {
        func fail(_ message: String) -> PacketError { PacketError(.invalidBody, message) }
        guard TextRules.isText(statement, allowEmpty: true) else { throw fail("the statement is longer than 16 KiB or contains control characters") }
        guard items.count <= PacketLimits.maximumItems else { throw fail("a body has at most \(PacketLimits.maximumItems) items") }
        for (index, item) in items.enumerated() {
            guard TextRules.isText(item.text, allowEmpty: false) else { throw fail("item \(index + 1): the text is empty, longer than 16 KiB, or contains control characters") }
            guard TextRules.isText(item.source, allowEmpty: false), item.source.utf8.count <= 256 else { throw fail("item \(index + 1): the source must be 1–256 bytes of plain text (who said or saw it)") }
            guard TextRules.isDate(item.refersTo) else { throw fail("item \(index + 1): `\(item.refersTo.prefix(20))` is not a date YYYY-MM-DD") }
        }
        guard fields.count <= PacketLimits.maximumFields else { throw fail("a body has at most \(PacketLimits.maximumFields) fields") }
        for field in fields {
            guard TextRules.isCode(field.name) else { throw fail("`\(field.name.prefix(70))` is not a field name") }
            guard TextRules.isText(field.value, allowEmpty: false) else { throw fail("field `\(field.name)`: the value is empty, too long or contains control characters") }
        }
        guard TextRules.isStrictlySorted(fieldNames) else { throw fail("fields must be sorted by name and given once each") }
        for (name, value) in [("consent detail", consentDetail), ("informed reason", informedReason), ("ask", ask)] {
            if let value, !TextRules.isText(value, allowEmpty: false) {
                throw fail("the \(name) is empty, longer than 16 KiB or contains control characters; leave it out instead of empty")
            }
        }
    }
}

/// One piece of information, tagged so that fact, opinion and hearsay are never blurred.
public struct BodyItem: Sendable, Equatable, Codable {
    public var tag: ItemTag
    public var text: String
    /// Who observed, judged or reported it (a role or a name), 1–256 bytes.
    public var source: String
    /// The date the item refers to, `YYYY-MM-DD`.
    public var refersTo: String

    public init(tag: ItemTag, text: String, source: String, refersTo: String) {
        self.tag = tag
        self.text = text
        self.source = source
        self.refersTo = refersTo
    }
}

/// A named subject field (`name`, `date_of_birth`, …) and its value; which names are allowed is policy.
public struct SubjectField: Sendable, Equatable, Codable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
