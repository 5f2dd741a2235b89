import ISRAudit
import ISRLifecycle
import ISRPacket

/// A recipient obligation another packet moves: a read-back acknowledges a share for its address, a confirmation
/// confirms it, a decline declines a request. Applied in the same transaction that stores the causing packet; the
/// lifecycle (`ISRLifecycle`) decides the states, the store only checks them under the transaction.
public struct LinkedTransition: Sendable, Equatable {
    public var packet: PacketID
    /// The obligation's address in the target's header (a member or role address).
    public var address: MemberID
    public var transition: ObligationTransition
    /// Recorded as who answered for the address (read-back, decline, answer).
    public var answeredBy: MemberID?
    /// The obligation must have been answered by this member (confirm/clarify go to whoever read back).
    public var expectAnsweredBy: MemberID?
    /// A new deadline for the obligation (a clarification asks for a new read-back); clears its overdue mark.
    public var newDeadline: Int64?

    public init(packet: PacketID, address: MemberID, transition: ObligationTransition, answeredBy: MemberID? = nil,
                expectAnsweredBy: MemberID? = nil, newDeadline: Int64? = nil) {
        self.packet = packet
        self.address = address
        self.transition = transition
        self.answeredBy = answeredBy
        self.expectAnsweredBy = expectAnsweredBy
        self.newDeadline = newDeadline
    }
}

/// A step of the packet as a whole (countersign, return, withdraw), as the store applies it.
public struct PhaseChange: Sendable, Equatable {
    public var rule: PhaseRule
    /// Refused if any recipient fetched it (a withdrawal), decided inside the write transaction so it cannot race a fetch.
    public var onlyIfUnfetched: Bool
    /// Refused unless a countersignature is awaited; records it as given.
    public var countersignature: Bool
    /// The acknowledgement deadline that starts now, for every obligation that has none (a release).
    public var releaseDeadline: Int64?
    /// Why the countersigner returned it (kept with the packet for its sender).
    public var returnReason: String?

    public init(rule: PhaseRule, onlyIfUnfetched: Bool = false, countersignature: Bool = false, releaseDeadline: Int64? = nil, returnReason: String? = nil) {
        self.rule = rule
        self.returnReason = returnReason
        self.onlyIfUnfetched = onlyIfUnfetched
        self.countersignature = countersignature
        self.releaseDeadline = releaseDeadline
    }
}

/// Everything the relay persists, as business operations. Each mutating operation commits its audit leaf
/// (and the Merkle nodes the leaf completes) in the same durable transaction, and returns the leaf index
/// only after that commit: "accepted" means on disk, with its record.
///
/// One protocol, two implementations (SQLite, `ISRStorePostgres`), one conformance suite.
public protocol RelayStore: Sendable {
    // MARK: Registry
    func insertAgency(_ agency: Agency, event: AuditEvent) async throws -> UInt64
    func updateAgencyStatus(_ id: AgencyID, to status: Agency.Status, event: AuditEvent) async throws -> UInt64
    func agency(_ id: AgencyID) async throws -> Agency?
    func agencies() async throws -> [Agency]

    func insertMember(_ member: Member, event: AuditEvent) async throws -> UInt64
    /// Changes a member's status, role or directory entry (nil leaves a value as it is).
    func updateMember(_ id: MemberID, status: Member.Status?, role: Member.Role?, directoryEntry: [UInt8]?, event: AuditEvent) async throws -> UInt64
    /// Revokes a member, keeping `reason` beside the log (whose event carries only its digest) in the same transaction.
    func revokeMember(_ id: MemberID, reason: String, at now: Int64, event: AuditEvent) async throws -> UInt64
    /// Every revocation reason, oldest first.
    func revocationReasons() async throws -> [RevocationReason]
    func member(_ id: MemberID) async throws -> Member?
    /// Replaces an active member's client certificate (its fingerprint and expiry): the old one stops authenticating.
    func renewCertificate(_ id: MemberID, device: String, fingerprint: String, expiresAt: Int64, event: AuditEvent) async throws -> UInt64
    func members() async throws -> [Member]

    /// Replaces the members of a role address (e.g. `duty@devon-csc`); an empty list removes it.
    func setRoleAddress(_ address: MemberID, members: [MemberID], event: AuditEvent) async throws -> UInt64
    func roleAddress(_ address: MemberID) async throws -> [MemberID]?
    /// Every role address with its members.
    func roleAddresses() async throws -> [MemberID: [MemberID]]

    // MARK: Enrolment by invitation
    /// Stores new invitations, each with its audit event, in one transaction; an earlier invitation for the same member that
    /// was not yet approved is withdrawn. Refused if a member is already enrolled and active, or their agency is unknown.
    func insertInvitations(_ invitations: [Invitation], events: [AuditEvent]) async throws -> UInt64
    /// The invitation whose code has this SHA-256, in whatever state.
    func invitation(codeHash: [UInt8]) async throws -> Invitation?
    /// Invitations in any of `states`, oldest first.
    func invitations(in states: [Invitation.State]) async throws -> [Invitation]
    /// Records the practitioner's keys against an open invitation that has not expired at `now` (else `invalidTransition`).
    func submitInvitation(codeHash: [UInt8], submission: Invitation.Submission, now: Int64, event: AuditEvent) async throws -> UInt64
    /// Approves a submitted invitation and enrols `member` in the same transaction (re-enrolling a revoked member under their
    /// id); the certificate is kept for the practitioner to collect.
    func approveInvitation(codeHash: [UInt8], member: Member, approvedBy: MemberID, certificate: String, event: AuditEvent) async throws -> UInt64
    /// Marks an approved invitation collected (its certificate reached the practitioner).
    func collectInvitation(codeHash: [UInt8]) async throws
    /// Records a member's own request for another device or new keys on one of theirs (an open invitation of that purpose),
    /// withdrawing an earlier open one for the same device.
    func insertKeyInvitation(_ invitation: Invitation, event: AuditEvent) async throws -> UInt64
    /// Approves a submitted device or re-key request: adds the device, or retires that device's keys and installs `key`.
    func approveKeyInvitation(codeHash: [UInt8], member: MemberID, key: MemberKey, approvedBy: MemberID, certificate: String,
                              event: AuditEvent) async throws -> UInt64
    /// Revokes one device's keys (a revoked primary device is replaced by the newest other active one).
    func revokeDevice(_ id: MemberID, device: String, at now: Int64, reason: String, event: AuditEvent) async throws -> UInt64

    // MARK: Packets
    /// Stores a packet with its acceptance event, or recognises a retry (same id, same digest) before anything else
    /// is checked. Same id with other bytes throws `packetConflict`. `linked` moves other packets' obligations atomically.
    func insertPacket(_ packet: NewPacket, event: AuditEvent, linked: [LinkedTransition]) async throws -> AcceptOutcome
    /// The stored record for an id, or nil (read before re-validating a retry).
    func packet(_ id: PacketID) async throws -> PacketRecord?
    /// A packet with its obligations and the members holding a stanza, and if asked its exact bytes (nil once purged)
    /// and its history, read together in one snapshot.
    func packetView(_ id: PacketID, bytes: Bool, history: Bool) async throws -> PacketView?
    /// Applies a step of the packet as a whole if it is in one of the rule's phases.
    func changePhase(_ id: PacketID, _ change: PhaseChange, event: AuditEvent) async throws -> UInt64
    /// Records a member's first fetch and moves their address's obligation to delivered; refused unless the packet is
    /// live (or held, for a countersigner). Returns nil if they had fetched it before (nothing is written twice).
    func recordDelivery(_ id: PacketID, member: MemberID, event: AuditEvent) async throws -> UInt64?
    /// Stores a member's signed delivery receipt; refused unless they fetched it.
    func recordReceipt(_ id: PacketID, member: MemberID, receipt: [UInt8], event: AuditEvent) async throws -> UInt64
    /// Packets with a stanza for `member` that they may see now (live ones, and held ones they are to countersign),
    /// newest first, `limit` at most, older than the cursor `before` (a leaf index) if given.
    func inbox(_ member: MemberID, before: Int64?, limit: Int) async throws -> Page<InboxEntry>
    /// Packets sent by `member`, newest first, paged like `inbox`.
    func sent(by member: MemberID, before: Int64?, limit: Int) async throws -> Page<PacketRecord>
    /// Deadlines that passed before `now` and were not yet escalated: recipients' read-backs and held packets' countersignatures.
    func overdue(now: Int64, limit: Int) async throws -> [OverdueItem]
    /// Marks one obligation (or, with `address` nil, the countersignature) overdue once and stores the signed notice for
    /// each addressee, atomically.
    func markOverdue(_ id: PacketID, address: MemberID?, notices: [(recipient: MemberID, body: [UInt8])], event: AuditEvent) async throws -> UInt64
    /// Notices for `member`: addressed to them, or to a role address they belong to; newest first, paged by notice id.
    func notices(for member: MemberID, before: Int64?, limit: Int) async throws -> Page<StoredNotice>
    /// Packets about a subject (by `SubjectKey`) that `member` sent or holds a stanza for, oldest first, `limit` at most.
    /// Nothing distinguishes a subject nobody wrote about from one only others did.
    func packets(aboutSubject key: [UInt8], party member: MemberID, limit: Int) async throws -> [PacketRecord]
    /// Packets of any kind whose retention, counted from their last event, ended before `now` and still hold ciphertext.
    func purgeable(now: Int64, limit: Int) async throws -> [PacketRecord]
    /// Deletes the ciphertext (header facts, history and audit leaves stay).
    func purge(_ id: PacketID, event: AuditEvent) async throws -> UInt64

    // MARK: Audit log
    /// The size and root of the log as of the last commit: what a checkpoint signs. Cheap; kept current by every write.
    func treeHead() async throws -> TreeHead
    /// A head covering every write this instance committed and every head committed before those writes ran: what
    /// the answer to a write may carry without a read. Differs from `treeHead` only on a shared store, where other
    /// instances' later commits may be missing from it.
    func committedHead() async throws -> TreeHead
    func auditSize() async throws -> UInt64
    /// Appends events that change no other record (a member's export of their record) in one durable transaction;
    /// returns the new log size.
    func appendAuditEvents(_ events: [AuditEvent]) async throws -> UInt64
    /// Leaf data for indices `start..<end`.
    func auditLeaves(start: UInt64, end: UInt64) async throws -> [[UInt8]]
    /// The leaves `member` is a party to, below `size`, after `after`, at most `limit`, in order: events they caused,
    /// and every event of a packet they sent or hold a stanza for. What a member may see of the log (need to know).
    func partyLeaves(_ member: MemberID, size: UInt64, after: UInt64?, limit: Int) async throws -> [UInt64]
    func rootHash(size: UInt64) async throws -> [UInt8]
    func inclusionProof(index: UInt64, size: UInt64) async throws -> [[UInt8]]
    func consistencyProof(oldSize: UInt64, newSize: UInt64) async throws -> [[UInt8]]

    // MARK: Instances
    /// Whether this relay instance runs the deployment's background work (escalation, retention) now: exactly one
    /// instance on a shared store does. A store only one process opens always leads.
    func leads() async -> Bool
    /// Closes the store; later calls fail with `unavailable`.
    func close() async throws
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
    public var obligations: [Obligation]
    public var deliveries: [Delivery]
    /// Nil unless asked for, or once purged.
    public var bytes: [UInt8]?
    /// Empty unless asked for.
    public var history: [PacketStateChange] = []

    public init(record: PacketRecord, obligations: [Obligation], deliveries: [Delivery], bytes: [UInt8]? = nil, history: [PacketStateChange] = []) {
        self.record = record
        self.obligations = obligations
        self.deliveries = deliveries
        self.bytes = bytes
        self.history = history
    }
}
