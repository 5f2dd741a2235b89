/// Why a cryptographic operation was refused. `code` is stable (tests and scripts match on it);
/// `message` says what to do. Neither ever contains key material or passphrases.
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
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

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) [\(code.rawValue)]" }
}
