import ISRCrypto

/// Why a policy file or calendar was refused. The message names the file position or key path and what to change.
public typealias PolicyError = CodedError<PolicyErrorCode>

/// The stable codes of `PolicyError`.
public enum PolicyErrorCode: String, Sendable, CaseIterable {
    case unreadable = "policy.unreadable"
    case tooLarge = "policy.too-large"
    case syntax = "policy.syntax"
    case unknownKey = "policy.unknown-key"
    case invalid = "policy.invalid"
}
