import ISRCrypto

/// How the relay indexes a packet's subject reference: a domain-separated SHA-256, so the index can answer "which
/// packets are about this case" without keeping the reference itself once the packet's ciphertext is purged.
public enum SubjectKey {
    /// `SHA-256("isr/v1/subject" || 0x00 || reference)`.
    public static func of(_ reference: String) -> [UInt8] {
        SHA256.hash(Array("isr/v1/subject".utf8) + [0] + Array(reference.utf8))
    }
}
