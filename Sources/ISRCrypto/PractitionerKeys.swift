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

    /// The secret halves as one buffer: signing seed, encryption secret key, then the TLS scalar if there is one
    /// (64 or 96 bytes; the layout the identity file seals and the unlock agent hands over).
    public func secretBytes() -> SecretBytes {
        SecretBytes(count: tlsKey == nil ? 64 : 96) { out in
            signing.seed.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[0..<32]).copyMemory(from: $0) }
            encryption.secretKey.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[32..<64]).copyMemory(from: $0) }
            tlsKey?.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[64..<96]).copyMemory(from: $0) }
        }
    }

    /// Keys from `secretBytes()`'s layout.
    public init(secretBytes secrets: SecretBytes) throws(CryptoError) {
        guard secrets.count == 64 || secrets.count == 96 else {
            throw CryptoError(.identityFileInvalid, "an identity holds 64 or 96 secret bytes, got \(secrets.count)")
        }
        func slice(_ range: Range<Int>) -> SecretBytes {
            SecretBytes(count: 32) { out in secrets.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[range])) } }
        }
        self.init(signing: try SigningKeyPair(seed: slice(0..<32)), encryption: try EncryptionKeyPair(secretKey: slice(32..<64)),
                  tlsKey: secrets.count == 96 ? slice(64..<96) : nil)
    }

    /// Locks every secret buffer in memory; false if any could not be locked.
    public func lockInMemory() -> Bool {
        [signing.seed.lockInMemory(), encryption.secretKey.lockInMemory(), tlsKey?.lockInMemory() ?? true].allSatisfy { $0 }
    }
}
