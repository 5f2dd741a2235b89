import ISRPacket

extension Lifecycle {
    /// The two ends of the packet a reply answers, as the addressing rules need them.
    public struct Parties: Sendable, Equatable {
        public var sender: MemberID
        /// The addresses in its header (members or role addresses).
        public var recipients: [MemberID]
        /// The members holding a recipient stanza (role addresses expanded).
        public var holders: Set<MemberID>
        /// The members whose read-back is on record and not yet confirmed or clarified.
        public var readersBack: Set<MemberID>

        public init(sender: MemberID, recipients: [MemberID], holders: Set<MemberID>, readersBack: Set<MemberID>) {
            self.sender = sender
            self.recipients = recipients
            self.holders = holders
            self.readersBack = readersBack
        }
    }

    /// Whether a reply from `replier` addressed to `recipients` goes where its rule says.
    public static func checkAddressing(_ addressing: ReplyAddressing, kind: PacketKind, recipients: [MemberID], replier: MemberID, target: Parties) -> Verdict {
        let to = Set(recipients)
        func refuse(_ why: String) -> Verdict { .refused(.wrongRecipients, why) }
        switch addressing {
        case .originalSender:
            return to == [target.sender] ? .allowed(nil) : refuse("a `\(kind.rawValue)` goes to the sender, \(target.sender), only")
        case .membersWhoReadBack:
            guard !to.isEmpty, to.isSubset(of: target.readersBack) else {
                let waiting = target.readersBack.map(\.rawValue).sorted()
                return refuse("a `\(kind.rawValue)` goes to a recipient whose read-back is waiting for you (\(waiting.isEmpty ? "none is" : waiting.joined(separator: ", ")))")
            }
            return .allowed(nil)
        case .everyOriginalRecipient:
            let missing = Set(target.recipients).subtracting(to).map(\.rawValue).sorted()
            guard missing.isEmpty else { return refuse("a correction goes to everyone who received the original; add \(missing.joined(separator: ", "))") }
            return .allowed(nil)
        case .otherParty:
            if replier == target.sender {
                return to.isSubset(of: Set(target.recipients).union(target.holders))
                    ? .allowed(nil) : refuse("an outcome goes to the recipients of the packet it is about")
            }
            return to == [target.sender] ? .allowed(nil) : refuse("an outcome goes to the sender, \(target.sender)")
        case .ownAgency:
            return to.allSatisfy({ $0.agency == replier.agency })
                ? .allowed(nil) : refuse("a decision is a record for your own agency: address it to yourself or your agency's dsl")
        }
    }

    /// A sender cannot be one of their own recipients (a share read back by its own sender proves nothing).
    /// A decision, a record kept for oneself, is the exception.
    public static func checkNotSelfAddressed(kind: PacketKind, sender: MemberID, recipients: [MemberID]) -> Verdict {
        guard kind != .decision, recipients.contains(sender) else { return .allowed(nil) }
        return .refused(.selfAddressed, "you (\(sender)) are one of the recipients; a `\(kind.rawValue)` goes to someone else — remove yourself from the recipients")
    }
}
