import Foundation
import ISRAudit
import ISRCrypto
import ISRPKI
import ISRPacket
import ISRRelayAPI
import ISRStore
import X509

/// Enrolment by invitation: an admin invites (only code hashes reach the relay), the practitioner submits their keys
/// with the code from their own machine (no client certificate yet), an admin approves the computed fingerprint and
/// signs the directory entry, the relay issues the certificate, and the practitioner collects it.
extension RelayService {
    static let maximumInvitationsPerRequest = 500
    static let invitationLifetimeSeconds: ClosedRange<Int64> = 3600...(30 * 86_400)

    public func invite(_ request: InvitationRequest, by admin: Member) async throws -> [InvitationBody] {
        guard admin.role.isAdministrator else { throw RelayRefusal.forbidden("admin.required", "this is an admin operation; you are \(admin.role.rawValue)") }
        guard (1...Self.maximumInvitationsPerRequest).contains(request.items.count) else {
            throw RelayRefusal.badRequest("admin.invitation-count", "send 1–\(Self.maximumInvitationsPerRequest) invitations at a time")
        }
        let now = clock()
        var invitations: [Invitation] = []
        var events: [AuditEvent] = []
        var seen = Set<MemberID>()
        for (index, item) in request.items.enumerated() {
            let row = request.items.count > 1 ? "invitation \(index + 1) (\(item.member)): " : ""
            let member: MemberID
            do { member = try MemberID(item.member) } catch { throw RelayRefusal.badRequest("invalid-member-id", row + error.message) }
            guard seen.insert(member).inserted else { throw RelayRefusal.unprocessable("admin.invitation-duplicate", row + "\(member) is invited twice") }
            guard let role = Member.Role(rawValue: item.role) else {
                throw RelayRefusal.badRequest("admin.invalid-role", row + "role `\(item.role)` is not one of \(Member.Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            try requireAuthority(admin, over: member.agency)
            try requireMayGrant(role, by: admin)
            let name = try displayName(item.displayName, row: row)
            guard let hash = Data(base64Encoded: item.codeHash), hash.count == 32 else {
                throw RelayRefusal.badRequest("admin.invalid-code-hash", row + "code_hash is the base64 SHA-256 of the invitation code")
            }
            guard Self.invitationLifetimeSeconds.contains(item.expiresInSeconds) else {
                throw RelayRefusal.badRequest("admin.invalid-expiry", row + "an invitation lasts from 1 hour to 30 days")
            }
            invitations.append(Invitation(codeHash: Array(hash), member: member, displayName: name, role: role, invitedBy: admin.id, createdAt: now,
                                          expiresAt: now + item.expiresInSeconds * 1000))
            events.append(event("member.invited", by: admin.id.rawValue, ["member": member.rawValue, "role": role.rawValue]))
        }
        _ = try await stored { try await store.insertInvitations(invitations, events: events) }
        return invitations.map { $0.body }
    }

    /// Invitations in `state` (all live ones if nil), for an admin.
    public func invitations(state: String?, by admin: Member) async throws -> [InvitationBody] {
        guard admin.role.isAdministrator else { throw RelayRefusal.forbidden("admin.required", "this is an admin operation; you are \(admin.role.rawValue)") }
        var states = Invitation.State.live
        if let state {
            guard let chosen = Invitation.State(rawValue: state) else {
                throw RelayRefusal.badRequest("invalid-query", "`state` is one of \(Invitation.State.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            states = [chosen]
        }
        // An agency admin sees their own agency's invitations only.
        return try await stored { try await store.invitations(in: states) }.filter { (try? requireAuthority(admin, over: $0.member.agency)) != nil }.map { $0.body }
    }

    /// What a code invites to, for the practitioner to see before making keys.
    public func lookupInvitation(_ body: InvitationCodeBody, from address: String) async throws -> InvitationSummary {
        let invitation = try await invitation(for: body.code, from: address)
        guard let agency = try await stored({ try await store.agency(invitation.member.agency) }) else {
            throw RelayRefusal.forbidden("enrolment.invalid-code", Self.invalidCode)
        }
        return InvitationSummary(member: invitation.member.rawValue, displayName: invitation.displayName, role: invitation.role.rawValue,
                                 agencyName: agency.name, agencyKind: agency.kind, state: invitation.state.rawValue, expiresAt: invitation.expiresAt,
                                 purpose: invitation.purpose.rawValue, device: invitation.device)
    }

    /// Takes the practitioner's key request once per code; the same request again reports progress, and once approved
    /// hands over the certificate and the signed directory entry.
    public func submitEnrolment(_ body: EnrolmentSubmission, from address: String) async throws -> EnrolmentProgress {
        let invitation = try await invitation(for: body.code, from: address)
        let request: MemberKeyRequest
        do {
            request = try MemberKeyRequest(certificateRequestPEM: body.certificateRequest, signingKey: body.signingKey, encryptionKey: body.encryptionKey,
                                           proof: body.proof, expected: invitation.member)
        } catch {
            throw RelayRefusal.unprocessable(error.code.rawValue, error.message)
        }
        let fingerprint = request.fingerprint.description
        guard let submitted = invitation.submission else {
            let submission = Invitation.Submission(certificateRequest: body.certificateRequest, signingKey: request.signingKey.bytes,
                                                   encryptionKey: request.encryptionKey.bytes, proof: request.proof, submittedAt: clock())
            _ = try await stored {
                try await store.submitInvitation(codeHash: invitation.codeHash, submission: submission, now: clock(),
                                                 event: event("member.enrolment-submitted", by: invitation.member.rawValue, ["member": invitation.member.rawValue]))
            }
            return EnrolmentProgress(member: invitation.member.rawValue, state: Invitation.State.submitted.rawValue, fingerprint: fingerprint, enrolment: nil)
        }
        guard submitted.signingKey == request.signingKey.bytes, submitted.encryptionKey == request.encryptionKey.bytes,
              submitted.certificateRequest == body.certificateRequest else {
            throw RelayRefusal.conflict("enrolment.code-used", "this invitation code was already used with other keys, and works only once; if that was not you, tell your admin at once")
        }
        guard invitation.state == .approved || invitation.state == .collected, let certificate = invitation.certificate, let approver = invitation.approvedBy else {
            return EnrolmentProgress(member: invitation.member.rawValue, state: invitation.state.rawValue, fingerprint: fingerprint, enrolment: nil)
        }
        guard let ca = certificateAuthority, let approving = try await stored({ try await store.member(approver) }),
              let member = try await stored({ try await store.member(invitation.member) }),
              let entry = member.activeKeys.first(where: { $0.signingKey == submitted.signingKey && $0.device == invitation.device })?.directoryEntry else {
            throw RelayRefusal.conflict("enrolment.superseded", "this enrolment was approved but has since been replaced; ask your admin")
        }
        // The deployment admin every client pins: the approver, or whoever signed the approver's own entry (an agency admin).
        var admin = approving
        var approverEntry: [UInt8]?
        if let own = approving.directoryEntry, let signer = try? DirectoryEntry.signer(of: own), signer != approving.id,
           let deployment = try await stored({ try await store.member(signer) }) {
            admin = deployment
            approverEntry = own
        }
        let caPEM: String
        do { caPEM = try ca.certificate.serializeAsPEM().pemString } catch { throw RelayRefusal.unprocessable("admin.issuance", "the CA could not be written as PEM") }
        if invitation.state == .approved {
            try await stored { try await store.collectInvitation(codeHash: invitation.codeHash) }
        }
        return EnrolmentProgress(member: invitation.member.rawValue, state: Invitation.State.approved.rawValue, fingerprint: fingerprint,
                                 enrolment: .init(certificate: certificate, caCertificate: caPEM, adminId: admin.id.rawValue,
                                                  adminKey: Data(admin.signingKey).base64EncodedString(), directoryEntry: Data(entry).base64EncodedString(),
                                                  approverEntry: approverEntry.map { Data($0).base64EncodedString() }))
    }

    /// Approves the submitted enrolment (or device or re-key request) of `raw` with the directory entry the admin signed for
    /// exactly its keys.
    public func approveEnrolment(_ raw: String, _ request: ApprovalRequest, by admin: Member) async throws -> InvitationBody {
        let id = try memberID(raw)
        try requireAuthority(admin, over: id.agency)
        let waiting = try await stored({ try await store.invitations(in: [.submitted]) }).filter { $0.member == id && (request.device == nil || $0.device == request.device) }
        guard waiting.count < 2 else {
            throw RelayRefusal.conflict("admin.device-required", "\(id) has requests for devices \(waiting.map(\.device).joined(separator: ", ")) waiting; name the device to approve")
        }
        guard let invitation = waiting.first, let submission = invitation.submission else {
            throw RelayRefusal.notFound("no enrolment from \(id) is waiting for approval; see `isr admin member pending`")
        }
        guard invitation.purpose == .enrol else { return try await approveKeys(invitation, submission: submission, request, by: admin) }
        let csr: MemberCertificateRequest
        do { csr = try MemberCertificateRequest(pem: submission.certificateRequest) } catch { throw RelayRefusal.unprocessable(error.code.rawValue, error.message) }
        guard let entryData = Data(base64Encoded: request.directoryEntry) else {
            throw RelayRefusal.badRequest("admin.invalid-entry", "directory_entry is a base64 SignedDirectoryEntry signed by you")
        }
        try requireMayGrant(invitation.role, by: admin)
        let issued = try await issue(csr, entry: Array(entryData), displayName: invitation.displayName, signingKey: submission.signingKey,
                                     encryptionKey: submission.encryptionKey, role: invitation.role, by: admin)
        let member = Member(id: id, displayName: invitation.displayName, role: invitation.role, signingKey: submission.signingKey,
                            encryptionKey: submission.encryptionKey, certificateFingerprint: issued.fingerprint, directoryEntry: Array(entryData), enrolledAt: clock(),
                            certificateExpiresAt: issued.expiresAt)
        _ = try await stored {
            try await store.approveInvitation(codeHash: invitation.codeHash, member: member, approvedBy: admin.id, certificate: issued.pem,
                                              event: event("member.enrolled", by: admin.id.rawValue, ["member": id.rawValue, "role": invitation.role.rawValue,
                                                                                                      "via": "invitation"]))
        }
        var approved = invitation
        approved.state = .approved
        approved.approvedBy = admin.id
        approved.approvedAt = member.enrolledAt
        return approved.body
    }

    /// Checks the admin-signed entry vouches for exactly this person and these keys, with the authority `role` needs, then
    /// issues their certificate.
    func issue(_ csr: MemberCertificateRequest, entry: [UInt8], displayName: String, signingKey: [UInt8], encryptionKey: [UInt8],
               role: Member.Role, by admin: Member) async throws -> IssuedCertificate {
        guard let ca = certificateAuthority else {
            throw RelayRefusal(.serviceUnavailable, code: "admin.no-ca", title: "No CA", detail: "this relay holds no CA key, so it cannot issue certificates")
        }
        try await checkEntry(entry, for: csr.member, displayName: displayName, signingKey: signingKey, encryptionKey: encryptionKey, role: role, by: admin)
        return try issueCertificate(csr, ca: ca)
    }

    /// The entry must be signed by this admin and vouch for exactly this person, agency, keys and role authority.
    func checkEntry(_ entry: [UInt8], for member: MemberID, displayName: String, signingKey: [UInt8], encryptionKey: [UInt8], role: Member.Role,
                    by admin: Member) async throws {
        guard let agency = try await stored({ try await store.agency(member.agency) }), agency.status == .active else {
            throw RelayRefusal.unprocessable("admin.agency", "agency \(member.agency) is not registered and active; add it first")
        }
        // Entries are signed with the admin's primary device's key: the one their own entry vouches for, which clients check.
        let signer = try await stored { try await store.member(admin.id) } ?? admin
        let vouched: DirectoryEntry
        do {
            vouched = try DirectoryEntry.verified(entry, adminKey: try registeredKey(of: signer))
        } catch let error as PKIError {
            let device = signer.device == admin.device ? "" : " (approve from your `\(signer.device)` device: directory entries are signed with its key)"
            throw RelayRefusal.unprocessable("admin.entry-signature", "the directory entry must be signed by your admin key\(device): \(error.message)")
        }
        guard try DirectoryEntry.signer(of: entry) == admin.id, vouched.member == member, vouched.displayName == displayName,
              vouched.signingKey.bytes == signingKey, vouched.encryptionKey.bytes == encryptionKey,
              vouched.agencyName == agency.name, vouched.agencyKind == agency.kind else {
            throw RelayRefusal.unprocessable("admin.entry-mismatch", "the directory entry does not match the member, name, agency or keys being enrolled")
        }
        let needed = Self.authority(for: role, in: member.agency)
        guard vouched.authority == needed else {
            throw RelayRefusal.unprocessable("admin.entry-authority", "a \(role.rawValue)'s directory entry must carry authority \(needed.map(\.description) ?? "none"), not \(vouched.authority.map(\.description) ?? "none")")
        }
    }

    /// A client certificate from the deployment CA, with what the registry keeps of it.
    struct IssuedCertificate {
        let pem: String
        /// SHA-256 of the DER, lowercase hex: what authentication matches.
        let fingerprint: String
        /// Unix milliseconds.
        let expiresAt: Int64
    }

    func issueCertificate(_ csr: MemberCertificateRequest, ca: DeploymentCA) throws -> IssuedCertificate {
        do {
            let certificate = try ca.issueClientCertificate(for: csr, now: Date(timeIntervalSince1970: TimeInterval(clock()) / 1000),
                                                            validity: TimeInterval(memberCertificateDays) * 86_400)
            let pem = try certificate.serializeAsPEM()
            return IssuedCertificate(pem: pem.pemString, fingerprint: Hex.encode(ISRCrypto.SHA256.hash(pem.derBytes)),
                                     expiresAt: Int64(certificate.notValidAfter.timeIntervalSince1970 * 1000))
        } catch {
            throw RelayRefusal.unprocessable("admin.issuance", "the certificate could not be issued")
        }
    }

    static let invalidCode = "this invitation code is unknown, expired or withdrawn; ask your admin for a new one"

    /// The live invitation a code names, with guessing throttled per address; unknown, expired and withdrawn codes get
    /// one answer.
    func invitation(for text: String, from address: String) async throws -> Invitation {
        if let wait = enrolmentThrottle.retryAfter(address, now: clock()) {
            throw RelayRefusal(.tooManyRequests, code: "enrolment.rate-limited", title: "Too many attempts",
                               detail: "too many wrong invitation codes from here; wait \(wait) seconds and check the code", retryAfter: wait)
        }
        guard let code = try? InvitationCode(parsing: text),
              let invitation = try await stored({ try await store.invitation(codeHash: code.hash) }), invitation.state != .withdrawn,
              invitation.state != .open || invitation.expiresAt > clock() else {
            enrolmentThrottle.recordFailure(address, now: clock())
            throw RelayRefusal.forbidden("enrolment.invalid-code", Self.invalidCode)
        }
        return invitation
    }

    func displayName(_ raw: String, row: String = "") throws -> String {
        guard let name = APIText.validated(raw, maximum: 200, singleLine: true) else {
            throw RelayRefusal.badRequest("admin.invalid-name", row + "a display name is 1–200 characters on one line, with no control characters")
        }
        return name
    }
}

extension Invitation {
    var body: InvitationBody {
        let keys = submission.flatMap { submitted -> MemberFingerprint? in
            guard let signing = try? SigningPublicKey(bytes: submitted.signingKey), let encryption = try? EncryptionPublicKey(bytes: submitted.encryptionKey) else { return nil }
            return MemberFingerprint(member: member, signingKey: signing, encryptionKey: encryption)
        }
        return InvitationBody(member: member.rawValue, displayName: displayName, role: role.rawValue, state: state.rawValue, invitedBy: invitedBy.rawValue,
                              createdAt: createdAt, expiresAt: expiresAt, submittedAt: submission?.submittedAt, fingerprint: keys?.description,
                              certificateRequest: submission?.certificateRequest, signingKey: submission.map { Data($0.signingKey).base64EncodedString() },
                              encryptionKey: submission.map { Data($0.encryptionKey).base64EncodedString() },
                              proof: submission.map { Data($0.proof).base64EncodedString() }, approvedBy: approvedBy?.rawValue, approvedAt: approvedAt,
                              purpose: purpose.rawValue, device: device)
    }
}
