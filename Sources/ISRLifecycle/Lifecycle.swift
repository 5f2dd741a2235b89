import ISRPacket

/// The one home of the packet lifecycle (DESIGN.md §4): which kind may answer which, by whom, addressed to whom,
/// moving a recipient's obligation from which states to which; which kinds start a deadline; which steps the
/// packet as a whole may take. A pure value: no HTTP, no SQL. The store persists what this decides; the relay
/// asks it and maps its refusals to problems.
public enum Lifecycle {
    /// Kinds that start a deadline: a read-back (or, for a request, a share or decline) is owed by each recipient.
    public static func expectsAnswer(_ kind: PacketKind) -> Bool {
        switch kind {
        case .share, .consultation, .correction, .request: true
        case .decline, .decision, .readback, .confirm, .clarify, .outcome: false
        }
    }

    /// Kinds a read-back, confirmation or clarification can answer: the ones that disclose information.
    public static let readBackable: Set<PacketKind> = [.share, .consultation, .correction]

    /// True for a packet that starts a conversation, whose recipients the purpose's `recipient_agency_kinds`
    /// govern. Replies go to the parties of what they answer, whatever their agency kind.
    public static func isOriginal(_ kind: PacketKind, answering target: PacketID?) -> Bool {
        switch kind {
        case .share: target == nil
        case .request, .consultation: true
        case .decline, .decision, .readback, .confirm, .clarify, .correction, .outcome: false
        }
    }

    /// The rule for a packet of `kind` that names an earlier packet (`inReplyTo` or `relatesTo`); nil when the
    /// kind only refers to it (a request or consultation that mentions an earlier one).
    public static func replyRule(for kind: PacketKind) -> ReplyRule? {
        switch kind {
        case .readback:
            ReplyRule(kind: kind, parties: [.recipient], answers: readBackable, addressing: .originalSender,
                      transition: .init(from: [.delivered, .read, .clarificationRequested], to: .acknowledged), needsFetch: true)
        case .confirm:
            ReplyRule(kind: kind, parties: [.sender], answers: readBackable, addressing: .membersWhoReadBack,
                      transition: .init(from: [.acknowledged], to: .confirmed))
        case .clarify:
            ReplyRule(kind: kind, parties: [.sender], answers: readBackable, addressing: .membersWhoReadBack,
                      transition: .init(from: [.acknowledged], to: .clarificationRequested, restartsDeadline: true))
        case .decline:
            ReplyRule(kind: kind, parties: [.recipient], answers: [.request], addressing: .originalSender,
                      transition: .init(from: [.pending, .delivered, .read], to: .declined), needsFetch: true)
        case .share:
            ReplyRule(kind: kind, parties: [.recipient], answers: [.request], addressing: .originalSender,
                      transition: .init(from: [.pending, .delivered, .read], to: .answered), needsFetch: true)
        case .correction:
            ReplyRule(kind: kind, parties: [.sender], answers: readBackable, addressing: .everyOriginalRecipient, transition: nil)
        case .outcome:
            ReplyRule(kind: kind, parties: [.sender, .recipient], answers: Set(PacketKind.allCases), addressing: .otherParty, transition: nil)
        case .decision:
            ReplyRule(kind: kind, parties: [.sender, .recipient], answers: Set(PacketKind.allCases), addressing: .ownAgency, transition: nil)
        case .request, .consultation:
            nil
        }
    }

    /// Whether `party` may send a packet that only refers to another (relates-to: a request or consultation naming an earlier
    /// packet, or a share resent to a recipient's new keys): its sender and recipients may.
    public static func referenceVerdict(by party: Party) -> Verdict {
        [.sender, .recipient].contains(party) ? .allowed(nil) : .refused(.notAParty, "you can only refer to packets you sent or received")
    }

    /// Whether `party` may send a `kind` answering a `target` packet whose obligation (for that party) is in `state`.
    /// `state` is the obligation the reply moves (nil when the party holds none, e.g. the sender confirming).
    public static func verdict(_ kind: PacketKind, answering target: PacketKind, by party: Party, obligation state: RecipientState?) -> Verdict {
        guard party != .outsider else { return .refused(.notAParty, "you can only answer or refer to packets you sent or received") }
        guard let rule = replyRule(for: kind) else { return referenceVerdict(by: party) }
        guard rule.parties.contains(party) else {
            let who = rule.parties.map(\.rawValue).sorted().joined(separator: " or ")
            return .refused(.wrongParty, "only the \(who) of the packet it answers can send a `\(kind.rawValue)`")
        }
        guard rule.answers.contains(target) else {
            let kinds = rule.answers.map(\.rawValue).sorted().joined(separator: ", ")
            return .refused(.wrongTarget, "a `\(kind.rawValue)` answers a \(kinds), not a `\(target.rawValue)`")
        }
        guard let transition = rule.transition else { return .allowed(nil) }
        guard let state else { return .refused(.noObligation, "there is no read-back or answer of yours for this `\(kind.rawValue)` to act on") }
        guard transition.from.contains(state) else {
            let allowed = transition.from.map(\.rawValue).sorted().joined(separator: ", ")
            return .refused(.wrongState, "this recipient's copy is \(state.rawValue); a `\(kind.rawValue)` needs it to be \(allowed)")
        }
        return .allowed(transition)
    }

    /// The packet as one word: its phase while not live, else its least advanced recipient.
    public static func summary(phase: PacketPhase, recipients: [RecipientState]) -> String {
        guard phase == .accepted else { return phase.rawValue }
        guard let least = recipients.min(by: { $0.progress < $1.progress }) else { return phase.rawValue }
        return least == .pending ? PacketPhase.accepted.rawValue : least.rawValue
    }

    /// What a recipient's first fetch does to their address's obligation.
    public static let onFetch = ObligationTransition(from: [.pending], to: .delivered)
    /// What a recipient's signed receipt does to their address's obligation.
    public static let onReceipt = ObligationTransition(from: [.pending, .delivered], to: .read)
    /// How an inbox shows a held packet to the dsl/manager who is to read and countersign it.
    public static let awaitingCountersignature = "awaiting-countersignature"

    /// The rule for a step the packet as a whole takes.
    public static func phaseRule(_ step: PhaseStep) -> PhaseRule {
        switch step {
        // An emergency release is live (accepted) while its retrospective countersignature is still due.
        case .countersign: PhaseRule(step: step, parties: [.countersigner], from: [.held, .accepted], to: .accepted, event: .countersigned)
        case .returnToSender: PhaseRule(step: step, parties: [.countersigner], from: [.held], to: .returned, event: .returned)
        case .withdraw: PhaseRule(step: step, parties: [.sender], from: [.held, .accepted], to: .withdrawn, event: .withdrawn)
        }
    }

    /// The phase a newly accepted packet starts in, and the event that records it.
    public static func initialPhase(needsCountersignature: Bool, emergency: Bool) -> (PacketPhase, LifecycleEvent) {
        guard needsCountersignature else { return (.accepted, .accepted) }
        return emergency ? (.accepted, .emergencyReleased) : (.held, .held)
    }

    /// The audit event that records a packet of `kind` being accepted: each step of the lifecycle is its own event.
    public static func auditEventKind(_ kind: PacketKind) -> String {
        switch kind {
        case .share, .request, .consultation, .outcome: "packet.accepted"
        case .readback: "packet.readback"
        case .confirm: "packet.confirmed"
        case .clarify: "packet.clarified"
        case .decline: "packet.declined"
        case .decision: "packet.decision"
        case .correction: "packet.corrected"
        }
    }
}

/// How a reply must be addressed.
public enum ReplyAddressing: String, Sendable {
    /// To the original's sender only (a read-back, a decline, a share answering a request).
    case originalSender
    /// To members whose read-back is on record (a confirmation or clarification, one per read-back).
    case membersWhoReadBack
    /// To every address of the original, at least (a correction).
    case everyOriginalRecipient
    /// To the other side: the sender if you received it, its recipients if you sent it (an outcome).
    case otherParty
    /// To yourself or members of your own agency (a decision: a record, not a disclosure).
    case ownAgency
}

/// A recipient obligation's move caused by a reply.
public struct ObligationTransition: Sendable, Equatable {
    public let from: Set<RecipientState>
    public let to: RecipientState
    /// A clarification asks for a new read-back: the deadline starts again, with the original urgency.
    public let restartsDeadline: Bool

    public init(from: Set<RecipientState>, to: RecipientState, restartsDeadline: Bool = false) {
        self.from = from
        self.to = to
        self.restartsDeadline = restartsDeadline
    }
}

/// What a kind of reply may answer, who may send it, to whom, and what it changes.
public struct ReplyRule: Sendable, Equatable {
    public let kind: PacketKind
    public let parties: Set<Party>
    public let answers: Set<PacketKind>
    public let addressing: ReplyAddressing
    public let transition: ObligationTransition?
    /// The replying member must have fetched the packet first (you read back what you read).
    public let needsFetch: Bool

    public init(kind: PacketKind, parties: Set<Party>, answers: Set<PacketKind>, addressing: ReplyAddressing, transition: ObligationTransition?,
                needsFetch: Bool = false) {
        self.kind = kind
        self.parties = parties
        self.answers = answers
        self.addressing = addressing
        self.transition = transition
        self.needsFetch = needsFetch
    }
}

/// A step of the packet as a whole.
public enum PhaseStep: String, Sendable, CaseIterable {
    case countersign
    case returnToSender = "return"
    case withdraw
}

public struct PhaseRule: Sendable, Equatable {
    public let step: PhaseStep
    public let parties: Set<Party>
    public let from: Set<PacketPhase>
    public let to: PacketPhase
    public let event: LifecycleEvent
}

/// The lifecycle's answer: allowed (with the obligation move, if any), or refused with a stable code and a reason.
public enum Verdict: Sendable, Equatable {
    case allowed(ObligationTransition?)
    case refused(RefusalCode, String)

    public var isAllowed: Bool { if case .allowed = self { true } else { false } }
}

/// Why the lifecycle refused a step; the relay turns each into a problem code `lifecycle.<raw value>`.
public enum RefusalCode: String, Sendable, CaseIterable {
    case notAParty = "not-a-party"
    case wrongParty = "wrong-party"
    case wrongTarget = "wrong-target"
    case noObligation = "no-obligation"
    case wrongState = "wrong-state"
    case wrongRecipients = "wrong-recipients"
    case notFetched = "not-fetched"
    case alreadyAnswered = "already-answered"
    case selfAddressed = "self-addressed"
}
