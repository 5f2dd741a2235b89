import ISRCrypto

/// A packet a recipient has verified and decrypted.
public struct OpenedPacket: Sendable, Equatable {
    public let header: PacketHeader
    public let body: PacketBody
    public let sealed: SealedPacket
}

/// Opens packets in the only safe order: frame, verify the signature, parse the header, open this recipient's
/// stanza, authenticate and decrypt the body, parse it, and check it matches its header.
public enum PacketOpener {
    /// Opens `bytes` as `recipient`. `senderKey` is the sender's verified signing key (from the signed directory);
    /// `expectedSender`, when known, must be the header's sender.
    public static func open(_ bytes: [UInt8], as recipient: MemberID, keys: EncryptionKeyPair, senderKey: SigningPublicKey,
                            expectedSender: MemberID? = nil, limits: PacketLimits = .standard) throws(PacketError) -> OpenedPacket {
        try open(bytes, as: recipient, keys: [keys], senderKeys: [senderKey], expectedSender: expectedSender, limits: limits)
    }

    /// Opens `bytes` as `recipient` holding any of `keys` (this device's current key and those kept from before a re-key),
    /// from a sender with any of `senderKeys` (their verified device keys).
    public static func open(_ bytes: [UInt8], as recipient: MemberID, keys: [EncryptionKeyPair], senderKeys: [SigningPublicKey],
                            expectedSender: MemberID? = nil, limits: PacketLimits = .standard) throws(PacketError) -> OpenedPacket {
        let sealed = try SealedPacket(encoded: bytes, limits: limits)
        let header = try sealed.verifiedHeader(signedByAnyOf: senderKeys, expectedSender: expectedSender, limits: limits)
        let contentKey = try openContentKey(sealed, as: recipient, keys: keys)
        return OpenedPacket(header: header, body: try openBody(sealed, header: header, contentKey: contentKey), sealed: sealed)
    }

    /// The content key from `recipient`'s stanza, with any of `keys`. Call only on a packet whose header verified.
    public static func openContentKey(_ sealed: SealedPacket, as recipient: MemberID, keys: [EncryptionKeyPair]) throws(PacketError) -> ContentKey {
        let mine = sealed.stanzas.filter { $0.recipient == recipient }
        guard !mine.isEmpty else {
            throw PacketError(.notForRecipient, "this packet is not addressed to \(recipient); it was sealed for \(Set(sealed.stanzas.map(\.recipient.rawValue)).sorted().joined(separator: ", "))")
        }
        var opened: ContentKey?
        search: for stanza in mine {
            for pair in keys {
                if let key = try? ContentKey(pair.open(stanza.sealedKey)) {
                    opened = key
                    break search
                }
            }
        }
        guard let contentKey = opened else {
            throw PacketError(.stanzaUnreadable, "no stanza for \(recipient) opens with this device's keys: the sender used an out-of-date key for you, or this device was added after it was sent; ask them to refresh the directory and resend")
        }
        return contentKey
    }

    /// Authenticates and decrypts the body with its content key (the verified header bytes as associated data), parses
    /// it and checks it declares the header's fields: how anyone holding the content key proves what a packet said.
    public static func openBody(_ sealed: SealedPacket, header: PacketHeader, contentKey: ContentKey) throws(PacketError) -> PacketBody {
        let plaintext: [UInt8]
        do {
            plaintext = try contentKey.decrypt(sealed.body, associatedData: sealed.headerBytes)
        } catch {
            throw PacketError(.bodyTampered, "the body does not authenticate with its header: the sender's client produced an inconsistent packet; do not rely on it and tell the sender")
        }
        let body = try PacketBody(derEncoded: plaintext)
        guard body.fieldNames == header.fieldNames else {
            throw PacketError(.fieldsMismatch, "the body holds fields [\(body.fieldNames.joined(separator: ", "))] but its header declares [\(header.fieldNames.joined(separator: ", "))]; the packet is flagged and should be queried with the sender")
        }
        return body
    }
}
