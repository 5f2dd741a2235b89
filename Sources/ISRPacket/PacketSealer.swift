import ISRCrypto

/// Builds packets: encrypts the body under a fresh content key with the header as associated data,
/// seals that key to every recipient member, and signs.
public enum PacketSealer {
    /// Seals `body` under `header` for the members in `keys`, signed by `signer`.
    ///
    /// `keys` maps each address in `header.recipients` to the members it reaches and their verified X25519 keys, one per
    /// active device (a member address maps to itself; a role address to each current member). `countersigners` are
    /// sealed to as well although not addressed: the dsl/managers of the sender's agency who must read a held packet
    /// before releasing it.
    public static func seal(header: PacketHeader, body: PacketBody, deviceKeys keys: [MemberID: [MemberID: [EncryptionPublicKey]]],
                            countersignerKeys countersigners: [MemberID: [EncryptionPublicKey]] = [:],
                            signer: SigningKeyPair, contentKey: ContentKey = .generate(), limits: PacketLimits = .standard) throws(PacketError) -> SealedPacket {
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
            for (member, memberKeys) in reached {
                guard (1...RecipientStanza.maximumPerMember).contains(memberKeys.count), Set(memberKeys.map(\.bytes)).count == memberKeys.count else {
                    throw PacketError(.recipientKeys, "\(member) must have 1–\(RecipientStanza.maximumPerMember) distinct device keys; refresh the directory before sending")
                }
                if let known = members[member], Set(known.map(\.bytes)) != Set(memberKeys.map(\.bytes)) {
                    throw PacketError(.recipientKeys, "\(member) appears with two different sets of keys; refresh the directory before sending")
                }
                members[member] = memberKeys
            }
        }
        return try sealUnchecked(header: header, bodyBytes: body.derEncoded(), memberKeys: members, signer: signer, limits: limits, contentKey: contentKey)
    }

    /// As `seal(header:body:deviceKeys:…)` for members with one device each.
    public static func seal(header: PacketHeader, body: PacketBody, keys: [MemberID: [MemberID: EncryptionPublicKey]],
                            countersigners: [MemberID: EncryptionPublicKey] = [:],
                            signer: SigningKeyPair, limits: PacketLimits = .standard) throws(PacketError) -> SealedPacket {
        try seal(header: header, body: body, deviceKeys: keys.mapValues { $0.mapValues { [$0] } }, countersignerKeys: countersigners.mapValues { [$0] },
                 signer: signer, limits: limits)
    }

    static func sealUnchecked(header: PacketHeader, bodyBytes: [UInt8], members: [MemberID: EncryptionPublicKey], signer: SigningKeyPair,
                              limits: PacketLimits, associatedData: [UInt8]? = nil, headerBytes: [UInt8]? = nil) throws(PacketError) -> SealedPacket {
        try sealUnchecked(header: header, bodyBytes: bodyBytes, memberKeys: members.mapValues { [$0] }, signer: signer, limits: limits,
                          associatedData: associatedData, headerBytes: headerBytes)
    }

    /// The steps after validation; internal so test vectors can build deliberately inconsistent packets.
    static func sealUnchecked(header: PacketHeader, bodyBytes: [UInt8], memberKeys members: [MemberID: [EncryptionPublicKey]], signer: SigningKeyPair,
                              limits: PacketLimits, associatedData: [UInt8]? = nil, headerBytes: [UInt8]? = nil,
                              contentKey: ContentKey = .generate()) throws(PacketError) -> SealedPacket {
        let stanzaCount = members.values.reduce(0) { $0 + $1.count }
        guard stanzaCount <= limits.maximumStanzas else {
            throw PacketError(.recipientKeys, "the recipients reach \(members.count) members with \(stanzaCount) device keys; a packet holds at most \(limits.maximumStanzas) stanzas")
        }
        let encodedHeader: [UInt8]
        if let headerBytes {
            encodedHeader = headerBytes
        } else {
            encodedHeader = try header.derEncoded(limits: limits)
        }
        let ciphertext = contentKey.encrypt(bodyBytes, associatedData: associatedData ?? encodedHeader)
        let stanzas = members.keys.sorted().flatMap { member in
            (members[member] ?? []).map { RecipientStanza(recipient: member, sealedKey: $0.seal(contentKey.secret)) }
                .sorted { $0.sealedKey.lexicographicallyPrecedes($1.sealedKey) }
        }
        let packet = try SealedPacket(headerBytes: encodedHeader, stanzas: stanzas, body: ciphertext) { signer.sign($0, context: .header) }
        guard packet.bytes.count <= limits.maximumPacketBytes else {
            throw PacketError(.tooLarge, "the packet would be \(packet.bytes.count) bytes; the limit is \(limits.maximumPacketBytes): shorten the items or split the share")
        }
        return packet
    }
}
