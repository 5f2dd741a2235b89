import ISRCrypto

/// Why a certificate, request or key was refused.
public typealias PKIError = CodedError<PKIErrorCode>

/// The stable codes of `PKIError`.
public enum PKIErrorCode: String, Sendable, CaseIterable {
    case invalidPEM = "pki.invalid-pem"
    case requestSignature = "pki.request-signature"
    case requestIdentity = "pki.request-identity"
    case requestKeys = "pki.request-keys"
    case requestProof = "pki.request-proof"
    case invitationCode = "pki.invitation-code"
    case certificateIdentity = "pki.certificate-identity"
    case issuance = "pki.issuance"
    case fileSystem = "pki.file-system"
}
