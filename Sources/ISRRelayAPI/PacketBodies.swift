import Foundation

/// Packet-related JSON bodies of the relay API (see openapi.yaml).
/// The relay's answer to an accepted packet: its state, its audit leaf and a signed checkpoint that includes it.
public struct AcceptReceipt: Codable, Sendable, Equatable {
    public let id: String
    public let state: String
    public let leafIndex: UInt64
    /// Unix milliseconds by which a read-back is due, if one is.
    public let deadline: Int64?
    /// Base64 `SignedCheckpoint` whose tree includes `leafIndex`.
    public let checkpoint: String
    /// True when this exact packet had been accepted before (an idempotent retry).
    public let duplicate: Bool

    public init(id: String, state: String, leafIndex: UInt64, deadline: Int64?, checkpoint: String, duplicate: Bool) {
        self.id = id
        self.state = state
        self.leafIndex = leafIndex
        self.deadline = deadline
        self.checkpoint = checkpoint
        self.duplicate = duplicate
    }
}

/// One line of a member's inbox.
public struct InboxItem: Codable, Sendable, Equatable {
    public let id: String
    public let kind: String
    public let sender: String
    public let purpose: String
    public let state: String
    /// The address that reached this member: their own id, or a role address such as `duty@devon-csc`.
    public let via: String
    public let acceptedAt: Int64
    public let deadline: Int64?
    public let deliveredAt: Int64?
    public let readAt: Int64?
    public let inReplyTo: String?
    public let relatesTo: String?

    public init(id: String, kind: String, sender: String, purpose: String, state: String, via: String, acceptedAt: Int64, deadline: Int64?, deliveredAt: Int64?, readAt: Int64?, inReplyTo: String?, relatesTo: String?) {
        self.id = id
        self.kind = kind
        self.sender = sender
        self.purpose = purpose
        self.state = state
        self.via = via
        self.acceptedAt = acceptedAt
        self.deadline = deadline
        self.deliveredAt = deliveredAt
        self.readAt = readAt
        self.inReplyTo = inReplyTo
        self.relatesTo = relatesTo
    }
}

/// Everything the relay knows about a packet's progress, for its sender, recipients and the sender's dsl/managers.
public struct PacketStatus: Codable, Sendable, Equatable {
    public struct Step: Codable, Sendable, Equatable {
        public let state: String
        public let at: Int64
        public let actor: String
        public let leafIndex: UInt64

        public init(state: String, at: Int64, actor: String, leafIndex: UInt64) {
            self.state = state
            self.at = at
            self.actor = actor
            self.leafIndex = leafIndex
        }
    }

    public struct Recipient: Codable, Sendable, Equatable {
        public let member: String
        public let via: String
        public let deliveredAt: Int64?
        public let readAt: Int64?

        public init(member: String, via: String, deliveredAt: Int64?, readAt: Int64?) {
            self.member = member
            self.via = via
            self.deliveredAt = deliveredAt
            self.readAt = readAt
        }
    }

    public let id: String
    public let kind: String
    public let sender: String
    public let purpose: String
    public let recipients: [String]
    public let state: String
    public let acceptedAt: Int64
    public let deadline: Int64?
    public let overdue: Bool
    public let overdueAt: Int64?
    public let ciphertextHeld: Bool
    /// SHA-256 of the packet's bytes (hex): what receipts and countersignatures sign.
    public let digest: String
    public let history: [Step]
    public let deliveries: [Recipient]

    public init(id: String, kind: String, sender: String, purpose: String, recipients: [String], state: String, acceptedAt: Int64, deadline: Int64?,
                overdue: Bool, overdueAt: Int64?, ciphertextHeld: Bool, digest: String, history: [Step], deliveries: [Recipient]) {
        self.id = id
        self.kind = kind
        self.sender = sender
        self.purpose = purpose
        self.recipients = recipients
        self.state = state
        self.acceptedAt = acceptedAt
        self.deadline = deadline
        self.overdue = overdue
        self.overdueAt = overdueAt
        self.ciphertextHeld = ciphertextHeld
        self.digest = digest
        self.history = history
        self.deliveries = deliveries
    }
}

/// One escalation notice as a member fetches it: readable fields, and the signed bytes to verify.
public struct NoticeBody: Codable, Sendable, Equatable {
    public let packet: String
    public let sender: String
    public let deadline: Int64
    public let overdueAt: Int64
    public let notified: [String]
    /// Base64 `SignedNotice`; verify it with the relay key (`/v1/audit/key`).
    public let signed: String

    public init(packet: String, sender: String, deadline: Int64, overdueAt: Int64, notified: [String], signed: String) {
        self.packet = packet
        self.sender = sender
        self.deadline = deadline
        self.overdueAt = overdueAt
        self.notified = notified
        self.signed = signed
    }
}
