/// A practitioner's two key pairs: Ed25519 to sign what they send, X25519 to open what is sealed to them.
public struct PractitionerKeys: Sendable {
    public let signing: SigningKeyPair
    public let encryption: EncryptionKeyPair
    /// The 32-byte private scalar of the P-256 key the practitioner's TLS client certificate is for, if this
    /// identity has one (stored under the same passphrase; ISRCrypto does not interpret it).
    public let tlsKey: SecretBytes?

    public init(signing: SigningKeyPair, encryption: EncryptionKeyPair, tlsKey: SecretBytes? = nil) {
        self.signing = signing
        self.encryption = encryption
        self.tlsKey = tlsKey
    }

    /// Fresh random keys, made locally; private halves never leave the practitioner's machine unencrypted.
    public static func generate() -> PractitionerKeys {
        PractitionerKeys(signing: .generate(), encryption: .generate())
    }
}
