/// Every step recorded in a packet's history, with its stable spelling (the history and API carry these strings).
public enum LifecycleEvent: String, Sendable, Codable, CaseIterable {
    case accepted
    /// Accepted but held for countersignature.
    case held
    /// A dsl/manager countersigned and released it (or countersigned an emergency release afterwards).
    case countersigned
    /// Released at once because a child was in immediate danger; a retrospective countersignature is due.
    case emergencyReleased = "emergency-released"
    /// The countersigner sent it back to the sender with reasons.
    case returned
    case delivered
    case read
    case acknowledged
    case clarificationRequested = "clarification-requested"
    case confirmed
    case declined
    case answered
    case withdrawn
    /// A recipient's read-back deadline passed; the sender, their dsl/managers and the recipient's duty role were told.
    case overdue
    /// Nobody countersigned within the purpose's `countersign_within`; the sender's dsl/managers were told.
    case countersignOverdue = "countersign-overdue"
    /// The ciphertext was deleted at the end of retention; the record stays.
    case purged
}
