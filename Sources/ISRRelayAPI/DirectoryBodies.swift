import Foundation

/// Registry and directory JSON bodies of the relay API.
/// A member as the directory shows them: enough for a sender to check they have the right individual.
public struct DirectoryMember: Codable, Sendable, Equatable {
    public let id: String
    public let displayName: String
    public let role: String
    public let agency: String
    public let agencyName: String
    public let agencyKind: String
    public let status: String
    /// Base64 Ed25519 and X25519 public keys.
    public let signingKey: String
    public let encryptionKey: String
    public let signingKeyFingerprint: String
    /// The member's fingerprint (60 digits in 12 groups) from their id and keys; clients recompute it from the verified entry.
    public let fingerprint: String
    /// Base64 `SignedDirectoryEntry` from the admin who enrolled them: verify it with the pinned admin key.
    public let directoryEntry: String?
    /// Every key set the member has held, primary device first: active devices (seal to each), keys retired by a
    /// re-key and keys revoked with a device (still verify what they signed). Each carries its own signed entry.
    public let keys: [DirectoryKey]?

    public init(id: String, displayName: String, role: String, agency: String, agencyName: String, agencyKind: String, status: String, signingKey: String,
                encryptionKey: String, signingKeyFingerprint: String, fingerprint: String, directoryEntry: String?, keys: [DirectoryKey]? = nil) {
        self.keys = keys
        self.id = id
        self.displayName = displayName
        self.role = role
        self.agency = agency
        self.agencyName = agencyName
        self.agencyKind = agencyKind
        self.status = status
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
        self.signingKeyFingerprint = signingKeyFingerprint
        self.fingerprint = fingerprint
        self.directoryEntry = directoryEntry
    }
}

/// One of a member's key sets in the directory.
public struct DirectoryKey: Codable, Sendable, Equatable {
    public let device: String
    /// `active`, `retired` (replaced by a re-key) or `revoked` (with its device, or when the member was reset).
    public let state: String
    public let signingKey: String
    public let encryptionKey: String
    public let fingerprint: String
    public let directoryEntry: String?
    /// Unix milliseconds: when the keys were approved, and when they stopped being used.
    public let since: Int64
    public let until: Int64?

    public init(device: String, state: String, signingKey: String, encryptionKey: String, fingerprint: String, directoryEntry: String?, since: Int64, until: Int64?) {
        self.device = device
        self.state = state
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
        self.fingerprint = fingerprint
        self.directoryEntry = directoryEntry
        self.since = since
        self.until = until
    }
}

/// What an admin gets back from enrolling a member: the certificate to hand to them, and the CA to trust.
public struct Enrolment: Codable, Sendable, Equatable {
    public let member: DirectoryMember
    public let certificate: String
    public let caCertificate: String

    public init(member: DirectoryMember, certificate: String, caCertificate: String) {
        self.member = member
        self.certificate = certificate
        self.caCertificate = caCertificate
    }
}

/// Admin requests, as JSON bodies.
public struct AgencyRequest: Codable, Sendable {
    public let id: String
    public let name: String
    public let kind: String

    public init(id: String, name: String, kind: String) {
        self.id = id
        self.name = name
        self.kind = kind
    }
}

public struct EnrolmentRequest: Codable, Sendable {
    /// The member's PEM certificate signing request, made with a key that never left their machine.
    public let certificateRequest: String
    public let displayName: String
    public let role: String
    /// Base64 Ed25519 and X25519 public keys from the member's keygen.
    public let signingKey: String
    public let encryptionKey: String
    /// Base64 `SignedDirectoryEntry` for this member, signed by the enrolling admin.
    public let directoryEntry: String
    /// Base64 proof from the member's key request (`MemberKeyRequest`): checked when present.
    public let proof: String?

    public init(certificateRequest: String, displayName: String, role: String, signingKey: String, encryptionKey: String, directoryEntry: String,
                proof: String? = nil) {
        self.certificateRequest = certificateRequest
        self.displayName = displayName
        self.role = role
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
        self.directoryEntry = directoryEntry
        self.proof = proof
    }
}

/// `GET /v1/admin/revocations`: why members and devices were revoked (admins only; the audit log holds each reason's
/// SHA-256 as `reason-sha256` in the event at `leaf_index`).
public struct RevocationBody: Codable, Sendable, Equatable {
    public let leafIndex: UInt64
    public let member: String
    public let device: String?
    public let reason: String
    public let revokedAt: Int64
    public let revokedBy: String

    public init(leafIndex: UInt64, member: String, device: String?, reason: String, revokedAt: Int64, revokedBy: String) {
        self.leafIndex = leafIndex
        self.member = member
        self.device = device
        self.reason = reason
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
    }
}

public struct RevocationRequest: Codable, Sendable {
    public let reason: String

    public init(reason: String) {
        self.reason = reason
    }
}

public struct RoleChangeRequest: Codable, Sendable {
    public let role: String
    /// Base64 `SignedDirectoryEntry` for the same person and keys with the authority the new role needs (admin:
    /// `deployment`, agency-admin: `agency:<id>`, others: none); required when the authority changes.
    public let directoryEntry: String?

    public init(role: String, directoryEntry: String? = nil) {
        self.role = role
        self.directoryEntry = directoryEntry
    }
}

public struct RoleAddressRequest: Codable, Sendable {
    public let members: [String]

    public init(members: [String]) {
        self.members = members
    }
}

/// An agency as the API shows it.
public struct AgencyBody: Codable, Sendable, Equatable {
    public let id: String
    public let name: String
    public let kind: String
    public let status: String
    public let registeredAt: Int64

    public init(id: String, name: String, kind: String, status: String, registeredAt: Int64) {
        self.id = id
        self.name = name
        self.kind = kind
        self.status = status
        self.registeredAt = registeredAt
    }
}

/// A role address and the members it reaches.
public struct RoleAddressBody: Codable, Sendable, Equatable {
    public let address: String
    public let members: [String]

    public init(address: String, members: [String]) {
        self.address = address
        self.members = members
    }
}

/// `POST /v1/certificate/renew`: a new CSR for the same TLS key as the certificate presented.
public struct RenewalRequest: Codable, Sendable {
    public let certificateRequest: String

    public init(certificateRequest: String) { self.certificateRequest = certificateRequest }
}

/// The renewed certificate and when it expires (Unix milliseconds).
public struct RenewalBody: Codable, Sendable, Equatable {
    public let certificate: String
    public let expiresAt: Int64

    public init(certificate: String, expiresAt: Int64) {
        self.certificate = certificate
        self.expiresAt = expiresAt
    }
}
