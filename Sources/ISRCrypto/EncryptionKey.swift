/// An X25519 public key (32 bytes): the key a content key is sealed to, one stanza per recipient.
public struct EncryptionPublicKey: Sendable, Hashable {
    public let bytes: [UInt8]

    public init(bytes: some Collection<UInt8>) throws(CryptoError) {
        guard bytes.count == Sodium.boxPublicKeyBytes else {
            throw CryptoError(.invalidKeyLength, "an X25519 public key is 32 bytes, got \(bytes.count)")
        }
        self.bytes = Array(bytes)
    }

    init(derived bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Seals `secret` so that only the holder of the matching secret key can open it (libsodium sealed box:
    /// ephemeral X25519 + XSalsa20-Poly1305; 48 bytes of overhead).
    public func seal(_ secret: SecretBytes) -> [UInt8] {
        secret.withUnsafeBytes { m in bytes.withUnsafeBytes { Sodium.seal(m, to: $0) } }
    }

    /// A short, human-comparable fingerprint (first 16 bytes of SHA-256, hex in groups of four).
    public var fingerprint: String { Fingerprint.format(SHA256.hash(bytes)) }
}

/// An X25519 key pair for opening sealed content keys; the secret half is zeroed when released.
public struct EncryptionKeyPair: Sendable {
    public let publicKey: EncryptionPublicKey
    /// The 32-byte secret scalar: what is stored (encrypted) at rest.
    public let secretKey: SecretBytes

    /// A fresh random key pair.
    public static func generate() -> EncryptionKeyPair {
        EncryptionKeyPair(validSecret: .random(count: Sodium.boxSecretKeyBytes))
    }

    /// The key pair for a 32-byte secret scalar (deterministic: stored keys and test vectors).
    public init(secretKey: SecretBytes) throws(CryptoError) {
        guard secretKey.count == Sodium.boxSecretKeyBytes else {
            throw CryptoError(.invalidKeyLength, "an X25519 secret key is 32 bytes, got \(secretKey.count)")
        }
        self.init(validSecret: secretKey)
    }

    private init(validSecret secretKey: SecretBytes) {
        self.secretKey = secretKey
        publicKey = EncryptionPublicKey(derived: secretKey.withUnsafeBytes { Sodium.boxPublicKey(secretKey: $0) })
    }

    /// Opens a box sealed to this key pair, returning the secret it carries.
    public func open(_ sealed: some ContiguousByteStorage) throws(CryptoError) -> SecretBytes {
        let length = sealed.withUnsafeBytes { $0.count } - Sodium.sealOverheadBytes
        guard length >= 0 else {
            throw CryptoError(.notSealedToThisKey, "a sealed box is at least 48 bytes; this one is shorter")
        }
        return try SecretBytes(count: length) { out throws(CryptoError) in
                let ok = sealed.withUnsafeBytes { c in
                    publicKey.bytes.withUnsafeBytes { pk in
                        secretKey.withUnsafeBytes { sk in Sodium.sealOpen(c, publicKey: pk, secretKey: sk, into: out) }
                    }
                }
                guard ok else {
                    throw CryptoError(.notSealedToThisKey, "the sealed box was not sealed to this key, or was altered")
                }
        }
    }
}
