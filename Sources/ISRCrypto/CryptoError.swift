/// Why a cryptographic operation or a key file was refused.
public typealias CryptoError = CodedError<CryptoErrorCode>

/// The stable codes of `CryptoError`.
public enum CryptoErrorCode: String, Sendable, CaseIterable {
    case invalidKeyLength = "crypto.invalid-key-length"
    case invalidContext = "crypto.invalid-context"
    case badSignature = "crypto.bad-signature"
    case notSealedToThisKey = "crypto.not-sealed-to-this-key"
    case decryptionFailed = "crypto.decryption-failed"
    case kdfParametersRejected = "crypto.kdf-parameters-rejected"
    case wrongPassphrase = "crypto.wrong-passphrase"
    case identityFileInvalid = "crypto.identity-file-invalid"
    case identityFileTooLarge = "crypto.identity-file-too-large"
    case fileSystem = "crypto.file-system"
}
