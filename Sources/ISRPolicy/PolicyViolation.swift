/// One rule a packet breaks, with a message that says what is wrong and what to do instead.
/// Checks return every violation at once, so a practitioner can fix them all in one go.
public struct PolicyViolation: Sendable, Equatable, CustomStringConvertible {
    public enum Rule: String, Sendable, CaseIterable {
        case unknownPurpose = "policy.unknown-purpose"
        case lawfulBasisMissing = "policy.lawful-basis-missing"
        case lawfulBasisNotAllowed = "policy.lawful-basis-not-allowed"
        case conditionMissing = "policy.condition-missing"
        case conditionNotAllowed = "policy.condition-not-allowed"
        case consentMissing = "policy.consent-missing"
        case consentBasisContradiction = "policy.consent-basis-contradiction"
        case consentRefusedUseAnotherPurpose = "policy.consent-refused-use-another-purpose"
        case consentOverrideReasonMissing = "policy.consent-override-reason-missing"
        case subjectInformedMissing = "policy.subject-informed-missing"
        case informedReasonMissing = "policy.informed-reason-missing"
        case fieldNotAllowed = "policy.field-not-allowed"
        case requiredFieldMissing = "policy.required-field-missing"
        case fieldsMismatch = "policy.fields-mismatch"
        case identifierInAnonymousText = "policy.identifier-in-anonymous-text"
        case subjectReferenceNotAllowed = "policy.subject-reference-not-allowed"
        case kindNotAllowedForPurpose = "policy.kind-not-allowed-for-purpose"
        case recipientKindNotAllowed = "policy.recipient-kind-not-allowed"
        case retentionMismatch = "policy.retention-mismatch"
        case nothingShared = "policy.nothing-shared"
        case statementMissing = "policy.statement-missing"
        case concernMissing = "policy.concern-missing"
    }

    public let rule: Rule
    public let message: String

    public init(_ rule: Rule, _ message: String) {
        self.rule = rule
        self.message = message
    }

    public var description: String { "\(message) [\(rule.rawValue)]" }
}
