/// An Ed25519 public key (32 bytes): verifies signatures made under a `SignatureContext`.
public struct SigningPublicKey: Sendable, Hashable {
    public let bytes: [UInt8]

    public init(bytes: some Collection<UInt8>) throws(CryptoError) {
        guard bytes.count == Sodium.signPublicKeyBytes else {
            throw CryptoError(.invalidKeyLength, "an Ed25519 public key is 32 bytes, got \(bytes.count)")
        }
        self.bytes = Array(bytes)
    }

    /// For bytes libsodium just produced, whose length is fixed by construction.
    init(derived bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// True only if `signature` was made by this key's owner over exactly `data` under `context`.
    public func isValidSignature(_ signature: some ContiguousByteStorage, for data: some ContiguousByteStorage, context: SignatureContext) -> Bool {
        let message = context.message(for: data)
        return signature.withUnsafeBytes { sig in
            message.withUnsafeBytes { msg in bytes.withUnsafeBytes { pk in Sodium.verify(signature: sig, message: msg, publicKey: pk) } }
        }
    }

    /// Throws `badSignature` unless `isValidSignature`.
    public func verify(_ signature: some ContiguousByteStorage, for data: some ContiguousByteStorage, context: SignatureContext) throws(CryptoError) {
        guard isValidSignature(signature, for: data, context: context) else {
            throw CryptoError(.badSignature, "the \(context.label) signature does not verify against the expected signer's key")
        }
    }

    /// A short, human-comparable fingerprint: the first 16 bytes of SHA-256(key), hex in groups of four.
    public var fingerprint: String { Fingerprint.format(SHA256.hash(bytes)) }
}

/// An Ed25519 signing key pair; the secret half is zeroed when released.
public struct SigningKeyPair: Sendable {
    public let publicKey: SigningPublicKey
    private let secretKey: SecretBytes
    /// The 32-byte seed the pair is derived from: what is stored (encrypted) at rest.
    public let seed: SecretBytes

    /// A fresh random key pair.
    public static func generate() -> SigningKeyPair {
        SigningKeyPair(validSeed: .random(count: Sodium.signSeedBytes))
    }

    /// The key pair for a 32-byte seed (deterministic: used for stored keys and test vectors).
    public init(seed: SecretBytes) throws(CryptoError) {
        guard seed.count == Sodium.signSeedBytes else {
            throw CryptoError(.invalidKeyLength, "an Ed25519 seed is 32 bytes, got \(seed.count)")
        }
        self.init(validSeed: seed)
    }

    private init(validSeed seed: SecretBytes) {
        var publicBytes: [UInt8] = []
        secretKey = SecretBytes(count: Sodium.signSecretKeyBytes) { sk in
            seed.withUnsafeBytes { publicBytes = Sodium.signKeyPair(seed: $0, secretKey: sk) }
        }
        self.seed = seed
        publicKey = SigningPublicKey(derived: publicBytes)
    }

    /// A detached Ed25519 signature over `UTF-8(context) || 0x00 || data`.
    public func sign(_ data: some ContiguousByteStorage, context: SignatureContext) -> [UInt8] {
        let message = context.message(for: data)
        return message.withUnsafeBytes { msg in secretKey.withUnsafeBytes { Sodium.sign(msg, secretKey: $0) } }
    }
}

/// Formats key fingerprints so that people can compare them aloud.
enum Fingerprint {
    /// The first 16 bytes of a digest as hex, in groups of four separated by colons.
    static func format(_ digest: [UInt8]) -> String {
        let hex = Array(Hex.encode(digest.prefix(16)))
        return stride(from: 0, to: hex.count, by: 4).map { String(hex[$0..<min($0 + 4, hex.count)]) }.joined(separator: ":")
    }
}
