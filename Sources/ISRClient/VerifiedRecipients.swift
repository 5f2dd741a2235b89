import Foundation
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI

/// A recipient as the sender confirms them: checked against the admin key pinned at enrolment.
public struct VerifiedMember: Sendable, Equatable {
    public let id: MemberID
    public let displayName: String
    public let role: String
    public let agency: String
    public let agencyName: String
    public let agencyKind: String
    public let signingKey: SigningPublicKey
    public let encryptionKey: EncryptionPublicKey
    /// When the admin signed this entry (Unix milliseconds): a re-enrolment gives a newer one, with new keys.
    public let issuedAt: Int64
    /// The X25519 key of every active device (the primary's first): a packet is sealed to each.
    public var encryptionKeys: [EncryptionPublicKey] = []
    /// Every verified signing key the member has held (devices, and keys before a re-key or reset): what they signed
    /// with any of them still verifies.
    public var signingKeys: [SigningPublicKey] = []
    /// When each verified key set was in use, and whether its private half is still held (not `revoked`).
    public var keySpans: [KeySpan] = []

    /// One key set's time in use (Unix milliseconds, as the relay recorded it).
    public struct KeySpan: Sendable, Equatable {
        public let state: String
        public let since: Int64
        public let until: Int64?

        /// True if a packet accepted at `time` was sealed to this key and the member can still open it with it
        /// (retired keys are kept in the identity file; revoked ones are lost).
        public func opens(packetAcceptedAt time: Int64) -> Bool { state != "revoked" && since <= time && (until ?? .max) > time }
    }

    /// True if the member still holds a key that a packet accepted at `time` was sealed to.
    public func canOpen(packetAcceptedAt time: Int64) -> Bool { keySpans.contains { $0.opens(packetAcceptedAt: time) } }
}

/// Resolves addresses (members or role addresses) to members whose directory entries the pinned admin signed.
/// Unknown, revoked, suspended or unverifiable recipients are refused with the reason: nothing is sealed to
/// a key the admin did not vouch for.
public struct VerifiedDirectory: Sendable {
    public let members: [MemberID: VerifiedMember]
    let statuses: [String: String]

    public static func load(_ client: RelayClient, trust: DirectoryTrust) async throws(ClientError) -> VerifiedDirectory {
        let listed = try await client.get("/v1/directory").decode(ListBody<DirectoryMember>.self).items
        return verify(listed, trust: trust)
    }

    /// The members of a directory listing whose entries the pinned deployment admin (or an admin they made) signed for
    /// exactly the listed person and keys.
    public static func verify(_ listed: [DirectoryMember], trust: DirectoryTrust) -> VerifiedDirectory {
        var statuses: [String: String] = [:]
        var entries: [MemberID: [UInt8]] = [:]
        for member in listed {
            statuses[member.id] = member.status
            if let id = try? MemberID(member.id), let text = member.directoryEntry, let data = Data(base64Encoded: text) { entries[id] = Array(data) }
        }
        var earlier: [MemberID: [[UInt8]]] = [:]
        for member in listed {
            guard let id = try? MemberID(member.id) else { continue }
            earlier[id] = (member.keys ?? []).filter { $0.state == "retired" }.compactMap { $0.directoryEntry.flatMap { Data(base64Encoded: $0) }.map(Array.init) }
        }
        let isActive: (MemberID) -> Bool = { statuses[$0.rawValue] == "active" }
        var members: [MemberID: VerifiedMember] = [:]
        for member in listed {
            guard let id = try? MemberID(member.id), let signed = entries[id],
                  let entry = try? trust.verify(signed, entries: entries, earlier: earlier, isActive: isActive),
                  entry.member == id, entry.displayName == member.displayName,
                  Data(entry.signingKey.bytes).base64EncodedString() == member.signingKey,
                  Data(entry.encryptionKey.bytes).base64EncodedString() == member.encryptionKey else { continue }
            var verified = VerifiedMember(id: entry.member, displayName: entry.displayName, role: member.role, agency: member.agency,
                                          agencyName: entry.agencyName, agencyKind: entry.agencyKind, signingKey: entry.signingKey,
                                          encryptionKey: entry.encryptionKey, issuedAt: entry.issuedAt)
            verified.encryptionKeys = [entry.encryptionKey]
            verified.signingKeys = [entry.signingKey]
            let primary = member.keys?.first { $0.signingKey == member.signingKey }
            verified.keySpans = [VerifiedMember.KeySpan(state: primary?.state ?? "active", since: primary?.since ?? entry.issuedAt, until: primary?.until)]
            // Every other key set must be vouched for on its own: a key the relay lists without a verifying entry is ignored.
            for key in member.keys ?? [] {
                guard let text = key.directoryEntry, let data = Data(base64Encoded: text),
                      let other = try? trust.verify(Array(data), entries: entries, earlier: earlier, isActive: isActive), other.member == id,
                      Data(other.signingKey.bytes).base64EncodedString() == key.signingKey,
                      Data(other.encryptionKey.bytes).base64EncodedString() == key.encryptionKey, other.signingKey != entry.signingKey else { continue }
                verified.signingKeys.append(other.signingKey)
                verified.keySpans.append(VerifiedMember.KeySpan(state: key.state, since: key.since, until: key.until))
                if key.state == "active" { verified.encryptionKeys.append(other.encryptionKey) }
            }
            members[entry.member] = verified
        }
        return VerifiedDirectory(members: members, statuses: statuses)
    }

    /// The active, verified member `id`, or a refusal saying why not.
    public func member(_ id: MemberID) throws(ClientError) -> VerifiedMember {
        guard let status = statuses[id.rawValue] else {
            throw ClientError(.refused, "\(id) is not in the directory; check the address with `isr directory`")
        }
        guard status == "active" else { throw ClientError(.refused, "\(id) is \(status) and cannot receive packets") }
        guard let member = members[id] else {
            throw ClientError(.verification, "\(id)'s directory entry does not verify against your pinned admin key: do not send to them, and tell your admin")
        }
        return member
    }

    /// The active, verified dsl/managers of `member`'s agency other than them: who reads and countersigns a held packet.
    public func countersigners(of member: MemberID) -> [VerifiedMember] {
        members.values.filter { $0.agency == member.agency.rawValue && ["dsl", "manager"].contains($0.role) && $0.id != member && statuses[$0.id.rawValue] == "active" }
            .sorted { $0.id < $1.id }
    }

    /// The members `address` reaches: itself, or each active member of a role address other than `sender` (the sender may
    /// belong to a role they write to, and never seals to themselves).
    public func reach(_ address: MemberID, client: RelayClient, excluding sender: MemberID) async throws(ClientError) -> [VerifiedMember] {
        if statuses[address.rawValue] != nil { return [try member(address)] }
        let role: [String]
        do {
            role = try await client.get("/v1/roles/\(address.rawValue)").decode(ListBody<String>.self).items
        } catch where error.code == .refused {
            throw ClientError(.refused, "\(address) is neither a member nor a role address; check it with `isr directory`")
        }
        let reached = role.compactMap { try? MemberID($0) }.filter { statuses[$0.rawValue] == "active" && $0 != sender }
        guard !reached.isEmpty else { throw ClientError(.refused, "role address \(address) has no active member other than you") }
        var result: [VerifiedMember] = []
        for id in reached { result.append(try member(id)) }
        return result
    }
}
