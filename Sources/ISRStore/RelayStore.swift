import ISRAudit
import ISRPacket

/// A state change another packet causes: a read-back acknowledges a share, a confirmation confirms it,
/// a decline declines a request. Applied in the same transaction that stores the causing packet.
public struct LinkedTransition: Sendable, Equatable {
    public var packet: PacketID
    public var to: PacketState
    /// The states the target may be in; anything else refuses the whole operation.
    public var allowedFrom: Set<PacketState>
    /// A new acknowledgement deadline for the target (a clarification asks for a new read-back); clears its overdue mark.
    public var newDeadline: Int64?

    public init(packet: PacketID, to: PacketState, allowedFrom: Set<PacketState>, newDeadline: Int64? = nil) {
        self.packet = packet
        self.to = to
        self.allowedFrom = allowedFrom
        self.newDeadline = newDeadline
    }
}

/// Everything the relay persists, as business operations. Each mutating operation commits its audit leaf
/// (and the Merkle nodes the leaf completes) in the same durable transaction, and returns the leaf index
/// only after that commit: "accepted" means on disk, with its record.
///
/// One protocol, two implementations (SQLite here; PostgreSQL later), one conformance suite.
public protocol RelayStore: Sendable {
    // MARK: Registry
    func insertAgency(_ agency: Agency, event: AuditEvent) async throws -> UInt64
    func updateAgencyStatus(_ id: AgencyID, to status: Agency.Status, event: AuditEvent) async throws -> UInt64
    func agency(_ id: AgencyID) async throws -> Agency?
    func agencies() async throws -> [Agency]

    func insertMember(_ member: Member, event: AuditEvent) async throws -> UInt64
    /// Changes a member's status, role or directory entry (nil leaves a value as it is).
    func updateMember(_ id: MemberID, status: Member.Status?, role: Member.Role?, directoryEntry: [UInt8]?, event: AuditEvent) async throws -> UInt64
    func member(_ id: MemberID) async throws -> Member?
    func members() async throws -> [Member]

    /// Replaces the members of a role address (e.g. `duty@devon-csc`); an empty list removes it.
    func setRoleAddress(_ address: MemberID, members: [MemberID], event: AuditEvent) async throws -> UInt64
    func roleAddress(_ address: MemberID) async throws -> [MemberID]?

    // MARK: Packets
    /// Stores a packet with its acceptance event, or recognises a retry (same id, same digest). Same id with
    /// other bytes throws `packetConflict`. `linked` changes another packet's state atomically.
    func insertPacket(_ packet: NewPacket, event: AuditEvent, linked: LinkedTransition?) async throws -> AcceptOutcome
    func packet(_ id: PacketID) async throws -> PacketRecord?
    /// A packet with the members holding a stanza (and the address that reached each), and if asked its exact bytes
    /// (nil once purged) and its state history, read together in one snapshot.
    func packetView(_ id: PacketID, bytes: Bool, history: Bool) async throws -> PacketView?
    /// Moves a packet to `to` if it is in one of `allowedFrom`.
    func transition(_ id: PacketID, to: PacketState, allowedFrom: Set<PacketState>, event: AuditEvent) async throws -> UInt64
    /// Records a member's first fetch (nil if they had fetched it before: nothing is written twice).
    func recordDelivery(_ id: PacketID, member: MemberID, event: AuditEvent) async throws -> UInt64?
    /// Stores a member's signed delivery receipt and marks the packet read.
    func recordReceipt(_ id: PacketID, member: MemberID, receipt: [UInt8], event: AuditEvent) async throws -> UInt64
    /// Packets with a stanza for `member`, newest first (withdrawn and held ones excluded).
    func inbox(_ member: MemberID) async throws -> [InboxEntry]
    /// Packets sent by `member`, newest first.
    func sent(by member: MemberID) async throws -> [PacketRecord]
    /// Packets whose deadline passed before `now` without a read-back and that were not yet escalated.
    func overdue(now: Int64) async throws -> [PacketRecord]
    /// Marks a packet overdue (once) and stores the signed notice for each address notified, atomically.
    func markOverdue(_ id: PacketID, notices: [(recipient: MemberID, body: [UInt8])], event: AuditEvent) async throws -> UInt64
    /// Notices for `member`: addressed to them, or to a role address they belong to; newest first.
    func notices(for member: MemberID) async throws -> [StoredNotice]
    /// Confirmed packets whose retention ended before `now` and still hold ciphertext.
    func purgeable(now: Int64) async throws -> [PacketRecord]
    /// Deletes the ciphertext (header facts, history and audit leaves stay).
    func purge(_ id: PacketID, event: AuditEvent) async throws -> UInt64

    // MARK: Audit log
    /// The size and root of the log as of the last commit: what a checkpoint signs. Cheap; kept current by every write.
    func treeHead() async throws -> TreeHead
    func auditSize() async throws -> UInt64
    /// Leaf data for indices `start..<end`.
    func auditLeaves(start: UInt64, end: UInt64) async throws -> [[UInt8]]
    func rootHash(size: UInt64) async throws -> [UInt8]
    func inclusionProof(index: UInt64, size: UInt64) async throws -> [[UInt8]]
    func consistencyProof(oldSize: UInt64, newSize: UInt64) async throws -> [[UInt8]]
}

/// A log size and the Merkle root of its first `size` leaves.
public struct TreeHead: Sendable, Equatable {
    public var size: UInt64
    public var root: [UInt8]

    public init(size: UInt64, root: [UInt8]) {
        self.size = size
        self.root = root
    }
}

/// A packet as one read saw it: the record, who holds a stanza, and optionally the ciphertext and the state history.
public struct PacketView: Sendable, Equatable {
    public var record: PacketRecord
    public var deliveries: [Delivery]
    /// Nil unless asked for, or once purged.
    public var bytes: [UInt8]?
    /// Empty unless asked for.
    public var history: [PacketStateChange] = []

    public init(record: PacketRecord, deliveries: [Delivery], bytes: [UInt8]? = nil, history: [PacketStateChange] = []) {
        self.record = record
        self.deliveries = deliveries
        self.bytes = bytes
        self.history = history
    }
}
