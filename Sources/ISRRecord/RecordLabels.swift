import ISRPacket

/// The words the chronology and the verifier use for packets and log events.
enum RecordLabels {
    /// What sending a packet of this kind means, as a verb phrase.
    static func sent(_ kind: PacketKind) -> String {
        switch kind {
        case .share: "shared"
        case .request: "requested information"
        case .decline: "declined the request"
        case .decision: "recorded a decision"
        case .consultation: "consulted anonymously"
        case .readback: "read back what they understood"
        case .confirm: "confirmed the read-back"
        case .clarify: "asked for clarification"
        case .correction: "corrected"
        case .outcome: "reported the outcome"
        }
    }

    static func kind(_ kind: PacketKind) -> String {
        switch kind {
        case .readback: "read-back"
        default: kind.rawValue
        }
    }

    /// A history step or audit event kind (`delivered`, `packet.countersigned`…) as words.
    static func event(_ kind: String) -> String {
        let bare = kind.hasPrefix("packet.") ? String(kind.dropFirst(7)) : kind
        switch bare {
        case "held": return "held for a countersignature"
        case "countersigned": return "countersigned"
        case "emergency-released": return "released at once in an emergency"
        case "returned": return "returned to the sender by the countersigner"
        case "delivered": return "fetched"
        case "read": return "read (signed receipt)"
        case "acknowledged": return "read back"
        case "clarification-requested": return "clarification requested"
        case "confirmed": return "read-back confirmed"
        case "declined": return "declined"
        case "answered": return "answered"
        case "withdrawn": return "withdrawn by the sender"
        case "overdue": return "read-back overdue: escalated"
        case "countersign-overdue": return "countersignature overdue: escalated"
        case "purged": return "content purged at the end of retention"
        default: return bare
        }
    }
}
