import ISRCrypto

/// RFC 6962 / RFC 9162 §2.1.1 hashing: leaves and interior nodes are domain-separated by a prefix byte,
/// so a leaf can never be passed off as an interior node (second-preimage resistance).
public enum MerkleHash {
    public static let byteCount = 32

    /// The hash of the empty tree: SHA-256 of no bytes.
    public static let empty = SHA256.hash([UInt8]())

    /// `SHA-256(0x00 || data)`.
    public static func leaf(_ data: [UInt8]) -> [UInt8] { SHA256.hash([0x00] + data) }

    /// `SHA-256(0x01 || left || right)`.
    public static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] { SHA256.hash([0x01] + left + right) }
}
