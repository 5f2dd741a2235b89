import ISRPacket

/// Where a packet is in its lifecycle (DESIGN.md §4). Overdue is recorded separately: a packet can be
/// delivered *and* overdue.
public enum PacketState: String, Sendable, Codable, CaseIterable {
    /// Waiting for a dsl/manager of the sender's agency to countersign.
    case held
    /// Accepted and available to its recipients.
    case accepted
    /// A recipient fetched it.
    case delivered
    /// A recipient posted a signed delivery receipt.
    case read
    /// A recipient posted a read-back.
    case acknowledged
    /// The sender confirmed the read-back.
    case confirmed
    /// The sender asked for clarification; a new read-back is due.
    case clarificationRequested = "clarification-requested"
    /// A request that was declined (reasons recorded, requester informed).
    case declined
    /// A request that was answered by a share.
    case answered
    /// Withdrawn by the sender before delivery.
    case withdrawn

    /// States in which a recipient may still fetch it.
    public var isDeliverable: Bool { ![.held, .withdrawn].contains(self) }
}

/// A packet as the relay stores it: the exact bytes (until purged) and the header facts it routes by.
public struct PacketRecord: Sendable, Equatable {
    public var id: PacketID
    public var sender: MemberID
    public var kind: PacketKind
    public var purpose: String
    /// The addresses in the header (members or role addresses).
    public var recipients: [MemberID]
    public var state: PacketState
    /// Unix milliseconds.
    public var acceptedAt: Int64
    /// When a read-back is due (Unix milliseconds), for kinds that expect one.
    public var deadline: Int64?
    /// The audit leaf that recorded acceptance.
    public var leafIndex: UInt64
    /// SHA-256 of the whole packet: the same id with other bytes is a conflict.
    public var digest: [UInt8]
    public var inReplyTo: PacketID?
    public var relatesTo: PacketID?
    public var retentionDays: Int
    /// When the relay escalated it as overdue (nil if it never was).
    public var overdueAt: Int64?
    /// False once the ciphertext was purged at the end of retention.
    public var hasCiphertext: Bool

    public init(id: PacketID, sender: MemberID, kind: PacketKind, purpose: String, recipients: [MemberID], state: PacketState,
                acceptedAt: Int64, deadline: Int64?, leafIndex: UInt64, digest: [UInt8], inReplyTo: PacketID?, relatesTo: PacketID?,
                retentionDays: Int, overdueAt: Int64? = nil, hasCiphertext: Bool = true) {
        self.id = id
        self.sender = sender
        self.kind = kind
        self.purpose = purpose
        self.recipients = recipients
        self.state = state
        self.acceptedAt = acceptedAt
        self.deadline = deadline
        self.leafIndex = leafIndex
        self.digest = digest
        self.inReplyTo = inReplyTo
        self.relatesTo = relatesTo
        self.retentionDays = retentionDays
        self.overdueAt = overdueAt
        self.hasCiphertext = hasCiphertext
    }
}

/// A packet to store: its record, exact bytes, and the members who get a stanza (with the address that reached them).
public struct NewPacket: Sendable {
    public var record: PacketRecord
    public var bytes: [UInt8]
    public var deliveries: [(member: MemberID, via: MemberID)]

    public init(record: PacketRecord, bytes: [UInt8], deliveries: [(member: MemberID, via: MemberID)]) {
        self.record = record
        self.bytes = bytes
        self.deliveries = deliveries
    }
}

/// One step in a packet's history, with its time and who took it.
public struct PacketStateChange: Sendable, Equatable, Codable {
    public var state: String
    public var at: Int64
    public var actor: String
    public var leafIndex: UInt64
}

/// What a member sees in their inbox.
public struct InboxEntry: Sendable, Equatable {
    public var packet: PacketRecord
    /// The address that reached this member (their own id, or a role address).
    public var via: MemberID
    public var deliveredAt: Int64?
    public var readAt: Int64?
}

/// The outcome of storing a packet: new, or the same bytes sent again (idempotent retry).
public enum AcceptOutcome: Sendable, Equatable {
    case accepted(PacketRecord)
    case duplicate(PacketRecord)

    public var record: PacketRecord {
        switch self {
        case .accepted(let r), .duplicate(let r): r
        }
    }
}

/// One member's copy of a packet: the address that reached them and when they fetched and read it.
public struct Delivery: Sendable, Equatable {
    public var member: MemberID
    public var via: MemberID
    public var deliveredAt: Int64?
    public var readAt: Int64?
}

/// A signed escalation notice as stored for one addressee.
public struct StoredNotice: Sendable, Equatable {
    public var recipient: MemberID
    public var packetID: PacketID
    /// The relay-signed notice bytes.
    public var body: [UInt8]
    public var createdAt: Int64
}
