import ISRPacket

/// Which policy rules apply to which kinds of packet.
extension PacketKind {
    /// Kinds that disclose or seek information about a child, and so need a lawful basis.
    public var needsLawfulBasis: Bool {
        switch self {
        case .share, .request, .consultation, .correction, .outcome: true
        case .decline, .decision, .readback, .confirm, .clarify: false
        }
    }

    /// Kinds that disclose information, and so must record the consent position and whether the subject was informed.
    public var disclosesInformation: Bool {
        switch self {
        case .share, .consultation, .correction: true
        case .request, .decline, .decision, .readback, .confirm, .clarify, .outcome: false
        }
    }

    /// Kinds whose statement is the point of the packet (reasons, what was understood, the question) and must not be empty.
    public var needsStatement: Bool {
        switch self {
        case .share, .request, .decline, .decision, .consultation, .readback, .clarify, .correction, .outcome: true
        case .confirm: false
        }
    }
}
