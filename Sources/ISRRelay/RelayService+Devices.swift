import Foundation
import ISRAudit
import ISRPKI
import ISRPacket
import ISRRelayAPI
import ISRStore

/// Several devices per member, and new keys for one of them: the member asks from a device they already have (a code
/// made on their machine, only its hash sent here), the new keys arrive with that code as in an enrolment, an admin
/// approves the computed fingerprint by signing the directory entry, and the relay issues the device's certificate.
extension RelayService {
    static let keyRequestLifetimeSeconds: ClosedRange<Int64> = 600...(7 * 86_400)

    /// Opens a request for another device, or for new keys on the caller's own device.
    public func requestKeys(_ body: KeyRequestBody, by member: Member) async throws -> InvitationBody {
        guard let purpose = Invitation.Purpose(rawValue: body.purpose), purpose != .enrol else {
            throw RelayRefusal.badRequest("devices.invalid-purpose", "purpose is `device` (another device) or `rekey` (new keys for this device)")
        }
        guard MemberKey.isValidDeviceName(body.device) else {
            throw RelayRefusal.badRequest("devices.invalid-name", "a device name is 1–40 lowercase letters, digits and hyphens (e.g. `work-laptop`)")
        }
        if purpose == .rekey, body.device != member.device {
            throw RelayRefusal.forbidden("devices.rekey-other", "re-key `\(body.device)` from that device; this request comes from `\(member.device)`")
        }
        if purpose == .rekey, let current = try await stored({ try await store.member(member.id) }), current.device == body.device,
           try isPinnedDeploymentAdmin(current) {
            throw RelayRefusal.forbidden("devices.rekey-pinned-admin", "every client pins this admin's key, so it cannot be re-keyed here; make another deployment admin and retire this one instead")
        }
        guard let hash = Data(base64Encoded: body.codeHash), hash.count == 32 else {
            throw RelayRefusal.badRequest("devices.invalid-code-hash", "code_hash is the base64 SHA-256 of the code")
        }
        guard Self.keyRequestLifetimeSeconds.contains(body.expiresInSeconds) else {
            throw RelayRefusal.badRequest("devices.invalid-expiry", "a device or re-key code lasts from 10 minutes to 7 days")
        }
        let now = clock()
        let invitation = Invitation(codeHash: Array(hash), member: member.id, displayName: member.displayName, role: member.role, invitedBy: member.id,
                                    createdAt: now, expiresAt: now + body.expiresInSeconds * 1000, purpose: purpose, device: body.device)
        _ = try await stored {
            try await store.insertKeyInvitation(invitation, event: event(purpose == .rekey ? "member.rekey-requested" : "member.device-requested", by: member.id.rawValue,
                                                                         ["member": member.id.rawValue, "device": body.device]))
        }
        return invitation.body
    }

    /// The caller's devices and key history.
    public func devices(of member: Member) async throws -> [DirectoryKey] {
        guard let agency = try await stored({ try await store.agency(member.agency) }) else { throw RelayRefusal.notFound("\(member.agency) is not registered") }
        return directoryMember(try await stored { try await store.member(member.id) } ?? member, agency).keys ?? []
    }

    /// Revokes one of the caller's devices (lost, stolen, replaced); nothing more is sealed to or accepted from it.
    public func revokeDevice(_ name: String, _ body: DeviceRevocation, by member: Member) async throws -> [DirectoryKey] {
        guard MemberKey.isValidDeviceName(name) else { throw RelayRefusal.badRequest("devices.invalid-name", "`\(name.prefix(60))` is not a device name") }
        guard let reason = APIText.validated(body.reason, maximum: 500, singleLine: false) else {
            throw RelayRefusal.badRequest("devices.reason", "give a reason for the revocation (1–500 characters of plain text)")
        }
        guard let current = try await stored({ try await store.member(member.id) }), current.activeKeys.contains(where: { $0.device == name }) else {
            throw RelayRefusal.notFound("you have no active device `\(name)`; see `isr device list`")
        }
        if current.device == name, try isPinnedDeploymentAdmin(current) {
            throw RelayRefusal.forbidden("devices.revoke-pinned-admin", "every client pins the key of `\(name)`, this deployment admin's primary device; it cannot be revoked while the deployment relies on it")
        }
        _ = try await stored {
            try await store.revokeDevice(member.id, device: name, at: clock(), reason: reason,
                                         event: event("member.device-revoked", by: member.id.rawValue,
                                                      ["member": member.id.rawValue, "device": name, "reason-sha256": Self.reasonDigest(reason)]))
        }
        return try await devices(of: member)
    }

    /// Approves a device or re-key request: checks the entry, issues the device's certificate, records the keys.
    func approveKeys(_ invitation: Invitation, submission: Invitation.Submission, _ request: ApprovalRequest, by admin: Member) async throws -> InvitationBody {
        guard let member = try await stored({ try await store.member(invitation.member) }), member.status == .active else {
            throw RelayRefusal.notFound("\(invitation.member) is no longer an active member")
        }
        try requireMayGrant(member.role, by: admin)
        let csr: MemberCertificateRequest
        do { csr = try MemberCertificateRequest(pem: submission.certificateRequest) } catch { throw RelayRefusal.unprocessable(error.code.rawValue, error.message) }
        guard let entryData = Data(base64Encoded: request.directoryEntry) else {
            throw RelayRefusal.badRequest("admin.invalid-entry", "directory_entry is a base64 SignedDirectoryEntry signed by you")
        }
        let issued = try await issue(csr, entry: Array(entryData), displayName: member.displayName, signingKey: submission.signingKey,
                                     encryptionKey: submission.encryptionKey, role: member.role, by: admin)
        let now = clock()
        let key = MemberKey(device: invitation.device, signingKey: submission.signingKey, encryptionKey: submission.encryptionKey,
                            certificateFingerprint: issued.fingerprint, certificateExpiresAt: issued.expiresAt, directoryEntry: Array(entryData),
                            state: .active, createdAt: now)
        let name = invitation.purpose == .rekey ? "member.rekeyed" : "member.device-added"
        _ = try await stored {
            try await store.approveKeyInvitation(codeHash: invitation.codeHash, member: member.id, key: key, approvedBy: admin.id, certificate: issued.pem,
                                                 event: event(name, by: admin.id.rawValue, ["member": member.id.rawValue, "device": invitation.device]))
        }
        var approved = invitation
        approved.state = .approved
        approved.approvedBy = admin.id
        approved.approvedAt = now
        return approved.body
    }

    /// True for the deployment admin whose key clients pin (their own entry is self-signed).
    func isPinnedDeploymentAdmin(_ member: Member) throws -> Bool {
        guard member.role == .admin, let entry = member.directoryEntry else { return false }
        return (try? DirectoryEntry.signer(of: entry)) == member.id
    }
}
