/// One recipient member's copy of the packet's content key, sealed to their X25519 key.
/// A packet to a role address carries one stanza per current member of the role.
public struct RecipientStanza: Sendable, Equatable {
    /// The sealed box is the 32-byte content key plus 48 bytes of sealed-box overhead.
    public static let sealedKeyByteCount = 80

    public let recipient: MemberID
    public let sealedKey: [UInt8]

    public init(recipient: MemberID, sealedKey: [UInt8]) {
        self.recipient = recipient
        self.sealedKey = sealedKey
    }
}
