/// A practitioner's two key pairs: Ed25519 to sign what they send, X25519 to open what is sealed to them.
public struct PractitionerKeys: Sendable {
    public let signing: SigningKeyPair
    public let encryption: EncryptionKeyPair
    /// The 32-byte private scalar of the P-256 key the practitioner's TLS client certificate is for, if this
    /// identity has one (stored under the same passphrase; ISRCrypto does not interpret it).
    public let tlsKey: SecretBytes?
    /// Encryption keys this identity held before `isr rekey`, newest first: packets sealed to them stay readable.
    /// (Old signing keys are not kept; nothing is signed with them again.)
    public let previousEncryption: [EncryptionKeyPair]
    /// An identity keeps at most this many retired encryption keys.
    public static let maximumPreviousKeys = 32

    public init(signing: SigningKeyPair, encryption: EncryptionKeyPair, tlsKey: SecretBytes? = nil, previousEncryption: [EncryptionKeyPair] = []) {
        self.signing = signing
        self.encryption = encryption
        self.tlsKey = tlsKey
        self.previousEncryption = previousEncryption
    }

    /// Every encryption key pair this identity can open with, current first.
    public var allEncryption: [EncryptionKeyPair] { [encryption] + previousEncryption }

    /// Opens a sealed box with the current key, or with a key held before a re-key.
    public func open(_ sealed: [UInt8]) throws(CryptoError) -> SecretBytes {
        var failure = CryptoError(.decryptionFailed, "no key of this identity opens the sealed box")
        for pair in allEncryption {
            do { return try pair.open(sealed) } catch { failure = error }
        }
        throw failure
    }

    /// Fresh random keys, made locally; private halves never leave the practitioner's machine unencrypted.
    public static func generate() -> PractitionerKeys {
        PractitionerKeys(signing: .generate(), encryption: .generate())
    }

    /// The secret halves as one buffer: signing seed, encryption secret key, the TLS scalar if there is one, then each
    /// previous encryption secret (64 or 96 bytes + 32 per previous key; the layout the identity file seals and the unlock
    /// agent hands over).
    public func secretBytes() -> SecretBytes {
        let main = tlsKey == nil ? 64 : 96
        return SecretBytes(count: main + 32 * previousEncryption.count) { out in
            signing.seed.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[0..<32]).copyMemory(from: $0) }
            encryption.secretKey.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[32..<64]).copyMemory(from: $0) }
            tlsKey?.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[64..<96]).copyMemory(from: $0) }
            for (index, previous) in previousEncryption.enumerated() {
                let start = main + 32 * index
                previous.secretKey.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[start..<(start + 32)]).copyMemory(from: $0) }
            }
        }
    }

    /// Keys from `secretBytes()`'s layout holding `previousCount` previous encryption keys.
    public init(secretBytes secrets: SecretBytes, previousCount: Int = 0) throws(CryptoError) {
        let main = secrets.count - 32 * previousCount
        guard (0...Self.maximumPreviousKeys).contains(previousCount), main == 64 || main == 96 else {
            throw CryptoError(.identityFileInvalid, "an identity holds 64 or 96 secret bytes and 32 per previous key, got \(secrets.count) for \(previousCount) previous keys")
        }
        func slice(_ range: Range<Int>) -> SecretBytes {
            SecretBytes(count: 32) { out in secrets.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[range])) } }
        }
        var previous: [EncryptionKeyPair] = []
        for index in 0..<previousCount {
            previous.append(try EncryptionKeyPair(secretKey: slice((main + 32 * index)..<(main + 32 * index + 32))))
        }
        self.init(signing: try SigningKeyPair(seed: slice(0..<32)), encryption: try EncryptionKeyPair(secretKey: slice(32..<64)),
                  tlsKey: main == 96 ? slice(64..<96) : nil, previousEncryption: previous)
    }

    /// New signing, encryption and TLS keys for `isr rekey`; the current encryption key joins the previous ones.
    public func rekeyed(tlsKey newTLSKey: SecretBytes?) throws(CryptoError) -> PractitionerKeys {
        guard previousEncryption.count < Self.maximumPreviousKeys else {
            throw CryptoError(.identityFileInvalid, "this identity already keeps \(Self.maximumPreviousKeys) previous keys; ask your admin to reset your identity instead of re-keying again")
        }
        return PractitionerKeys(signing: .generate(), encryption: .generate(), tlsKey: newTLSKey, previousEncryption: [encryption] + previousEncryption)
    }

    /// Locks every secret buffer in memory; false if any could not be locked.
    public func lockInMemory() -> Bool {
        ([signing.seed.lockInMemory(), encryption.secretKey.lockInMemory(), tlsKey?.lockInMemory() ?? true]
            + previousEncryption.map { $0.secretKey.lockInMemory() }).allSatisfy { $0 }
    }
}
