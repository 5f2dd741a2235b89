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
    /// Where your copy stands (`pending`, `delivered`, `read`, `acknowledged`, …), or `awaiting-countersignature`
    /// for a held packet of your agency that you are asked to read and countersign.
    public let state: String
    /// The address that reached this member: their own id, or a role address such as `duty@devon-csc`.
    public let via: String
    /// True when you hold it as your agency's dsl/manager, to countersign it (not as a recipient).
    public let countersign: Bool
    /// Who read back (or declined, or answered) for `via`, when someone did: for a role address, perhaps a colleague.
    public let answeredBy: String?
    public let emergency: Bool
    public let acceptedAt: Int64
    public let deadline: Int64?
    public let deliveredAt: Int64?
    public let readAt: Int64?
    public let inReplyTo: String?
    public let relatesTo: String?

    public init(id: String, kind: String, sender: String, purpose: String, state: String, via: String, countersign: Bool, answeredBy: String?,
                emergency: Bool, acceptedAt: Int64, deadline: Int64?, deliveredAt: Int64?, readAt: Int64?, inReplyTo: String?, relatesTo: String?) {
        self.id = id
        self.kind = kind
        self.sender = sender
        self.purpose = purpose
        self.state = state
        self.via = via
        self.countersign = countersign
        self.answeredBy = answeredBy
        self.emergency = emergency
        self.acceptedAt = acceptedAt
        self.deadline = deadline
        self.deliveredAt = deliveredAt
        self.readAt = readAt
        self.inReplyTo = inReplyTo
        self.relatesTo = relatesTo
    }
}

/// Everything the relay knows about a packet's progress, for its sender, recipients, countersigners and the sender's
/// dsl/managers. State is per recipient (`recipients`); `state` sums it up as the least advanced recipient.
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

    /// One addressed recipient (a member or a role address) and where it stands.
    public struct Recipient: Codable, Sendable, Equatable {
        /// The address in the header.
        public let member: String
        public let state: String
        public let deadline: Int64?
        public let overdue: Bool
        public let overdueAt: Int64?
        /// Who read back, declined or answered for this address (for a role address, one of its members).
        public let answeredBy: String?
        /// The packet that did it (the read-back, decline or share), to open beside what was sent.
        public let answer: String?

        public init(member: String, state: String, deadline: Int64?, overdue: Bool, overdueAt: Int64?, answeredBy: String?, answer: String?) {
            self.member = member
            self.state = state
            self.deadline = deadline
            self.overdue = overdue
            self.overdueAt = overdueAt
            self.answeredBy = answeredBy
            self.answer = answer
        }
    }

    /// One member holding a stanza: when they fetched and read it.
    public struct Delivery: Codable, Sendable, Equatable {
        public let member: String
        public let via: String
        public let countersigner: Bool
        public let deliveredAt: Int64?
        public let readAt: Int64?

        public init(member: String, via: String, countersigner: Bool, deliveredAt: Int64?, readAt: Int64?) {
            self.member = member
            self.via = via
            self.countersigner = countersigner
            self.deliveredAt = deliveredAt
            self.readAt = readAt
        }
    }

    public let id: String
    public let kind: String
    public let sender: String
    public let purpose: String
    public let urgency: String
    public let recipients: [Recipient]
    /// The least advanced recipient's state, or the packet's phase while it is not live (`held`, `returned`, `withdrawn`).
    public let state: String
    /// `held`, `accepted`, `returned` or `withdrawn`.
    public let phase: String
    public let acceptedAt: Int64
    /// The acknowledgement deadline set at release (nil while held).
    public let deadline: Int64?
    /// True when any recipient's deadline passed without an answer, or a countersignature is late.
    public let overdue: Bool
    public let countersignDue: Int64?
    public let countersignedAt: Int64?
    public let emergency: Bool
    /// Shown to the sender and their agency's dsl/managers only.
    public let emergencyReason: String?
    public let returnReason: String?
    public let ciphertextHeld: Bool
    /// SHA-256 of the packet's bytes (hex): what receipts and countersignatures sign.
    public let digest: String
    public let inReplyTo: String?
    public let relatesTo: String?
    public let history: [Step]
    public let deliveries: [Delivery]

    public init(id: String, kind: String, sender: String, purpose: String, urgency: String, recipients: [Recipient], state: String, phase: String,
                acceptedAt: Int64, deadline: Int64?, overdue: Bool, countersignDue: Int64?, countersignedAt: Int64?, emergency: Bool,
                emergencyReason: String?, returnReason: String?, ciphertextHeld: Bool, digest: String, inReplyTo: String?, relatesTo: String?,
                history: [Step], deliveries: [Delivery]) {
        self.id = id
        self.kind = kind
        self.sender = sender
        self.purpose = purpose
        self.urgency = urgency
        self.recipients = recipients
        self.state = state
        self.phase = phase
        self.acceptedAt = acceptedAt
        self.deadline = deadline
        self.overdue = overdue
        self.countersignDue = countersignDue
        self.countersignedAt = countersignedAt
        self.emergency = emergency
        self.emergencyReason = emergencyReason
        self.returnReason = returnReason
        self.ciphertextHeld = ciphertextHeld
        self.digest = digest
        self.inReplyTo = inReplyTo
        self.relatesTo = relatesTo
        self.history = history
        self.deliveries = deliveries
    }

    /// The addresses in the header.
    public var addresses: [String] { recipients.map(\.member) }
}

/// One escalation notice as a member fetches it: readable fields, and the signed bytes to verify.
public struct NoticeBody: Codable, Sendable, Equatable {
    public let packet: String
    public let sender: String
    /// What is late: the recipient address whose read-back is overdue, or `countersignature` (absent in older notices).
    public let late: String?
    public let deadline: Int64
    public let overdueAt: Int64
    public let notified: [String]
    /// Base64 `SignedNotice`; verify it with the relay key (`/v1/audit/key`).
    public let signed: String

    public init(packet: String, sender: String, late: String?, deadline: Int64, overdueAt: Int64, notified: [String], signed: String) {
        self.packet = packet
        self.sender = sender
        self.late = late
        self.deadline = deadline
        self.overdueAt = overdueAt
        self.notified = notified
        self.signed = signed
    }
}
