import ISRPacket
import Testing
@testable import ISRLifecycle

/// The lifecycle as a table: every reply kind × answered kind × party × recipient state, against the rules written
/// out by hand below (DESIGN.md §4), so a change to `Lifecycle` that is not also a change here fails.
@Suite struct LifecycleTableTests {
    /// One allowed row: a kind, the party sending it, what it may answer, and the obligation move (nil: none).
    struct Row {
        let kind: PacketKind
        let parties: Set<Party>
        let answers: Set<PacketKind>
        let from: Set<RecipientState>?
        let to: RecipientState?
    }

    static let disclosures: Set<PacketKind> = [.share, .consultation, .correction]
    static let everything = Set(PacketKind.allCases)

    /// The whole lifecycle, written out by hand.
    static let table: [Row] = [
        Row(kind: .readback, parties: [.recipient], answers: disclosures, from: [.delivered, .read, .clarificationRequested], to: .acknowledged),
        Row(kind: .confirm, parties: [.sender], answers: disclosures, from: [.acknowledged], to: .confirmed),
        Row(kind: .clarify, parties: [.sender], answers: disclosures, from: [.acknowledged], to: .clarificationRequested),
        Row(kind: .decline, parties: [.recipient], answers: [.request], from: [.pending, .delivered, .read], to: .declined),
        Row(kind: .share, parties: [.recipient], answers: [.request], from: [.pending, .delivered, .read], to: .answered),
        Row(kind: .correction, parties: [.sender], answers: disclosures, from: nil, to: nil),
        Row(kind: .outcome, parties: [.sender, .recipient], answers: everything, from: nil, to: nil),
        Row(kind: .decision, parties: [.sender, .recipient], answers: everything, from: nil, to: nil),
        Row(kind: .request, parties: [.sender, .recipient], answers: everything, from: nil, to: nil),
        Row(kind: .consultation, parties: [.sender, .recipient], answers: everything, from: nil, to: nil),
    ]

    @Test(arguments: PacketKind.allCases)
    func everyCombinationFollowsTheTable(kind: PacketKind) throws {
        let row = try #require(Self.table.first { $0.kind == kind })
        var checked = 0
        for target in PacketKind.allCases {
            for party in Party.allCases {
                for state in [nil] + RecipientState.allCases.map(Optional.some) {
                    let verdict = Lifecycle.verdict(kind, answering: target, by: party, obligation: state)
                    let allowed = row.parties.contains(party) && row.answers.contains(target) && (row.from.map { from in state.map(from.contains) ?? false } ?? true)
                    #expect(verdict.isAllowed == allowed, "\(kind) answering \(target) by \(party) in \(String(describing: state)): \(verdict)")
                    if case .allowed(let transition) = verdict {
                        #expect(transition?.to == row.to, "\(kind) moves to \(String(describing: row.to))")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == PacketKind.allCases.count * Party.allCases.count * (RecipientState.allCases.count + 1))
    }

    @Test func refusalsSayWhyWithAStableCode() {
        guard case .refused(let code, let why) = Lifecycle.verdict(.readback, answering: .share, by: .sender, obligation: .delivered) else {
            Issue.record("a sender cannot read back their own share")
            return
        }
        #expect(code == .wrongParty && why.contains("only the recipient"))
        guard case .refused(let code2, let why2) = Lifecycle.verdict(.readback, answering: .share, by: .recipient, obligation: .confirmed) else { return }
        #expect(code2 == .wrongState && why2.contains("is confirmed") && why2.contains("clarification-requested, delivered, read"))
        guard case .refused(let code3, _) = Lifecycle.verdict(.decline, answering: .share, by: .recipient, obligation: .read) else { return }
        #expect(code3 == .wrongTarget)
        guard case .refused(let code4, _) = Lifecycle.verdict(.outcome, answering: .share, by: .outsider, obligation: nil) else { return }
        #expect(code4 == .notAParty)
    }

    @Test func onlyOriginalsAreGovernedByRecipientKindsAndOnlyThoseExpectingAnAnswerHaveDeadlines() {
        let id = PacketID.random()
        #expect(PacketKind.allCases.filter { Lifecycle.isOriginal($0, answering: nil) } == [.share, .request, .consultation])
        #expect(!Lifecycle.isOriginal(.share, answering: id), "a share answering a request goes back to the requester")
        #expect(PacketKind.allCases.filter(Lifecycle.expectsAnswer) == [.share, .request, .consultation, .correction])
        #expect(Set(PacketKind.allCases.map(Lifecycle.auditEventKind)).count == 7)
    }

    @Test func addressingGoesToTheOtherParty() throws {
        let alice = try MemberID("alice@school-a"), bob = try MemberID("bob@devon-csc"), carol = try MemberID("carol@devon-csc")
        let duty = try MemberID("duty@devon-csc"), dina = try MemberID("dina@school-a")
        let share = Lifecycle.Parties(sender: alice, recipients: [bob, duty], holders: [bob, carol], readersBack: [carol])
        #expect(Lifecycle.checkAddressing(.originalSender, kind: .readback, recipients: [alice], replier: bob, target: share).isAllowed)
        #expect(!Lifecycle.checkAddressing(.originalSender, kind: .readback, recipients: [alice, carol], replier: bob, target: share).isAllowed)
        #expect(Lifecycle.checkAddressing(.membersWhoReadBack, kind: .confirm, recipients: [carol], replier: alice, target: share).isAllowed)
        #expect(!Lifecycle.checkAddressing(.membersWhoReadBack, kind: .confirm, recipients: [bob], replier: alice, target: share).isAllowed, "bob has not read back")
        #expect(!Lifecycle.checkAddressing(.everyOriginalRecipient, kind: .correction, recipients: [bob], replier: alice, target: share).isAllowed)
        #expect(Lifecycle.checkAddressing(.everyOriginalRecipient, kind: .correction, recipients: [bob, duty], replier: alice, target: share).isAllowed)
        #expect(Lifecycle.checkAddressing(.otherParty, kind: .outcome, recipients: [alice], replier: carol, target: share).isAllowed)
        #expect(Lifecycle.checkAddressing(.otherParty, kind: .outcome, recipients: [carol], replier: alice, target: share).isAllowed)
        #expect(!Lifecycle.checkAddressing(.otherParty, kind: .outcome, recipients: [dina], replier: alice, target: share).isAllowed)
        #expect(Lifecycle.checkAddressing(.ownAgency, kind: .decision, recipients: [dina], replier: alice, target: share).isAllowed)
        #expect(!Lifecycle.checkAddressing(.ownAgency, kind: .decision, recipients: [bob], replier: alice, target: share).isAllowed)
        #expect(!Lifecycle.checkNotSelfAddressed(kind: .share, sender: alice, recipients: [alice, bob]).isAllowed)
        #expect(Lifecycle.checkNotSelfAddressed(kind: .decision, sender: alice, recipients: [alice]).isAllowed, "a decision is a record kept for oneself")
    }

    @Test func phasesAndSummaries() {
        #expect(Lifecycle.initialPhase(needsCountersignature: false, emergency: false) == (.accepted, .accepted))
        #expect(Lifecycle.initialPhase(needsCountersignature: true, emergency: false) == (.held, .held))
        #expect(Lifecycle.initialPhase(needsCountersignature: true, emergency: true) == (.accepted, .emergencyReleased))
        #expect(Lifecycle.phaseRule(.countersign).parties == [.countersigner] && Lifecycle.phaseRule(.countersign).to == .accepted)
        #expect(Lifecycle.phaseRule(.returnToSender).from == [.held] && Lifecycle.phaseRule(.returnToSender).to == .returned)
        #expect(Lifecycle.phaseRule(.withdraw).parties == [.sender])
        #expect(PacketPhase.allCases.filter(\.isDeliverable) == [.accepted])
        #expect(Lifecycle.summary(phase: .held, recipients: [.pending]) == "held")
        #expect(Lifecycle.summary(phase: .accepted, recipients: [.confirmed, .acknowledged]) == "acknowledged", "the least advanced recipient")
        #expect(Lifecycle.summary(phase: .accepted, recipients: [.confirmed, .pending]) == "accepted")
        #expect(Lifecycle.summary(phase: .accepted, recipients: [.confirmed, .confirmed]) == "confirmed")
        #expect(RecipientState.awaitingAnswer == [.pending, .delivered, .read, .clarificationRequested])
        // Every obligation state a reply can reach is also a history event.
        for state in RecipientState.allCases where state != .pending { #expect(LifecycleEvent(rawValue: state.rawValue) != nil, "\(state)") }
    }
}
