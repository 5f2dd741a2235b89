import ISRCrypto

/// Why a CLI operation failed; `exitCode` is the documented process exit status.
public typealias ClientError = CodedError<ClientErrorCode>

/// The stable codes of `ClientError`, grouped by exit code.
public enum ClientErrorCode: String, Sendable, CaseIterable {
    /// The relay or the policy refused the request (exit 1).
    case refused = "client.refused"
    /// Something local is missing or unusable: no identity, wrong passphrase, unreadable file (exit 1).
    case local = "client.local"
    /// Wrong flags or arguments (exit 2).
    case usage = "client.usage"
    /// The relay could not be reached, or TLS failed (exit 3).
    case network = "client.network"
    /// A signature, key, certificate or proof did not verify (exit 4).
    case verification = "client.verification"

    public var exitCode: Int32 {
        switch self {
        case .refused, .local: 1
        case .usage: 2
        case .network: 3
        case .verification: 4
        }
    }
}
