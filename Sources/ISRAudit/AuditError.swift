import ISRCrypto

/// Errors from building or checking audit-log structures.
public typealias AuditError = CodedError<AuditErrorCode>

/// The stable codes of `AuditError`.
public enum AuditErrorCode: String, Sendable, CaseIterable {
    case indexOutOfRange = "audit.index-out-of-range"
    case missingNode = "audit.missing-node"
    case inclusionFailed = "audit.inclusion-failed"
    case consistencyFailed = "audit.consistency-failed"
    case checkpointInvalid = "audit.checkpoint-invalid"
    case checkpointSignature = "audit.checkpoint-signature"
}
