import ISRCrypto

/// Builds packets: encrypts the body under a fresh content key with the header as associated data,
/// seals that key to every recipient member, and signs.
public enum PacketSealer {
    /// Seals `body` under `header` for the members in `keys`, signed by `signer`.
    ///
    /// `keys` maps each address in `header.recipients` to the members it reaches and their verified X25519 keys
    /// (a member address maps to itself; a role address to each current member). `countersigners` are sealed to as well
    /// although not addressed: the dsl/managers of the sender's agency who must read a held packet before releasing it.
    public static func seal(header: PacketHeader, body: PacketBody, keys: [MemberID: [MemberID: EncryptionPublicKey]],
                            countersigners: [MemberID: EncryptionPublicKey] = [:],
                            signer: SigningKeyPair, limits: PacketLimits = .standard) throws(PacketError) -> SealedPacket {
        guard body.fieldNames == header.fieldNames else {
            throw PacketError(.fieldsMismatch, "the header lists fields [\(header.fieldNames.joined(separator: ", "))] but the body has [\(body.fieldNames.joined(separator: ", "))]; list exactly the fields the body holds")
        }
        guard Set(keys.keys) == Set(header.recipients) else {
            let missing = header.recipients.filter { keys[$0] == nil }.map(\.rawValue)
            let extra = keys.keys.filter { !header.recipients.contains($0) }.map(\.rawValue)
            throw PacketError(.recipientKeys, "recipient keys must match the addressed recipients (no key for: \(missing.joined(separator: ", ")); not addressed: \(extra.sorted().joined(separator: ", ")))")
        }
        var members = countersigners
        for (address, reached) in keys {
            guard !reached.isEmpty else {
                throw PacketError(.recipientKeys, "\(address) reaches no member with a key; the packet would be unreadable there")
            }
            for (member, key) in reached {
                if let known = members[member], known != key {
                    throw PacketError(.recipientKeys, "\(member) appears with two different keys; refresh the directory before sending")
                }
                members[member] = key
            }
        }
        return try sealUnchecked(header: header, bodyBytes: body.derEncoded(), members: members, signer: signer, limits: limits)
    }

    /// The steps after validation; internal so test vectors can build deliberately inconsistent packets.
    static func sealUnchecked(header: PacketHeader, bodyBytes: [UInt8], members: [MemberID: EncryptionPublicKey], signer: SigningKeyPair,
                              limits: PacketLimits, associatedData: [UInt8]? = nil, headerBytes: [UInt8]? = nil) throws(PacketError) -> SealedPacket {
        guard members.count <= limits.maximumStanzas else {
            throw PacketError(.recipientKeys, "the recipients reach \(members.count) members; a packet holds at most \(limits.maximumStanzas) stanzas")
        }
        let encodedHeader: [UInt8]
        if let headerBytes {
            encodedHeader = headerBytes
        } else {
            encodedHeader = try header.derEncoded(limits: limits)
        }
        let contentKey = ContentKey.generate()
        let ciphertext = contentKey.encrypt(bodyBytes, associatedData: associatedData ?? encodedHeader)
        let stanzas = members.keys.sorted().compactMap { member in
            members[member].map { RecipientStanza(recipient: member, sealedKey: $0.seal(contentKey.secret)) }
        }
        let packet = try SealedPacket(headerBytes: encodedHeader, stanzas: stanzas, body: ciphertext) { signer.sign($0, context: .header) }
        guard packet.bytes.count <= limits.maximumPacketBytes else {
            throw PacketError(.tooLarge, "the packet would be \(packet.bytes.count) bytes; the limit is \(limits.maximumPacketBytes): shorten the items or split the share")
        }
        return packet
    }
}
