import Foundation

/// Audit-log JSON bodies of the relay API.
/// The latest checkpoint, readable and as the signed bytes clients verify.
public struct CheckpointBody: Codable, Sendable, Equatable {
    public let origin: String
    public let size: UInt64
    /// Base64 root hash.
    public let root: String
    public let time: Int64
    /// Base64 `SignedCheckpoint`: verify it with the relay key before trusting the fields above.
    public let signed: String

    public init(origin: String, size: UInt64, root: String, time: Int64, signed: String) {
        self.origin = origin
        self.size = size
        self.root = root
        self.time = time
        self.signed = signed
    }
}

public struct LeavesBody: Codable, Sendable, Equatable {
    public let start: UInt64
    /// Base64 DER `AuditEvent`s.
    public let leaves: [String]

    public init(start: UInt64, leaves: [String]) {
        self.start = start
        self.leaves = leaves
    }
}

public struct ProofBody: Codable, Sendable, Equatable {
    /// Base64 hashes, in RFC 9162 order.
    public let proof: [String]

    public init(proof: [String]) {
        self.proof = proof
    }
}

public struct RelayKeyBody: Codable, Sendable, Equatable {
    public let origin: String
    /// Base64 Ed25519 public key that signs checkpoints and escalation notices.
    public let signingKey: String
    public let fingerprint: String

    public init(origin: String, signingKey: String, fingerprint: String) {
        self.origin = origin
        self.signingKey = signingKey
        self.fingerprint = fingerprint
    }
}
