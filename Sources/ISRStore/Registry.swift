import ISRPacket

/// An agency in the deployment (a school, a health trust, a police force, the MASH…).
public struct Agency: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        case active
        case suspended
    }

    public var id: AgencyID
    public var name: String
    /// One of the policy's agency kinds (`school`, `health`, `police`, `childrens-social-care`, `mash`, …).
    public var kind: String
    public var status: Status
    /// Unix milliseconds.
    public var registeredAt: Int64

    public init(id: AgencyID, name: String, kind: String, status: Status = .active, registeredAt: Int64) {
        self.id = id
        self.name = name
        self.kind = kind
        self.status = status
        self.registeredAt = registeredAt
    }
}

extension AgencyID: Codable {
    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Why a member or one of their devices was revoked: kept beside the audit log, which records only the reason's SHA-256
/// (`reason-sha256`), so that admins read it and auditors, who read the whole log, do not.
public struct RevocationReason: Sendable, Equatable {
    public let leafIndex: UInt64
    public let member: MemberID
    /// The device, for a device revocation; nil when the member was revoked.
    public let device: String?
    public let reason: String
    public let at: Int64
    public let by: String

    public init(leafIndex: UInt64, member: MemberID, device: String?, reason: String, at: Int64, by: String) {
        self.leafIndex = leafIndex
        self.member = member
        self.device = device
        self.reason = reason
        self.at = at
        self.by = by
    }
}

/// A registered practitioner: their keys, their client certificate, their role and status.
public struct Member: Sendable, Equatable {
    public enum Role: String, Sendable, Codable, CaseIterable {
        case practitioner
        /// Designated safeguarding lead: may countersign and is told of escalations.
        case dsl
        case manager
        /// Invites, approves, revokes and sets roles within their own agency only.
        case agencyAdmin = "agency-admin"
        case admin
        /// Reads the whole audit log to scrutinise the deployment's sharing (e.g. for the safeguarding partnership), and
        /// nothing else: sends and receives no packets, administers nobody. Only a deployment admin makes one.
        case auditor

        /// Roles that may countersign held shares and receive escalations for their agency.
        public var isSeniorSafeguarding: Bool { self == .dsl || self == .manager }

        /// Roles that administer members (the whole deployment, or one agency).
        public var isAdministrator: Bool { self == .admin || self == .agencyAdmin }
    }

    public enum Status: String, Sendable, Codable {
        case active
        case revoked
    }

    public var id: MemberID
    public var displayName: String
    public var role: Role
    /// Ed25519, 32 bytes.
    public var signingKey: [UInt8]
    /// X25519, 32 bytes.
    public var encryptionKey: [UInt8]
    /// SHA-256 of the DER client certificate, lowercase hex: what the relay matches the TLS peer against.
    public var certificateFingerprint: String
    public var status: Status
    /// The directory entry signed by the deployment admin, served to clients as is.
    public var directoryEntry: [UInt8]?
    public var enrolledAt: Int64
    /// When the current client certificate stops being valid (Unix milliseconds); nil if not recorded (older enrolments).
    public var certificateExpiresAt: Int64?
    /// The device whose keys the fields above hold (`primary` unless the first device was revoked).
    public var device: String
    /// Other devices' keys and keys from before a re-key or reset (see `MemberKey`).
    public var otherKeys: [MemberKey]
    /// When the primary device's current keys were approved, if after enrolment (a re-key, or another device promoted).
    public var keysSince: Int64?

    public init(id: MemberID, displayName: String, role: Role, signingKey: [UInt8], encryptionKey: [UInt8],
                certificateFingerprint: String, status: Status = .active, directoryEntry: [UInt8]? = nil, enrolledAt: Int64,
                certificateExpiresAt: Int64? = nil, device: String = MemberKey.primaryDevice, otherKeys: [MemberKey] = [], keysSince: Int64? = nil) {
        self.keysSince = keysSince
        self.certificateExpiresAt = certificateExpiresAt
        self.device = device
        self.otherKeys = otherKeys
        self.id = id
        self.displayName = displayName
        self.role = role
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
        self.certificateFingerprint = certificateFingerprint
        self.status = status
        self.directoryEntry = directoryEntry
        self.enrolledAt = enrolledAt
    }

    public var agency: AgencyID { id.agency }
}
