/// SHA-256 (libsodium's `crypto_hash_sha256`), used for payload digests, fingerprints and the audit log.
public enum SHA256 {
    /// The 32-byte digest of `data`.
    public static func hash(_ data: some ContiguousByteStorage) -> [UInt8] {
        data.withUnsafeBytes { Sodium.sha256($0) }
    }
}
