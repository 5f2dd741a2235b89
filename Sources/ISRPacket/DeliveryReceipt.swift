import ISRCrypto

/// A recipient's signed statement that they received exactly this packet (non-repudiation of receipt).
///
/// Ed25519 over `"isr/v1/receipt" || 0x00 || packet id (16) || SHA-256(packet bytes) (32) || UTF-8(recipient id)`.
public enum DeliveryReceipt {
    /// The data signed (after the context label).
    public static func signedData(packetID: PacketID, packetDigest: [UInt8], recipient: MemberID) -> [UInt8] {
        packetID.bytes + packetDigest + Array(recipient.rawValue.utf8)
    }

    /// The recipient's signature over the packet they hold.
    public static func sign(packet bytes: [UInt8], id: PacketID, recipient: MemberID, key: SigningKeyPair) -> [UInt8] {
        key.sign(signedData(packetID: id, packetDigest: SHA256.hash(bytes), recipient: recipient), context: .receipt)
    }
}

/// A dsl's or manager's signed release of a packet held for a second person's agreement (two-person rule).
///
/// Ed25519 over `"isr/v1/countersign" || 0x00 || packet id (16) || SHA-256(packet bytes) (32) || UTF-8(countersigner id)`.
public enum Countersignature {
    public static func signedData(packetID: PacketID, packetDigest: [UInt8], countersigner: MemberID) -> [UInt8] {
        packetID.bytes + packetDigest + Array(countersigner.rawValue.utf8)
    }

    public static func sign(packet bytes: [UInt8], id: PacketID, countersigner: MemberID, key: SigningKeyPair) -> [UInt8] {
        key.sign(signedData(packetID: id, packetDigest: SHA256.hash(bytes), countersigner: countersigner), context: .countersign)
    }
}
