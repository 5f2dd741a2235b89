/// What a packet is, in the lifecycle of DESIGN.md §4. The raw values are the wire codes.
public enum PacketKind: String, Sendable, CaseIterable, Codable {
    /// Information shared for a stated purpose.
    case share
    /// A request for information; answered by a `share` or a `decline` in reply.
    case request
    /// A refusal of a request, with reasons, sent to the requester.
    case decline
    /// A recorded decision not to share, with reasons (even when nobody asked).
    case decision
    /// An anonymous consultation: advice sought without identifying the child.
    case consultation
    /// The recipient's statement of what they understood, sealed to the sender.
    case readback
    /// The sender's confirmation that a read-back matches what was meant.
    case confirm
    /// The sender's request for clarification; a new read-back follows.
    case clarify
    /// A correction to an earlier packet, sent to everyone who received it.
    case correction
    /// Feedback on what happened, linked to the original referral.
    case outcome

    /// Kinds that answer or refer to an earlier packet and so must name it (`inReplyTo` or `relatesTo`).
    public var needsEarlierPacket: Bool {
        switch self {
        case .decline, .readback, .confirm, .clarify, .correction, .outcome: true
        case .share, .request, .decision, .consultation: false
        }
    }
}

/// The consent position recorded in the header (details and reasons travel in the encrypted body).
public enum ConsentStatus: String, Sendable, CaseIterable, Codable {
    case given
    case refused
    case notSought = "not-sought"
    /// For kinds where consent is not in question (read-backs, confirmations, decisions not to share).
    case notApplicable = "not-applicable"
}

/// How quickly the sender needs an acknowledgement; the policy turns it into a deadline.
public enum Urgency: String, Sendable, CaseIterable, Codable {
    case routine
    case priority
    case urgent
}

/// How a body item should be weighed: guidance asks that fact and opinion are never blurred.
public enum ItemTag: String, Sendable, CaseIterable, Codable {
    /// Observed or verified by the source.
    case fact
    /// A professional judgement.
    case opinion
    /// Reported by someone else (hearsay); the source says who.
    case reported
}

/// The level of concern a recipient states in a read-back.
public enum ConcernLevel: String, Sendable, CaseIterable, Codable {
    case low
    case medium
    case high
    case immediate
}
