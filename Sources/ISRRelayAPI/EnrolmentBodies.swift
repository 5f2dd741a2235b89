import Foundation

/// Enrolment by invitation, as JSON bodies.

/// `POST /v1/admin/invitations`: invitations made on the admin's machine; only each code's SHA-256 is sent.
public struct InvitationRequest: Codable, Sendable {
    public struct Item: Codable, Sendable {
        public let member: String
        public let displayName: String
        public let role: String
        /// Base64 SHA-256 of the code's bytes.
        public let codeHash: String
        /// How long the code may be used, in seconds (3600 to 30 days).
        public let expiresInSeconds: Int64

        public init(member: String, displayName: String, role: String, codeHash: String, expiresInSeconds: Int64) {
            self.member = member
            self.displayName = displayName
            self.role = role
            self.codeHash = codeHash
            self.expiresInSeconds = expiresInSeconds
        }
    }

    public let items: [Item]

    public init(items: [Item]) { self.items = items }
}

/// An invitation as admins see it; after the practitioner submitted their keys, the keys and the relay's computed
/// fingerprint (the admin's `isr` recomputes it and checks the proof itself).
public struct InvitationBody: Codable, Sendable, Equatable {
    public let member: String
    public let displayName: String
    public let role: String
    /// open, submitted, approved, collected or withdrawn.
    public let state: String
    public let invitedBy: String
    public let createdAt: Int64
    public let expiresAt: Int64
    public let submittedAt: Int64?
    public let fingerprint: String?
    public let certificateRequest: String?
    public let signingKey: String?
    public let encryptionKey: String?
    public let proof: String?
    public let approvedBy: String?
    public let approvedAt: Int64?
    /// `enrol` (an admin's invitation), `device` (another device for an enrolled member) or `rekey` (new keys for one device).
    public let purpose: String?
    /// The device the keys are for (`primary` for an enrolment).
    public let device: String?

    public init(member: String, displayName: String, role: String, state: String, invitedBy: String, createdAt: Int64, expiresAt: Int64,
                submittedAt: Int64?, fingerprint: String?, certificateRequest: String?, signingKey: String?, encryptionKey: String?, proof: String?,
                approvedBy: String?, approvedAt: Int64?, purpose: String? = nil, device: String? = nil) {
        self.purpose = purpose
        self.device = device
        self.member = member
        self.displayName = displayName
        self.role = role
        self.state = state
        self.invitedBy = invitedBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.submittedAt = submittedAt
        self.fingerprint = fingerprint
        self.certificateRequest = certificateRequest
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
        self.proof = proof
        self.approvedBy = approvedBy
        self.approvedAt = approvedAt
    }
}

/// `POST /v1/enrolments/invitation`: what a code invites to (no client certificate needed; guessing is rate-limited).
public struct InvitationCodeBody: Codable, Sendable {
    public let code: String

    public init(code: String) { self.code = code }
}

/// What an invitation is for, shown to the practitioner before their keys are made.
public struct InvitationSummary: Codable, Sendable, Equatable {
    public let member: String
    public let displayName: String
    public let role: String
    public let agencyName: String
    public let agencyKind: String
    public let state: String
    public let expiresAt: Int64
    /// `enrol`, `device` or `rekey`, and the device the keys will be for.
    public let purpose: String?
    public let device: String?

    public init(member: String, displayName: String, role: String, agencyName: String, agencyKind: String, state: String, expiresAt: Int64,
                purpose: String? = nil, device: String? = nil) {
        self.purpose = purpose
        self.device = device
        self.member = member
        self.displayName = displayName
        self.role = role
        self.agencyName = agencyName
        self.agencyKind = agencyKind
        self.state = state
        self.expiresAt = expiresAt
    }
}

/// `POST /v1/enrolments`: the practitioner's key request, authenticated by the code. Sending the same request again
/// reports progress; once approved, the answer carries what `isr enrol` installs.
public struct EnrolmentSubmission: Codable, Sendable {
    public let code: String
    public let certificateRequest: String
    public let signingKey: String
    public let encryptionKey: String
    public let proof: String

    public init(code: String, certificateRequest: String, signingKey: String, encryptionKey: String, proof: String) {
        self.code = code
        self.certificateRequest = certificateRequest
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
        self.proof = proof
    }
}

/// Where a submitted enrolment stands: `submitted` (waiting for an admin) or `approved` (then `enrolment` is set).
public struct EnrolmentProgress: Codable, Sendable, Equatable {
    /// What the practitioner installs: their certificate, the CA, the deployment admin whose key every client pins, and
    /// the entries that vouch for them (theirs, and their approver's if an agency admin approved them).
    public struct Issued: Codable, Sendable, Equatable {
        public let certificate: String
        public let caCertificate: String
        public let adminId: String
        /// Base64 Ed25519 key of the deployment admin (pinned only if the code's tag matches it).
        public let adminKey: String
        /// Base64 `SignedDirectoryEntry`.
        public let directoryEntry: String
        /// Base64 `SignedDirectoryEntry` of the admin who signed it, when that is not the deployment admin (an agency admin).
        public let approverEntry: String?

        public init(certificate: String, caCertificate: String, adminId: String, adminKey: String, directoryEntry: String, approverEntry: String? = nil) {
            self.approverEntry = approverEntry
            self.certificate = certificate
            self.caCertificate = caCertificate
            self.adminId = adminId
            self.adminKey = adminKey
            self.directoryEntry = directoryEntry
        }
    }

    public let member: String
    public let state: String
    public let fingerprint: String
    public let enrolment: Issued?

    public init(member: String, state: String, fingerprint: String, enrolment: Issued?) {
        self.member = member
        self.state = state
        self.fingerprint = fingerprint
        self.enrolment = enrolment
    }
}

/// `POST /v1/admin/invitations/{member}/approve`: the directory entry the approving admin signed for the submitted keys.
/// `device` names which of the member's pending requests this approves when they have several (devices, a re-key).
public struct ApprovalRequest: Codable, Sendable {
    public let directoryEntry: String
    public let device: String?

    public init(directoryEntry: String, device: String? = nil) {
        self.directoryEntry = directoryEntry
        self.device = device
    }
}

/// `POST /v1/devices/invitations`: a member asks, from a device they have, for another device (`device`) or for new keys
/// on this one (`rekey`). The code is made on their machine; only its SHA-256 is sent. An admin approves as an enrolment.
public struct KeyRequestBody: Codable, Sendable {
    public let purpose: String
    public let device: String
    public let codeHash: String
    public let expiresInSeconds: Int64

    public init(purpose: String, device: String, codeHash: String, expiresInSeconds: Int64) {
        self.purpose = purpose
        self.device = device
        self.codeHash = codeHash
        self.expiresInSeconds = expiresInSeconds
    }
}

/// `POST /v1/devices/{device}/revoke`: why the device is revoked (lost, stolen, replaced).
public struct DeviceRevocation: Codable, Sendable {
    public let reason: String

    public init(reason: String) { self.reason = reason }
}
