/// The part of a packet the relay can read: signed by the sender, and the associated data of the encrypted body.
///
/// It names the child only by an opaque `subjectReference`, and lists the body's field *names*, never values.
public struct PacketHeader: Sendable, Equatable {
    public var id: PacketID
    public var kind: PacketKind
    public var sender: MemberID
    /// Addresses (members or role addresses), strictly sorted, 1...`maximumRecipients`.
    public var recipients: [MemberID]
    /// A purpose code from the policy, e.g. `early-help`.
    public var purpose: String
    /// A lawful-basis code from the policy (UK GDPR Art. 6); absent for kinds that share nothing and anonymous purposes.
    public var lawfulBasis: String?
    /// The condition for processing special-category data (UK GDPR Art. 9 / DPA 2018 Sch. 1), a code from the policy:
    /// a condition is not a lawful basis, and a purpose involving such data needs both. Format version 2.
    public var condition: String?
    public var consent: ConsentStatus
    public var urgency: Urgency
    /// When the sender built the packet, Unix seconds (UTC).
    public var createdAt: Int64
    /// The acknowledgement deadline the sender's client computed from the policy, Unix seconds (UTC).
    public var acknowledgeBy: Int64?
    /// The subject field names present in the body, strictly sorted.
    public var fieldNames: [String]
    /// An opaque reference to the child (never a name or date of birth).
    public var subjectReference: String?
    /// The packet this one answers (a read-back answers a share; a decline answers a request).
    public var inReplyTo: PacketID?
    /// The packet this one refers to without answering it (a correction or an outcome).
    public var relatesTo: PacketID?
    /// How long the relay keeps the ciphertext after confirmation, in days.
    public var retentionDays: Int

    public init(id: PacketID = .random(), kind: PacketKind, sender: MemberID, recipients: [MemberID], purpose: String,
                lawfulBasis: String?, condition: String? = nil, consent: ConsentStatus, urgency: Urgency = .routine, createdAt: Int64,
                acknowledgeBy: Int64? = nil, fieldNames: [String] = [], subjectReference: String? = nil,
                inReplyTo: PacketID? = nil, relatesTo: PacketID? = nil, retentionDays: Int) {
        self.id = id
        self.kind = kind
        self.sender = sender
        self.recipients = recipients.sorted()
        self.purpose = purpose
        self.lawfulBasis = lawfulBasis
        self.condition = condition
        self.consent = consent
        self.urgency = urgency
        self.createdAt = createdAt
        self.acknowledgeBy = acknowledgeBy
        self.fieldNames = fieldNames.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
        self.subjectReference = subjectReference
        self.inReplyTo = inReplyTo
        self.relatesTo = relatesTo
        self.retentionDays = retentionDays
    }

    /// Checks every rule of the v1 format (not the policy): ranges, grammar, sorting and uniqueness.
    public func validate(limits: PacketLimits = .standard) throws(PacketError) {
        func fail(_ message: String) -> PacketError { PacketError(.invalidHeader, message) }
        guard (1...limits.maximumRecipients).contains(recipients.count) else {
            throw fail("a packet has 1 to \(limits.maximumRecipients) recipients, this one has \(recipients.count)")
        }
        guard TextRules.isStrictlySorted(recipients.map(\.rawValue)) else {
            throw fail("recipients must be sorted and listed once each")
        }
        guard TextRules.isCode(purpose) else { throw fail("purpose `\(purpose.prefix(70))` is not a purpose code") }
        if let lawfulBasis, !TextRules.isCode(lawfulBasis) {
            throw fail("lawful basis `\(lawfulBasis.prefix(70))` is not a lawful-basis code")
        }
        if let condition, !TextRules.isCode(condition) {
            throw fail("condition `\(condition.prefix(70))` is not a condition code")
        }
        guard createdAt >= 0 else { throw fail("created-at must not be before 1970") }
        if let acknowledgeBy, acknowledgeBy < createdAt {
            throw fail("the acknowledgement deadline is before the packet was created")
        }
        guard fieldNames.count <= PacketLimits.maximumFields, fieldNames.allSatisfy(TextRules.isCode) else {
            throw fail("field names must be codes (lowercase letters, digits, `_`, `-`), at most \(PacketLimits.maximumFields)")
        }
        guard TextRules.isStrictlySorted(fieldNames) else { throw fail("field names must be sorted and listed once each") }
        if let subjectReference, !TextRules.isSubjectReference(subjectReference) {
            throw fail("a subject reference is 1–64 of A–Z a–z 0–9 . _ : - (an opaque case reference, never a name)")
        }
        guard (0...PacketLimits.maximumRetentionDays).contains(retentionDays) else {
            throw fail("retention must be 0 to \(PacketLimits.maximumRetentionDays) days")
        }
        if kind.needsEarlierPacket, inReplyTo == nil, relatesTo == nil {
            throw fail("a `\(kind.rawValue)` packet must name the packet it answers (in-reply-to) or refers to (relates-to)")
        }
    }
}
