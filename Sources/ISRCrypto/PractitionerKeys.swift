/// A practitioner's two key pairs: Ed25519 to sign what they send, X25519 to open what is sealed to them.
public struct PractitionerKeys: Sendable {
    public let signing: SigningKeyPair
    public let encryption: EncryptionKeyPair

    public init(signing: SigningKeyPair, encryption: EncryptionKeyPair) {
        self.signing = signing
        self.encryption = encryption
    }

    /// Fresh random keys, made locally; private halves never leave the practitioner's machine unencrypted.
    public static func generate() -> PractitionerKeys {
        PractitionerKeys(signing: .generate(), encryption: .generate())
    }
}
