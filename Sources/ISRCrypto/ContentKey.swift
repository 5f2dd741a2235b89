/// A random 256-bit XChaCha20-Poly1305 key that encrypts one packet body; it travels sealed to each recipient.
public struct ContentKey: Sendable {
    public static let byteCount = Sodium.aeadKeyBytes
    public static let nonceByteCount = Sodium.aeadNonceBytes
    public static let tagByteCount = Sodium.aeadTagBytes

    public let secret: SecretBytes

    /// A fresh random key.
    public static func generate() -> ContentKey { ContentKey(valid: .random(count: byteCount)) }

    /// Wraps 32 secret bytes (e.g. just opened from a recipient stanza).
    public init(_ secret: SecretBytes) throws(CryptoError) {
        guard secret.count == Self.byteCount else {
            throw CryptoError(.invalidKeyLength, "a content key is 32 bytes, got \(secret.count)")
        }
        self.init(valid: secret)
    }

    private init(valid secret: SecretBytes) { self.secret = secret }

    /// `nonce(24) || ciphertext || tag(16)` with a fresh random nonce; `associatedData` is authenticated, not encrypted.
    public func encrypt(_ plaintext: some ContiguousByteStorage, associatedData: some ContiguousByteStorage) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: Self.nonceByteCount)
        nonce.withUnsafeMutableBytes { Sodium.randomBytes(into: $0) }
        return encrypt(plaintext, associatedData: associatedData, nonce: nonce)
    }

    /// Encrypts under a caller-chosen nonce. Only for reproducible fixtures: a nonce must never repeat under one key.
    public func encrypt(_ plaintext: some ContiguousByteStorage, associatedData: some ContiguousByteStorage, nonce: [UInt8]) -> [UInt8] {
        precondition(nonce.count == Self.nonceByteCount, "XChaCha20 nonces are 24 bytes")
        let sealed = plaintext.withUnsafeBytes { m in
            associatedData.withUnsafeBytes { ad in
                nonce.withUnsafeBytes { n in secret.withUnsafeBytes { k in Sodium.aeadEncrypt(m, associatedData: ad, nonce: n, key: k) } }
            }
        }
        return nonce + sealed
    }

    /// Reverses `encrypt`; fails if any byte of the nonce, ciphertext, tag or associated data differs.
    public func decrypt(_ box: some ContiguousByteStorage, associatedData: some ContiguousByteStorage) throws(CryptoError) -> [UInt8] {
        let secret = try decryptSecret(box, associatedData: associatedData)
        return secret.withUnsafeBytes { Array($0) }
    }

    /// Like `decrypt`, but the plaintext stays in zeroed-on-release memory (for key material).
    public func decryptSecret(_ box: some ContiguousByteStorage, associatedData: some ContiguousByteStorage) throws(CryptoError) -> SecretBytes {
        let failure = CryptoError(.decryptionFailed, "the encrypted data does not authenticate under this key and associated data")
        let total = box.withUnsafeBytes { $0.count }
        guard total >= Self.nonceByteCount + Self.tagByteCount else { throw failure }
        return try SecretBytes(count: total - Self.nonceByteCount - Self.tagByteCount) { out throws(CryptoError) in
            let opened = box.withUnsafeBytes { all in
                associatedData.withUnsafeBytes { ad in
                    secret.withUnsafeBytes { k in
                        Sodium.aeadDecrypt(UnsafeRawBufferPointer(rebasing: all[Self.nonceByteCount...]), associatedData: ad,
                                           nonce: UnsafeRawBufferPointer(rebasing: all[..<Self.nonceByteCount]), key: k, into: out)
                    }
                }
            }
            guard opened else { throw failure }
        }
    }
}
