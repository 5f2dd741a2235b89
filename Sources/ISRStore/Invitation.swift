import ISRPacket

/// A one-time invitation to enrol under a member id. Only the SHA-256 of the code is stored; the code itself is made
/// and shown on the inviting admin's machine. open → submitted (the practitioner's keys arrive, authenticated by the
/// code) → approved (an admin signed their directory entry; the certificate waits to be collected) → collected.
/// A newer invitation for the same member withdraws an earlier one that was not yet approved.
public struct Invitation: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case open
        case submitted
        case approved
        case collected
        case withdrawn

        /// States in which the invitation still counts as the member's live one.
        public static let live: [State] = [.open, .submitted, .approved]
    }

    /// What approving the submitted keys does.
    public enum Purpose: String, Sendable, CaseIterable {
        /// Enrols the member (or re-enrols a revoked one) with these keys on their first device.
        case enrol
        /// Adds another active device for an enrolled member (made by the member from a device they already have).
        case device
        /// Replaces one device's keys; the old ones are kept as retired (made by the member from that device).
        case rekey
    }

    /// What the practitioner's machine sent with the code: public material only.
    public struct Submission: Sendable, Equatable {
        public var certificateRequest: String
        public var signingKey: [UInt8]
        public var encryptionKey: [UInt8]
        public var proof: [UInt8]
        public var submittedAt: Int64

        public init(certificateRequest: String, signingKey: [UInt8], encryptionKey: [UInt8], proof: [UInt8], submittedAt: Int64) {
            self.certificateRequest = certificateRequest
            self.signingKey = signingKey
            self.encryptionKey = encryptionKey
            self.proof = proof
            self.submittedAt = submittedAt
        }
    }

    /// SHA-256 of the code's bytes.
    public var codeHash: [UInt8]
    public var member: MemberID
    public var displayName: String
    public var role: Member.Role
    public var invitedBy: MemberID
    public var createdAt: Int64
    public var expiresAt: Int64
    public var state: State
    public var submission: Submission?
    public var approvedBy: MemberID?
    public var approvedAt: Int64?
    /// The issued client certificate (PEM), kept for the practitioner to collect.
    public var certificate: String?
    public var purpose: Purpose
    /// The device the keys are for.
    public var device: String

    public init(codeHash: [UInt8], member: MemberID, displayName: String, role: Member.Role, invitedBy: MemberID, createdAt: Int64, expiresAt: Int64,
                state: State = .open, submission: Submission? = nil, approvedBy: MemberID? = nil, approvedAt: Int64? = nil, certificate: String? = nil,
                purpose: Purpose = .enrol, device: String = MemberKey.primaryDevice) {
        self.purpose = purpose
        self.device = device
        self.codeHash = codeHash
        self.member = member
        self.displayName = displayName
        self.role = role
        self.invitedBy = invitedBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.state = state
        self.submission = submission
        self.approvedBy = approvedBy
        self.approvedAt = approvedAt
        self.certificate = certificate
    }
}
