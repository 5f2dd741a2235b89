import Crypto

/// SHA-256, used for payload digests, fingerprints and the audit log. swift-crypto's (BoringSSL, with the CPU's
/// SHA extensions where present) rather than libsodium's portable one: it hashes every accepted packet twice.
public enum SHA256 {
    /// The 32-byte digest of `data`.
    public static func hash(_ data: some ContiguousByteStorage) -> [UInt8] {
        data.withUnsafeBytes { Array(Crypto.SHA256.hash(data: $0)) }
    }
}
