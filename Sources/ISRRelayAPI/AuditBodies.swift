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

/// A member's own events in the log (need to know), each with its inclusion proof in the tree of `size` leaves.
public struct PartyLeavesBody: Codable, Sendable, Equatable {
    public struct Leaf: Codable, Sendable, Equatable {
        public let index: UInt64
        /// Base64 DER `AuditEvent`.
        public let leaf: String
        /// Base64 hashes, in RFC 9162 order.
        public let proof: [String]

        public init(index: UInt64, leaf: String, proof: [String]) {
            self.index = index
            self.leaf = leaf
            self.proof = proof
        }
    }

    public let size: UInt64
    public let leaves: [Leaf]
    /// The `after` for the next page; nil on the last.
    public let next: String?

    public init(size: UInt64, leaves: [Leaf], next: String?) {
        self.size = size
        self.leaves = leaves
        self.next = next
    }
}
