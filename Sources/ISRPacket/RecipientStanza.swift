/// One copy of the packet's content key for a recipient member, sealed to one of their X25519 keys.
/// A packet to a role address carries stanzas for each current member of the role; a member with several devices has
/// one stanza per active device. Stanzas are sorted by member id, then by sealed-key bytes.
public struct RecipientStanza: Sendable, Equatable {
    /// The sealed box is the 32-byte content key plus 48 bytes of sealed-box overhead.
    public static let sealedKeyByteCount = 80
    /// A member has at most this many active devices, so at most this many stanzas in one packet.
    public static let maximumPerMember = 8

    /// True if `stanzas` are in canonical order: by member id, then by sealed key, no two alike, none over the per-member bound.
    static func isCanonical(_ stanzas: [RecipientStanza]) -> Bool {
        var run = 0
        for (previous, next) in zip(stanzas, stanzas.dropFirst()) {
            let a = Array(previous.recipient.rawValue.utf8), b = Array(next.recipient.rawValue.utf8)
            if a == b {
                guard previous.sealedKey.lexicographicallyPrecedes(next.sealedKey) else { return false }
                run += 1
                guard run < maximumPerMember else { return false }
            } else {
                guard a.lexicographicallyPrecedes(b) else { return false }
                run = 0
            }
        }
        return true
    }

    public let recipient: MemberID
    public let sealedKey: [UInt8]

    public init(recipient: MemberID, sealedKey: [UInt8]) {
        self.recipient = recipient
        self.sealedKey = sealedKey
    }
}
