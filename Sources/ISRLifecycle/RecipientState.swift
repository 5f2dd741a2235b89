import ISRPacket

/// Where one recipient address stands with one packet (DESIGN.md §4): state is kept per recipient, so a share
/// to three people is three obligations. A role address (`duty@agency`) is one obligation, answered by the first
/// of its members who reads back.
public enum RecipientState: String, Sendable, Codable, CaseIterable {
    /// Released to the recipient; nobody at this address has fetched it yet.
    case pending
    /// Fetched by the recipient (or a member of the role).
    case delivered
    /// A signed delivery receipt was posted.
    case read
    /// The recipient read back what they understood.
    case acknowledged
    /// The sender asked for clarification; a new read-back is due.
    case clarificationRequested = "clarification-requested"
    /// The sender confirmed the read-back.
    case confirmed
    /// A request this recipient declined, with reasons.
    case declined
    /// A request this recipient answered with a share.
    case answered

    /// How far along the lifecycle this state is; a packet's summary is its least advanced recipient.
    public var progress: Int {
        switch self {
        case .pending: 0
        case .delivered: 1
        case .read: 2
        case .clarificationRequested: 3
        case .acknowledged: 4
        case .confirmed, .declined, .answered: 5
        }
    }

    /// States in which a recipient still owes an answer (a read-back, or for a request a share or decline).
    public static let awaitingAnswer: Set<RecipientState> = [.pending, .delivered, .read, .clarificationRequested]

    /// States in which what the recipient understood is on record (a read-back the sender can read).
    public static let readBack: Set<RecipientState> = [.acknowledged, .clarificationRequested, .confirmed]

    /// True once nothing more is owed for this recipient.
    public var isSettled: Bool { !Self.awaitingAnswer.contains(self) }
}

/// Where the packet as a whole stands: held for a second person, live, returned by the countersigner, or withdrawn.
public enum PacketPhase: String, Sendable, Codable, CaseIterable {
    /// Waiting for a dsl/manager of the sender's agency to read and countersign it; recipients cannot see it.
    case held
    /// Released to its recipients (accepted at once, countersigned, or released in an emergency).
    case accepted
    /// The countersigner sent it back to the sender with reasons; it never reaches the recipients.
    case returned
    /// The sender withdrew it before anyone fetched it.
    case withdrawn

    /// Phases in which recipients may fetch the packet.
    public var isDeliverable: Bool { self == .accepted }
}

/// Who is acting on a packet, relative to it.
public enum Party: String, Sendable, Codable, CaseIterable {
    /// The member who sent it.
    case sender
    /// A member holding a stanza as (or for) one of its addressed recipients.
    case recipient
    /// A dsl/manager of the sender's agency holding a stanza to countersign it.
    case countersigner
    /// Anyone else.
    case outsider
}
