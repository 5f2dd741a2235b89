import Crypto
import Foundation
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import ISRStore
import X509

extension RelayService {
    /// Deployment-wide operations (agencies): deployment admins only.
    func requireAdmin(_ member: Member) throws {
        guard member.role == .admin else { throw RelayRefusal.forbidden("admin.required", "this is a deployment admin operation; you are \(member.role.rawValue)") }
    }

    /// Operations on an agency's members: a deployment admin, or that agency's own agency admin.
    func requireAuthority(_ member: Member, over agency: AgencyID) throws {
        switch member.role {
        case .admin: return
        case .agencyAdmin where member.agency == agency: return
        case .agencyAdmin:
            throw RelayRefusal.forbidden("admin.other-agency", "you administer \(member.agency) only; \(agency)'s members are administered by its agency admin or a deployment admin")
        case .practitioner, .dsl, .manager, .auditor:
            throw RelayRefusal.forbidden("admin.required", "this is an admin operation; you are \(member.role.rawValue)")
        }
    }

    /// Only a deployment admin makes admins, agency admins or auditors (clients trust an admin's signatures only when the
    /// pinned deployment admin signed that admin's entry with the authority; an auditor reads every agency's events).
    func requireMayGrant(_ role: Member.Role, by member: Member) throws {
        guard !(role.isAdministrator || role == .auditor) || member.role == .admin else {
            throw RelayRefusal.forbidden("admin.grant", "only a deployment admin can make someone an \(role.rawValue)")
        }
    }

    /// An admin cannot lock themselves out (the last admin of a deployment would leave it without one).
    func refuseSelf(_ target: MemberID, _ admin: Member, _ action: String) throws {
        guard target != admin.id else { throw RelayRefusal.conflict("admin.self", "you cannot \(action); another admin must") }
    }

    /// The authority a member's directory entry must carry for `role`.
    static func authority(for role: Member.Role, in agency: AgencyID) -> DirectoryEntry.Authority? {
        switch role {
        case .admin: .deployment
        case .agencyAdmin: .agency(agency)
        case .practitioner, .dsl, .manager, .auditor: nil
        }
    }

    public func addAgency(_ request: AgencyRequest, by admin: Member) async throws -> AgencyBody {
        try requireAdmin(admin)
        let id: AgencyID
        do { id = try AgencyID(request.id) } catch { throw RelayRefusal.badRequest("admin.invalid-agency-id", error.message) }
        guard policy.agencyKinds.contains(request.kind) else {
            throw RelayRefusal.badRequest("admin.invalid-agency-kind", "agency kind `\(request.kind)` is not one of \(policy.agencyKinds.joined(separator: ", "))")
        }
        guard let name = APIText.validated(request.name, maximum: 200, singleLine: true) else {
            throw RelayRefusal.badRequest("admin.invalid-name", "an agency name is 1–200 characters on one line, with no control characters")
        }
        let agency = Agency(id: id, name: name, kind: request.kind, registeredAt: clock())
        _ = try await stored {
            try await store.insertAgency(agency, event: event("agency.registered", by: admin.id.rawValue, ["agency": id.rawValue, "kind": request.kind]))
        }
        return agency.body
    }

    public func setAgencyStatus(_ raw: String, to status: Agency.Status, by admin: Member) async throws -> AgencyBody {
        try requireAdmin(admin)
        let id: AgencyID
        do { id = try AgencyID(raw) } catch { throw RelayRefusal.badRequest("admin.invalid-agency-id", error.message) }
        if status == .suspended, id == admin.agency {
            throw RelayRefusal.conflict("admin.self", "you cannot suspend your own agency (\(id)): you would lock yourself out; another deployment admin must")
        }
        _ = try await stored {
            try await store.updateAgencyStatus(id, to: status, event: event(status == .suspended ? "agency.suspended" : "agency.reinstated", by: admin.id.rawValue, ["agency": id.rawValue]))
        }
        guard let agency = try await stored({ try await store.agency(id) }) else { throw RelayRefusal.notFound("agency \(id) is not registered") }
        return agency.body
    }

    /// Enrols a member from their certificate request: the relay's CA issues their client certificate.
    public func enrol(_ request: EnrolmentRequest, by admin: Member) async throws -> Enrolment {
        guard admin.role.isAdministrator else { throw RelayRefusal.forbidden("admin.required", "this is an admin operation; you are \(admin.role.rawValue)") }
        guard let ca = certificateAuthority else {
            throw RelayRefusal(.serviceUnavailable, code: "admin.no-ca", title: "No CA", detail: "this relay holds no CA key, so it cannot issue certificates")
        }
        let csr: MemberCertificateRequest
        do { csr = try MemberCertificateRequest(pem: request.certificateRequest) } catch { throw RelayRefusal.unprocessable(error.code.rawValue, error.message) }
        guard let role = Member.Role(rawValue: request.role) else {
            throw RelayRefusal.badRequest("admin.invalid-role", "role `\(request.role)` is not one of \(Member.Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try requireAuthority(admin, over: csr.member.agency)
        try requireMayGrant(role, by: admin)
        guard let signing = Data(base64Encoded: request.signingKey), signing.count == 32,
              let encryption = Data(base64Encoded: request.encryptionKey), encryption.count == 32 else {
            throw RelayRefusal.badRequest("admin.invalid-keys", "signing_key and encryption_key are base64 32-byte public keys from `isr keygen`")
        }
        let name = try displayName(request.displayName)
        guard let entryData = Data(base64Encoded: request.directoryEntry) else {
            throw RelayRefusal.badRequest("admin.invalid-entry", "directory_entry is a base64 SignedDirectoryEntry signed by you")
        }
        if let proof = request.proof {
            do {
                _ = try MemberKeyRequest(certificateRequestPEM: request.certificateRequest, signingKey: request.signingKey, encryptionKey: request.encryptionKey,
                                         proof: proof, expected: csr.member)
            } catch {
                throw RelayRefusal.unprocessable(error.code.rawValue, error.message)
            }
        }
        let entry = Array(entryData)
        let issued = try await issue(csr, entry: entry, displayName: name, signingKey: Array(signing), encryptionKey: Array(encryption), role: role, by: admin)
        let member = Member(id: csr.member, displayName: name, role: role, signingKey: Array(signing), encryptionKey: Array(encryption),
                            certificateFingerprint: issued.fingerprint, directoryEntry: entry, enrolledAt: clock(), certificateExpiresAt: issued.expiresAt)
        _ = try await stored {
            try await store.insertMember(member, event: event("member.enrolled", by: admin.id.rawValue, ["member": member.id.rawValue, "role": role.rawValue]))
        }
        guard let agency = try await stored({ try await store.agency(member.agency) }) else { throw RelayRefusal.notFound("agency \(member.agency) is not registered") }
        do {
            return Enrolment(member: directoryMember(member, agency), certificate: issued.pem, caCertificate: try ca.certificate.serializeAsPEM().pemString)
        } catch {
            throw RelayRefusal.unprocessable("admin.issuance", "the certificate could not be written as PEM")
        }
    }

    public func revoke(_ raw: String, reason: String, by admin: Member) async throws -> DirectoryMember {
        let id = try memberID(raw)
        try requireAuthority(admin, over: id.agency)
        try refuseSelf(id, admin, "revoke yourself")
        guard let trimmed = APIText.validated(reason, maximum: 500, singleLine: false) else {
            throw RelayRefusal.badRequest("admin.reason", "give a reason for the revocation (1–500 characters of plain text, no control characters)")
        }
        if let target = try await stored({ try await store.member(id) }), target.role.isAdministrator, admin.role != .admin {
            throw RelayRefusal.forbidden("admin.grant", "only a deployment admin can revoke an \(target.role.rawValue)")
        }
        _ = try await stored {
            try await store.revokeMember(id, reason: trimmed, at: clock(),
                                         event: event("member.revoked", by: admin.id.rawValue, ["member": id.rawValue, "reason-sha256": Self.reasonDigest(trimmed)]))
        }
        return try await directoryEntry(id)
    }

    /// What the log records of a revocation reason: its SHA-256, so that the text (often about a person's conduct or
    /// health) stays with admins while the log still binds it.
    static func reasonDigest(_ reason: String) -> String { Hex.encode(SHA256.hash(Array(reason.utf8))) }

    /// Why members and devices were revoked: all of them for a deployment admin, their own agency's for an agency admin.
    public func revocations(by admin: Member) async throws -> [RevocationBody] {
        guard admin.role.isAdministrator else { throw RelayRefusal.forbidden("admin.required", "revocation reasons are for admins; you are \(admin.role.rawValue)") }
        return try await stored { try await store.revocationReasons() }
            .filter { (try? requireAuthority(admin, over: $0.member.agency)) != nil }
            .map { RevocationBody(leafIndex: $0.leafIndex, member: $0.member.rawValue, device: $0.device, reason: $0.reason, revokedAt: $0.at, revokedBy: $0.by) }
    }

    /// Changes a member's role; a change of what their entry must vouch for (to or from an admin role) needs the entry
    /// re-signed by the acting admin with the new authority.
    public func changeRole(_ raw: String, to request: RoleChangeRequest, by admin: Member) async throws -> DirectoryMember {
        let id = try memberID(raw)
        try requireAuthority(admin, over: id.agency)
        guard let role = Member.Role(rawValue: request.role) else { throw RelayRefusal.badRequest("admin.invalid-role", "role `\(request.role)` is unknown") }
        guard let target = try await stored({ try await store.member(id) }) else { throw RelayRefusal.notFound("\(id) is not enrolled") }
        try requireMayGrant(role, by: admin)
        try requireMayGrant(target.role, by: admin)
        try refuseSelf(id, admin, "change your own role")
        var entry: [UInt8]?
        if Self.authority(for: role, in: id.agency) != Self.authority(for: target.role, in: id.agency) {
            guard let text = request.directoryEntry, let data = Data(base64Encoded: text) else {
                throw RelayRefusal.unprocessable("admin.entry-required", "making \(id) \(role.rawValue) changes what their directory entry vouches for; send it re-signed with that authority")
            }
            try await checkEntry(Array(data), for: id, displayName: target.displayName, signingKey: target.signingKey, encryptionKey: target.encryptionKey,
                                 role: role, by: admin)
            entry = Array(data)
        }
        _ = try await stored {
            try await store.updateMember(id, status: nil, role: role, directoryEntry: entry,
                                         event: event("member.role-changed", by: admin.id.rawValue, ["member": id.rawValue, "role": role.rawValue]))
        }
        return try await directoryEntry(id)
    }

    public func setRoleAddress(_ raw: String, members: [String], by admin: Member) async throws -> [String] {
        let address = try memberID(raw)
        try requireAuthority(admin, over: address.agency)
        let ids = try members.map { try memberID($0) }
        guard ids.count <= 64 else { throw RelayRefusal.badRequest("admin.role-size", "a role address has at most 64 members") }
        for id in ids where try await stored({ try await store.member(id) })?.role == .auditor {
            throw RelayRefusal.unprocessable("admin.role-auditor", "\(id) is an auditor: auditors receive no packets, so they cannot answer for a role address")
        }
        _ = try await stored {
            try await store.setRoleAddress(address, members: ids, event: event("role.set", by: admin.id.rawValue,
                                                                                ["address": address.rawValue, "members": ids.map(\.rawValue).sorted().joined(separator: ",")]))
        }
        return ids.map(\.rawValue).sorted()
    }

    // MARK: Directory (any member)

    public func agencies() async throws -> [AgencyBody] {
        try await stored { try await store.agencies() }.map(\.body)
    }

    public func directory() async throws -> [DirectoryMember] {
        let agencies = Dictionary(uniqueKeysWithValues: try await stored { try await store.agencies() }.map { ($0.id, $0) })
        return try await stored { try await store.members() }.compactMap { member in agencies[member.agency].map { directoryMember(member, $0) } }
    }

    public func directoryEntry(_ id: MemberID) async throws -> DirectoryMember {
        guard let member = try await stored({ try await store.member(id) }), let agency = try await stored({ try await store.agency(id.agency) }) else {
            if let role = try await stored({ try await store.roleAddress(id) }) {
                throw RelayRefusal(.notFound, code: "directory.role-address", title: "Role address", detail: "\(id) is a role address for \(role.map(\.rawValue).joined(separator: ", "))")
            }
            throw RelayRefusal.notFound("\(id) is not in the directory")
        }
        return directoryMember(member, agency)
    }

    public func roleAddress(_ raw: String) async throws -> [String] {
        let address = try memberID(raw)
        guard let members = try await stored({ try await store.roleAddress(address) }) else { throw RelayRefusal.notFound("\(address) is not a role address") }
        return members.map(\.rawValue)
    }

    public func roleAddresses() async throws -> [RoleAddressBody] {
        try await stored { try await store.roleAddresses() }.map { RoleAddressBody(address: $0.key.rawValue, members: $0.value.map(\.rawValue).sorted()) }
            .sorted { $0.address < $1.address }
    }

    func directoryMember(_ member: Member, _ agency: Agency) -> DirectoryMember {
        DirectoryMember(id: member.id.rawValue, displayName: member.displayName, role: member.role.rawValue, agency: agency.id.rawValue,
                        agencyName: agency.name, agencyKind: agency.kind,
                        status: member.status == .active && agency.status == .active ? "active" : (member.status == .revoked ? "revoked" : "suspended"),
                        signingKey: Data(member.signingKey).base64EncodedString(), encryptionKey: Data(member.encryptionKey).base64EncodedString(),
                        signingKeyFingerprint: (try? SigningPublicKey(bytes: member.signingKey).fingerprint) ?? "",
                        fingerprint: member.fingerprint?.description ?? "",
                        directoryEntry: member.directoryEntry.map { Data($0).base64EncodedString() },
                        keys: member.allKeys.map { key in
                            DirectoryKey(device: key.device, state: key.state.rawValue, signingKey: Data(key.signingKey).base64EncodedString(),
                                         encryptionKey: Data(key.encryptionKey).base64EncodedString(),
                                         fingerprint: member.viewed(from: key).fingerprint?.description ?? "",
                                         directoryEntry: key.directoryEntry.map { Data($0).base64EncodedString() }, since: key.createdAt, until: key.endedAt)
                        })
    }

    func memberID(_ raw: String) throws -> MemberID {
        do { return try MemberID(raw) } catch { throw RelayRefusal.badRequest("invalid-member-id", error.message) }
    }
}

extension Member {
    /// The fingerprint of the member's current keys, as `isr` shows it.
    var fingerprint: MemberFingerprint? {
        guard let signing = try? SigningPublicKey(bytes: signingKey), let encryption = try? EncryptionPublicKey(bytes: encryptionKey) else { return nil }
        return MemberFingerprint(member: id, signingKey: signing, encryptionKey: encryption)
    }
}

extension Agency {
    var body: AgencyBody { AgencyBody(id: id.rawValue, name: name, kind: kind, status: status.rawValue, registeredAt: registeredAt) }
}
