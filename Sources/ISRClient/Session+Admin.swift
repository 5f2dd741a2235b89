import Foundation
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI

/// What an admin does, shared by `isr admin …` and the web app's admin pages: every directory entry is signed here,
/// with this admin's key, for keys whose fingerprint was computed here — never for what the relay says.
extension Session {
    /// A submitted request (an enrolment, another device, or new keys) with its proof checked on this machine.
    public struct PendingRequest: Sendable {
        public let invitation: InvitationBody
        /// The verified keys, or nil when the request does not verify (never approve it).
        public let keys: MemberKeyRequest?
        public let problem: String?

        /// What approving it does, in words.
        public var what: String {
            switch invitation.purpose ?? "enrol" {
            case "device": "new device `\(invitation.device ?? "?")`"
            case "rekey": "new keys for `\(invitation.device ?? "?")`"
            default: "enrolment"
            }
        }
    }

    /// Requests waiting for approval, each verified here.
    public func pendingRequests() async throws(ClientError) -> [PendingRequest] {
        let submitted = try await client.get("/v1/admin/invitations?state=submitted").decode(ListBody<InvitationBody>.self).items
        return submitted.map { invitation in
            do {
                return PendingRequest(invitation: invitation, keys: try Self.verifiedKeys(invitation), problem: nil)
            } catch {
                return PendingRequest(invitation: invitation, keys: nil, problem: (error as? ClientError)?.message ?? "\(error)")
            }
        }
    }

    /// The submitted key request, with its proof checked here rather than trusted from the relay.
    public static func verifiedKeys(_ invitation: InvitationBody) throws(ClientError) -> MemberKeyRequest {
        guard let csr = invitation.certificateRequest, let signing = invitation.signingKey, let encryption = invitation.encryptionKey,
              let proof = invitation.proof else { throw ClientError(.refused, "\(invitation.member) has not submitted keys") }
        let member: MemberID
        do { member = try MemberID(invitation.member) } catch { throw ClientError(.refused, error.message) }
        do {
            return try MemberKeyRequest(certificateRequestPEM: csr, signingKey: signing, encryptionKey: encryption, proof: proof, expected: member)
        } catch {
            throw ClientError(.verification, "\(invitation.member): \(error.message)")
        }
    }

    /// Approves one verified request: signs the directory entry for exactly its keys. `fingerprint`, when given, must
    /// be the one computed from those keys (the web form sends the fingerprint the admin compared).
    @discardableResult
    public func approve(_ request: PendingRequest, fingerprint: String? = nil) async throws(ClientError) -> MemberKeyRequest {
        let keys = try Self.verifiedKeys(request.invitation)
        if let fingerprint, fingerprint != keys.fingerprint.description {
            throw ClientError(.verification, "\(request.invitation.member)'s keys changed since you compared their fingerprint; compare the new one before approving")
        }
        let agencies = try await client.get("/v1/agencies").decode(ListBody<AgencyBody>.self).items
        let entry = try signedEntry(member: keys.member, displayName: request.invitation.displayName, signingKey: keys.signingKey,
                                    encryptionKey: keys.encryptionKey, role: request.invitation.role, agencies: agencies)
        _ = try await client.post("/v1/admin/invitations/\(request.invitation.member)/approve",
                                  json: ApprovalRequest(directoryEntry: Data(entry).base64EncodedString(), device: request.invitation.device))
        return keys
    }

    /// An invitation made here: the code never leaves this machine except to the person; the relay stores its hash.
    public struct Invited: Sendable, Encodable {
        public let member: String
        public let name: String
        public let role: String
        public let code: String
        public let expiresAt: Int64
    }

    /// Invites each person (id, name, role) with a fresh one-time code lasting `lifetime` seconds.
    public func invite(_ people: [(id: String, name: String, role: String)], lifetime: Int64) async throws(ClientError) -> [Invited] {
        let codes = people.map { _ in InvitationCode.generate(adminKey: adminKey) }
        let items = zip(people, codes).map { person, code in
            InvitationRequest.Item(member: person.id, displayName: person.name, role: person.role, codeHash: Data(code.hash).base64EncodedString(),
                                   expiresInSeconds: lifetime)
        }
        let stored = try await client.post("/v1/admin/invitations", json: InvitationRequest(items: items)).decode(ListBody<InvitationBody>.self).items
        return zip(stored, codes).map { invitation, code in
            Invited(member: invitation.member, name: invitation.displayName, role: invitation.role, code: code.text, expiresAt: invitation.expiresAt)
        }
    }

    public func agencies() async throws(ClientError) -> [AgencyBody] {
        try await client.get("/v1/agencies").decode(ListBody<AgencyBody>.self).items
    }

    public func addAgency(id: String, name: String, kind: String) async throws(ClientError) -> AgencyBody {
        try await client.post("/v1/admin/agencies", json: AgencyRequest(id: id, name: name, kind: kind)).decode(AgencyBody.self)
    }

    public func members() async throws(ClientError) -> [DirectoryMember] {
        try await client.get("/v1/directory").decode(ListBody<DirectoryMember>.self).items
    }

    public func revoke(member id: String, reason: String) async throws(ClientError) -> DirectoryMember {
        try await client.post("/v1/admin/members/\(id)/revoke", json: RevocationRequest(reason: reason)).decode(DirectoryMember.self)
    }

    /// Why members and devices were revoked (admins only; the log itself holds only each reason's SHA-256).
    public func revocations() async throws(ClientError) -> [RevocationBody] {
        try await client.get("/v1/admin/revocations").decode(ListBody<RevocationBody>.self).items
    }

    public func roleAddresses() async throws(ClientError) -> [RoleAddressBody] {
        try await client.get("/v1/roles").decode(ListBody<RoleAddressBody>.self).items
    }

    /// Sets whom a role address reaches; returns the members it now reaches.
    public func setRoleAddress(_ address: String, members: [String]) async throws(ClientError) -> [String] {
        try await client.put("/v1/admin/roles/\(address)", json: RoleAddressRequest(members: members)).decode(ListBody<String>.self).items
    }

    /// The directory entry an admin signs: this person, in their agency, holds these keys (and, for an admin role, may
    /// vouch for others: `deployment` for an admin, `agency:<id>` for an agency admin).
    public func signedEntry(member: MemberID, displayName: String, signingKey: SigningPublicKey, encryptionKey: EncryptionPublicKey, role: String,
                            agencies: [AgencyBody]) throws(ClientError) -> [UInt8] {
        guard let agency = agencies.first(where: { $0.id == member.agency.rawValue }) else {
            throw ClientError(.refused, "agency \(member.agency) is not registered; run `isr admin agency add \(member.agency) --name … --kind …` first")
        }
        let authority: DirectoryEntry.Authority? = switch role {
        case "admin": .deployment
        case "agency-admin": .agency(member.agency)
        default: nil
        }
        return DirectoryEntry(member: member, displayName: displayName, agencyName: agency.name, agencyKind: agency.kind, signingKey: signingKey,
                              encryptionKey: encryptionKey, issuedAt: Int64(Date().timeIntervalSince1970 * 1000), authority: authority)
            .signed(by: me, key: keys.signing)
    }
}
