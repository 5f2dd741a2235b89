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

    /// The data a return signs: packet id (16) || SHA-256(packet bytes) (32) || u16be len(countersigner) || countersigner || reason.
    /// The length prefix keeps the id and the free-text reason from running into each other.
    public static func returnData(packetID: PacketID, packetDigest: [UInt8], countersigner: MemberID, reason: String) -> [UInt8] {
        let id = Array(countersigner.rawValue.utf8)
        return packetID.bytes + packetDigest + [UInt8(id.count >> 8), UInt8(id.count & 0xff)] + id + Array(reason.utf8)
    }

    /// Signs a return with context `isr/v1/countersign-return`.
    public static func signReturn(packet bytes: [UInt8], id: PacketID, countersigner: MemberID, reason: String, key: SigningKeyPair) -> [UInt8] {
        key.sign(returnData(packetID: id, packetDigest: SHA256.hash(bytes), countersigner: countersigner, reason: reason), context: .countersignReturn)
    }
}
