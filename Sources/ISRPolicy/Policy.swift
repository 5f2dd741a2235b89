import ISRPacket

/// The purpose policy: which purposes exist and, for each, the lawful bases, fields, recipients,
/// countersignature, deadline and retention it allows. Loaded from `config/policy.toml`.
public struct Policy: Sendable, Equatable {
    public var agencyKinds: [String]
    public var urgency: UrgencyCaps
    public var lawfulBases: [String: LawfulBasis]
    /// Conditions for special-category data (UK GDPR Art. 9 / DPA 2018 Sch. 1), separate from the Art. 6 bases.
    public var conditions: [String: LawfulBasis]
    public var fields: [String: FieldSpec]
    public var purposes: [String: Purpose]

    /// Purposes in a stable order (by code), for listings and messages.
    public var purposeCodes: [String] { purposes.keys.sorted() }
}

/// A lawful basis (UK GDPR Art. 6) a purpose may rely on; the same shape serves a special-category condition (Art. 9).
public struct LawfulBasis: Sendable, Equatable {
    public var code: String
    public var title: String
    /// The statute or article, for the record and for people checking it.
    public var reference: String
    /// True for the consent basis: unusable when consent was refused or not sought.
    public var consentBased: Bool
    /// The agency kinds that may rely on it (nil: every kind). Legitimate interests, for example, is not available
    /// to public authorities performing their tasks.
    public var availableTo: [String]? = nil
}

/// A subject field a purpose may carry.
public struct FieldSpec: Sendable, Equatable {
    public var name: String
    public var label: String
    /// Identifying fields are never allowed where a purpose forbids identification.
    public var identifying: Bool
}

/// Urgency caps: the deadline is never later than this many hours after sending.
public struct UrgencyCaps: Sendable, Equatable {
    public var priorityMaxHours: Int
    public var urgentMaxHours: Int

    /// The cap for `urgency`, in hours; nil for routine (the purpose's rule alone applies).
    public func maxHours(for urgency: Urgency) -> Int? {
        switch urgency {
        case .routine: nil
        case .priority: priorityMaxHours
        case .urgent: urgentMaxHours
        }
    }
}

/// One purpose and its rules.
public struct Purpose: Sendable, Equatable {
    public var code: String
    public var title: String
    /// What the purpose is for and when to use another; shown to practitioners choosing a purpose.
    public var guidance: String
    public var lawfulBases: [String]
    /// True when the purpose's information may include special-category data (health, disability, …): a packet then
    /// states a condition from `conditions` besides its lawful basis.
    public var specialCategory: Bool
    public var conditions: [String]
    public var allowedFields: [String]
    public var requiredFields: [String]
    /// False for an anonymous consultation: no identifying field, and identifiers in text are refused.
    public var identifyingAllowed: Bool
    public var recipientAgencyKinds: [String]
    /// For a purpose that works with the family's agreement (early help): when consent is refused, the purposes to
    /// use instead if the child may be at risk of significant harm. Empty: a refusal may be overridden with reasons.
    public var ifConsentRefused: [String] = []
    /// Held at the relay until a dsl/manager of the sender's agency countersigns.
    public var countersign: Bool
    public var acknowledgementDeadline: DeadlineRule
    /// How long a held packet may wait for its countersignature before the sender's dsl/managers are told.
    public var countersignWithin: DeadlineRule? = nil
    /// Days the relay keeps the ciphertext after the sender confirms the read-back.
    public var retentionDays: Int
}
