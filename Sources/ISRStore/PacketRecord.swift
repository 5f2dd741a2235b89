import ISRLifecycle
import ISRPacket

/// A packet as the relay stores it: the exact bytes (until purged) and the header facts it routes by.
/// Where each recipient stands is in `obligations` (see `ISRLifecycle`), not here.
public struct PacketRecord: Sendable, Equatable {
    public var id: PacketID
    public var sender: MemberID
    public var kind: PacketKind
    public var purpose: String
    /// The addresses in the header (members or role addresses).
    public var recipients: [MemberID]
    public var phase: PacketPhase
    public var urgency: Urgency
    /// Unix milliseconds.
    public var acceptedAt: Int64
    /// The acknowledgement deadline set when the packet was released (Unix milliseconds), for kinds that expect an
    /// answer; nil while held. Each recipient's own deadline (which a clarification restarts) is in its obligation.
    public var deadline: Int64?
    /// The audit leaf that recorded acceptance; also the paging cursor (it grows with every packet).
    public var leafIndex: UInt64
    /// SHA-256 of the whole packet: the same id with other bytes is a conflict.
    public var digest: [UInt8]
    public var inReplyTo: PacketID?
    public var relatesTo: PacketID?
    public var retentionDays: Int
    /// When a countersignature is due (Unix milliseconds): set while one is awaited, held or released in an emergency.
    public var countersignDue: Int64?
    public var countersignedAt: Int64?
    /// Set when nobody countersigned in time and the sender's dsl/managers were told.
    public var countersignOverdueAt: Int64?
    /// Released at once because a child was in immediate danger (a retrospective countersignature is due).
    public var emergency: Bool
    /// The sender's reason for an emergency release; shown to the sender and their agency's dsl/managers only.
    public var emergencyReason: String?
    /// The countersigner's reason for returning it; shown to the sender and their agency's dsl/managers only.
    public var returnReason: String?
    /// False once the ciphertext was purged at the end of retention.
    public var hasCiphertext: Bool

    public init(id: PacketID, sender: MemberID, kind: PacketKind, purpose: String, recipients: [MemberID], phase: PacketPhase,
                urgency: Urgency = .routine, acceptedAt: Int64, deadline: Int64?, leafIndex: UInt64, digest: [UInt8], inReplyTo: PacketID?,
                relatesTo: PacketID?, retentionDays: Int, countersignDue: Int64? = nil, countersignedAt: Int64? = nil,
                countersignOverdueAt: Int64? = nil, emergency: Bool = false, emergencyReason: String? = nil, returnReason: String? = nil,
                hasCiphertext: Bool = true) {
        self.id = id
        self.sender = sender
        self.kind = kind
        self.purpose = purpose
        self.recipients = recipients
        self.phase = phase
        self.urgency = urgency
        self.acceptedAt = acceptedAt
        self.deadline = deadline
        self.leafIndex = leafIndex
        self.digest = digest
        self.inReplyTo = inReplyTo
        self.relatesTo = relatesTo
        self.retentionDays = retentionDays
        self.countersignDue = countersignDue
        self.countersignedAt = countersignedAt
        self.countersignOverdueAt = countersignOverdueAt
        self.emergency = emergency
        self.emergencyReason = emergencyReason
        self.returnReason = returnReason
        self.hasCiphertext = hasCiphertext
    }

    /// True while a dsl/manager's countersignature is still owed.
    public var awaitsCountersignature: Bool { countersignDue != nil && countersignedAt == nil && [.held, .accepted].contains(phase) }
}

/// One recipient address's obligation for one packet: its state, deadline, and who answered for it.
public struct Obligation: Sendable, Equatable {
    public var address: MemberID
    public var state: RecipientState
    /// Unix milliseconds; nil for kinds that expect no answer, and while the packet is held.
    public var deadline: Int64?
    public var overdueAt: Int64?
    /// The member who read back, declined or answered (for a role address, one of its members).
    public var answeredBy: MemberID?
    /// The packet that did it (the read-back, decline or share).
    public var answer: PacketID?

    public init(address: MemberID, state: RecipientState, deadline: Int64? = nil, overdueAt: Int64? = nil, answeredBy: MemberID? = nil, answer: PacketID? = nil) {
        self.address = address
        self.state = state
        self.deadline = deadline
        self.overdueAt = overdueAt
        self.answeredBy = answeredBy
        self.answer = answer
    }
}

/// A packet to store: its record, exact bytes, the members who get a stanza (with the address that reached them, or
/// as countersigners), and one obligation per header address.
public struct NewPacket: Sendable {
    public var record: PacketRecord
    public var bytes: [UInt8]
    public var deliveries: [Stanza]
    public var obligations: [Obligation]
    /// `SubjectKey.of` the header's subject reference; nil for a packet without one, which then inherits the key of the
    /// packet it answers or relates to (so a read-back or decline is found with the share or request it answers).
    public var subjectKey: [UInt8]?

    /// A member holding a stanza.
    public struct Stanza: Sendable, Equatable {
        public var member: MemberID
        /// The header address that reached them; for a countersigner, their own id.
        public var via: MemberID
        public var countersigner: Bool

        public init(member: MemberID, via: MemberID, countersigner: Bool = false) {
            self.member = member
            self.via = via
            self.countersigner = countersigner
        }
    }

    public init(record: PacketRecord, bytes: [UInt8], deliveries: [Stanza], obligations: [Obligation], subjectKey: [UInt8]? = nil) {
        self.subjectKey = subjectKey
        self.record = record
        self.bytes = bytes
        self.deliveries = deliveries
        self.obligations = obligations
    }
}

/// One step in a packet's history, with its time and who took it.
public struct PacketStateChange: Sendable, Equatable, Codable {
    public var event: LifecycleEvent
    public var at: Int64
    public var actor: String
    public var leafIndex: UInt64

    public init(event: LifecycleEvent, at: Int64, actor: String, leafIndex: UInt64) {
        self.event = event
        self.at = at
        self.actor = actor
        self.leafIndex = leafIndex
    }
}

/// What a member sees in their inbox.
public struct InboxEntry: Sendable, Equatable {
    public var packet: PacketRecord
    /// The address that reached this member (their own id, or a role address); their own id for a countersigner.
    public var via: MemberID
    public var countersigner: Bool
    /// The obligation of `via` (nil for a countersigner's copy).
    public var state: RecipientState?
    public var deadline: Int64?
    public var answeredBy: MemberID?
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
    public var countersigner: Bool
    public var deliveredAt: Int64?
    public var readAt: Int64?

    /// Whether this stanza's holder may fetch `packet` now: a recipient a released packet, a countersigner one whose
    /// countersignature is awaited.
    public func mayFetch(_ packet: PacketRecord) -> Bool {
        countersigner ? packet.awaitsCountersignature : packet.phase.isDeliverable
    }

    /// What the holder is told when `mayFetch` says no.
    public static func unavailable(_ packet: PacketRecord) -> StoreError {
        StoreError(.notFound, "packet \(packet.id) is not available to you (it is \(packet.phase.rawValue))")
    }
}

/// A signed escalation notice as stored for one addressee.
public struct StoredNotice: Sendable, Equatable {
    public var id: Int64
    public var recipient: MemberID
    public var packetID: PacketID
    /// The relay-signed notice bytes.
    public var body: [UInt8]
    public var createdAt: Int64
}

/// A deadline that passed: a recipient's read-back (`address` set), or a held packet's countersignature (`address` nil).
public struct OverdueItem: Sendable, Equatable {
    public var packet: PacketRecord
    public var address: MemberID?
    public var deadline: Int64
}

/// A page of a listing, newest first, and the cursor for the next (older) page; nil when there is no more.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var next: Int64?

    public init(items: [Item], next: Int64?) {
        self.items = items
        self.next = next
    }
}
