import Foundation
import ISRCrypto
import ISRLifecycle
import ISRPKI
import ISRPacket
import ISRPolicy
import ISRRelayAPI

/// One command's connection to the relay as an enrolled practitioner: unlocked keys, the mTLS client, the pinned
/// admin key, and what sending and reading need (verified directory, the relay's policy, the local record).
public final class Session: Sendable {
    public let home: ISRHome
    public let keys: PractitionerKeys
    public let me: MemberID
    public let client: RelayClient
    public let adminKey: SigningPublicKey
    /// The pinned deployment admin and their key: what every directory entry is checked against.
    public let trust: DirectoryTrust
    public var record: LocalRecord { LocalRecord(home: home) }

    public convenience init(home: ISRHome, passphrase: PassphraseSource) throws(ClientError) {
        try self.init(home: home, keys: try home.unlock(passphrase))
    }

    /// A session with keys already unlocked (a command that needs the passphrase itself, such as `isr rekey`).
    public init(home: ISRHome, keys: PractitionerKeys) throws(ClientError) {
        self.home = home
        let config = try home.config()
        self.keys = keys
        let (adminID, pinnedKey) = try home.pinnedAdminKey()
        adminKey = pinnedKey
        trust = DirectoryTrust(root: adminID, rootKey: pinnedKey)
        do { me = try MemberID(config.member) } catch { throw ClientError(.local, "config.json names an invalid member") }
        client = try RelayClient(home: home, keys: keys)
    }

    public func close() async { await client.shutdown() }

    public func policy() async throws(ClientError) -> Policy {
        let reply = try await client.get("/v1/policy")
        do {
            return try Policy(toml: String(decoding: reply.body, as: UTF8.self), source: "the relay's policy")
        } catch {
            throw ClientError(.verification, "the relay's policy cannot be read: \(error.message)")
        }
    }

    /// What the sender says, before it becomes a packet.
    public struct Draft: Sendable {
        public var kind: PacketKind
        public var to: [MemberID]
        public var purpose: String
        public var basis: String?
        /// The Art. 9 / Sch. 1 condition, for a purpose that may carry special-category data.
        public var condition: String?
        public var consent: ConsentStatus
        public var urgency: Urgency = .routine
        public var body: PacketBody
        public var subjectReference: String?
        public var inReplyTo: PacketID?
        public var relatesTo: PacketID?

        public init(kind: PacketKind, to: [MemberID], purpose: String, basis: String?, condition: String? = nil, consent: ConsentStatus,
                    urgency: Urgency = .routine, body: PacketBody, subjectReference: String? = nil, inReplyTo: PacketID? = nil, relatesTo: PacketID? = nil) {
            self.kind = kind
            self.to = to
            self.purpose = purpose
            self.basis = basis
            self.condition = condition
            self.consent = consent
            self.urgency = urgency
            self.body = body
            self.subjectReference = subjectReference
            self.inReplyTo = inReplyTo
            self.relatesTo = relatesTo
        }
    }

    /// A packet ready to send: sealed only to verified keys, checked against the relay's policy.
    public struct Prepared: Sendable {
        public let packet: SealedPacket
        public let header: PacketHeader
        public let body: PacketBody
        public let recipients: [MemberID: [VerifiedMember]]
        /// The dsl/managers of your agency it is also sealed to, to read and countersign it.
        public let countersigners: [VerifiedMember]
        /// The body's content key, kept (sealed) in your local record so an evidence bundle can prove the body later.
        let contentKey: ContentKey
    }

    /// Resolves and verifies recipients, applies the policy to header and body (every violation at once), seals and signs.
    /// A purpose that needs a countersignature is sealed to the dsl/managers of your agency too, so they can read it.
    public func prepare(_ draft: Draft) async throws(ClientError) -> Prepared {
        if case .refused(_, let why) = Lifecycle.checkNotSelfAddressed(kind: draft.kind, sender: me, recipients: draft.to) {
            throw ClientError(.refused, why)
        }
        let policy = try await policy()
        let directory = try await VerifiedDirectory.load(client, trust: trust)
        var reached: [MemberID: [VerifiedMember]] = [:]
        var kinds: [MemberID: String] = [:]
        for address in draft.to {
            let members = try await directory.reach(address, client: client, excluding: me)
            reached[address] = members
            kinds[address] = members.first?.agencyKind
        }
        var countersigners: [VerifiedMember] = []
        if policy.purposes[draft.purpose]?.countersign == true, draft.kind.disclosesInformation,
           Lifecycle.isOriginal(draft.kind, answering: draft.inReplyTo) {
            let addressed = Set(reached.values.flatMap { $0 }.map(\.id))
            countersigners = directory.countersigners(of: me).filter { !addressed.contains($0.id) }
            guard !countersigners.isEmpty else {
                throw ClientError(.refused, "`\(draft.purpose)` needs a dsl or manager of \(me.agency) to read and countersign it, and your directory shows none; ask your admin")
            }
        }
        let header = PacketHeader(kind: draft.kind, sender: me, recipients: draft.to, purpose: draft.purpose, lawfulBasis: draft.basis, condition: draft.condition, consent: draft.consent,
                                  urgency: draft.urgency, createdAt: Int64(Date().timeIntervalSince1970), fieldNames: draft.body.fieldNames,
                                  subjectReference: draft.subjectReference, inReplyTo: draft.inReplyTo, relatesTo: draft.relatesTo,
                                  retentionDays: policy.purposes[draft.purpose]?.retentionDays ?? 0)
        let violations = policy.checkHeader(header, recipientAgencyKinds: kinds, senderAgencyKind: directory.members[me]?.agencyKind)
            + policy.checkBody(draft.body, header: header)
        guard violations.isEmpty else { throw ClientError(.refused, violations.map(\.message).joined(separator: "\n")) }
        do {
            // One stanza per active device of every member reached.
            let keys = reached.mapValues { members in Dictionary(uniqueKeysWithValues: members.map { ($0.id, $0.encryptionKeys) }) }
            let contentKey = ContentKey.generate()
            let packet = try PacketSealer.seal(header: header, body: draft.body, deviceKeys: keys,
                                               countersignerKeys: Dictionary(uniqueKeysWithValues: countersigners.map { ($0.id, $0.encryptionKeys) }),
                                               signer: self.keys.signing, contentKey: contentKey)
            return Prepared(packet: packet, header: header, body: draft.body, recipients: reached, countersigners: countersigners, contentKey: contentKey)
        } catch {
            throw ClientError(.refused, error.message)
        }
    }

    /// Posts a prepared packet and records it locally once the relay accepted it. `emergencyReason` releases a packet
    /// that needs a countersignature at once (a child in immediate danger); the countersignature is then due afterwards.
    public func send(_ prepared: Prepared, emergencyReason: String? = nil) async throws(ClientError) -> AcceptReceipt {
        var headers: [(String, String)] = []
        if let emergencyReason {
            headers.append(("ISR-Emergency-Release", emergencyReason.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        }
        let receipt = try await client.post("/v1/packets", bytes: prepared.packet.bytes, headers: headers).decode(AcceptReceipt.self)
        try record.save(LocalRecord.Entry(
            direction: "sent", id: prepared.header.id.hex, kind: prepared.header.kind.rawValue, sender: me.rawValue,
            recipients: prepared.header.recipients.map(\.rawValue), purpose: prepared.header.purpose, recordedAt: Int64(Date().timeIntervalSince1970 * 1000),
            packet: Data(prepared.packet.bytes).base64EncodedString(), body: Data((try? prepared.body.derEncoded()) ?? []).base64EncodedString(),
            state: receipt.state, leafIndex: receipt.leafIndex, contentKey: Self.base64(prepared.contentKey)), keys: keys)
        return receipt
    }

    /// Fetches, verifies (sender's key from the verified directory) and opens a packet, then records it locally.
    public func open(_ id: PacketID) async throws(ClientError) -> OpenedPacket {
        let bytes = try await client.get("/v1/packets/\(id.hex)").body
        let unverified: PacketHeader
        do {
            // The claimed sender is read only to look up whose key must verify the signature.
            unverified = try PacketHeader(derEncoded: try SealedPacket(encoded: bytes).headerBytes)
        } catch {
            throw ClientError(.verification, "packet \(id) is not a well-formed ISR packet: \(error.message)")
        }
        let directory = try await VerifiedDirectory.load(client, trust: trust)
        guard let sender = directory.members[unverified.sender] else {
            throw ClientError(.verification, "the sender \(unverified.sender) is not in your verified directory; do not rely on this packet")
        }
        let opened: OpenedPacket
        do {
            opened = try PacketOpener.open(bytes, as: me, keys: keys.allEncryption, senderKeys: sender.signingKeys, expectedSender: sender.id)
        } catch {
            throw ClientError(.verification, "packet \(id) does not verify: \(error.message)")
        }
        try record.save(LocalRecord.Entry(
            direction: "received", id: id.hex, kind: opened.header.kind.rawValue, sender: opened.header.sender.rawValue,
            recipients: opened.header.recipients.map(\.rawValue), purpose: opened.header.purpose, recordedAt: Int64(Date().timeIntervalSince1970 * 1000),
            packet: Data(bytes).base64EncodedString(), body: Data((try? opened.body.derEncoded()) ?? []).base64EncodedString(), state: nil, leafIndex: nil,
            contentKey: (try? PacketOpener.openContentKey(opened.sealed, as: me, keys: keys.allEncryption)).map(Self.base64)),
            keys: keys)
        return opened
    }

    static func base64(_ key: ContentKey) -> String {
        key.secret.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    public func status(_ id: PacketID) async throws(ClientError) -> PacketStatus {
        try await client.get("/v1/packets/\(id.hex)/status").decode(PacketStatus.self)
    }

    /// The verified header of a packet you sent or received, for building a reply: from your own local record when it
    /// is there (re-verified), else fetched from the relay and verified against the signed directory. Never from the
    /// relay's status answer, so a compromised relay cannot redirect a reply.
    public func verifiedHeader(of id: PacketID) async throws(ClientError) -> PacketHeader {
        let local = record.entry(id, direction: "sent", keys: keys) ?? record.entry(id, direction: "received", keys: keys)
        var bytes: [UInt8]
        if let local, let data = Data(base64Encoded: local.packet) {
            bytes = Array(data)
        } else {
            bytes = try await client.get("/v1/packets/\(id.hex)").body
        }
        let claimed: PacketHeader
        let sealed: SealedPacket
        do {
            sealed = try SealedPacket(encoded: bytes)
            claimed = try PacketHeader(derEncoded: sealed.headerBytes)
        } catch {
            throw ClientError(.verification, "packet \(id) is not a well-formed ISR packet: \(error.message)")
        }
        var senderKeys: [SigningPublicKey] = []
        if claimed.sender == me { senderKeys.append(keys.signing.publicKey) }
        if claimed.sender != me || !keys.signing.publicKey.isValidSignature(sealed.signature, for: sealed.signedData, context: .header) {
            // Someone else's packet, or one this member signed on another device or before a re-key.
            let directory = try await VerifiedDirectory.load(client, trust: trust)
            guard let sender = directory.members[claimed.sender] else {
                throw ClientError(.verification, "the sender \(claimed.sender) of packet \(id) is not in your verified directory; do not reply to it")
            }
            senderKeys += sender.signingKeys
        }
        let header: PacketHeader
        do {
            header = try sealed.verifiedHeader(signedByAnyOf: senderKeys, expectedSender: claimed.sender)
        } catch {
            throw ClientError(.verification, "packet \(id) does not verify: \(error.message)")
        }
        guard header.id == id else { throw ClientError(.verification, "the relay answered packet \(header.id) when asked for \(id)") }
        return header
    }

    /// The body of a packet you sent, as your local record holds it (nil if this home did not send it).
    public func sentBody(of id: PacketID) -> PacketBody? {
        guard let entry = record.entry(id, direction: "sent", keys: keys), let data = Data(base64Encoded: entry.body) else { return nil }
        return try? PacketBody(derEncoded: Array(data))
    }

    /// Every page of a paged listing, bounded at `maxPages` pages; `more` is the cursor to go on from when the bound
    /// cut it short (nil when everything was read), so nothing falls off silently.
    public func allPages<Item: Codable & Sendable>(_ path: String, as type: Item.Type, limit: Int = 500,
                                                   maxPages: Int = 100) async throws(ClientError) -> (items: [Item], more: String?) {
        var items: [Item] = []
        var before: String?
        for _ in 0..<maxPages {
            let separator = path.contains("?") ? "&" : "?"
            let page = try await client.get(path + separator + "limit=\(limit)" + (before.map { "&before=\($0)" } ?? "")).decode(ListBody<Item>.self)
            items += page.items
            guard let next = page.next else { return (items, nil) }
            before = next
        }
        return (items, before)
    }
}
