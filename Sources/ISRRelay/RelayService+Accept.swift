import Foundation
import ISRAudit
import ISRCrypto
import ISRLifecycle
import ISRPacket
import ISRRelayAPI
import ISRPolicy
import ISRStore

extension RelayService {
    /// Accepts a packet from the authenticated `member`: verify the signature with their registered key, then parse;
    /// answer a retry of identical bytes with the original answer; check recipients, stanzas, policy and lifecycle;
    /// store durably with its audit leaf; then answer. `emergencyReason` releases a countersigned purpose at once.
    public func accept(_ bytes: [UInt8], from member: Member, emergencyReason: String? = nil) async throws -> AcceptReceipt {
        let sealed: SealedPacket
        let header: PacketHeader
        do {
            sealed = try SealedPacket(encoded: bytes, limits: limits)
        } catch {
            throw RelayRefusal.packet(error)
        }
        let senderKey = try registeredKey(of: member)
        do {
            header = try sealed.verifiedHeader(signedBy: senderKey, expectedSender: member.id, limits: limits)
        } catch where error.code == .badSignature {
            // The unverified header is read only to word the refusal, never acted on.
            if let claimed = try? PacketHeader(derEncoded: sealed.headerBytes, limits: limits), claimed.sender != member.id {
                throw RelayRefusal.forbidden("packet.sender-mismatch", "the packet names \(claimed.sender) as its sender, but you are \(member.id): send only packets you signed")
            }
            throw RelayRefusal.packet(error)
        } catch {
            throw RelayRefusal.packet(error)
        }
        let digest = SHA256.hash(bytes)
        let checked: Checked
        do {
            checked = try await check(header, sealed: sealed, from: member, emergencyReason: emergencyReason)
        } catch let refusal as RelayRefusal {
            // A retry of identical bytes gets the original answer, not a refusal: the sender may have been revoked, a
            // recipient may have read it back, or the policy changed since. (A retry that still passes every check is
            // recognised by the store, in the same transaction that would have stored it.)
            if let existing = try await stored({ try await store.packet(header.id) }) {
                guard ConstantTime.equal(existing.digest, digest) else {
                    throw RelayRefusal.conflict(StoreErrorCode.packetConflict.rawValue, "packet \(header.id) was already sent with different content; a new packet needs a new id")
                }
                return try await receipt(for: existing, duplicate: true)
            }
            throw refusal
        }
        let (deliveries, needsCountersignature, linked) = (checked.deliveries, checked.needsCountersignature, checked.linked)
        let purpose = policy.purposes[header.purpose]
        let now = clock()
        let (phase, _) = Lifecycle.initialPhase(needsCountersignature: needsCountersignature, emergency: emergencyReason != nil)
        // The acknowledgement deadline starts at release: a held packet gets its deadline when it is countersigned.
        let deadline = Lifecycle.expectsAnswer(header.kind) && phase == .accepted
            ? readBackDeadline(purpose: header.purpose, urgency: header.urgency, from: now) : nil
        let countersignDue = needsCountersignature
            ? purpose?.countersignWithin.map { millis($0.deadline(sentAt: date(now), calendar: calendar, capHours: nil)) } : nil
        let record = PacketRecord(id: header.id, sender: member.id, kind: header.kind, purpose: header.purpose, recipients: header.recipients,
                                  phase: phase, urgency: header.urgency, acceptedAt: now, deadline: deadline, leafIndex: 0, digest: digest,
                                  inReplyTo: header.inReplyTo, relatesTo: header.relatesTo, retentionDays: header.retentionDays,
                                  countersignDue: countersignDue, emergency: emergencyReason != nil, emergencyReason: emergencyReason)
        let obligations = header.recipients.map { Obligation(address: $0, state: .pending, deadline: deadline) }
        var attributes = ["kind": header.kind.rawValue, "purpose": header.purpose, "recipients": header.recipients.map(\.rawValue).joined(separator: ","),
                          "state": phase.rawValue, "digest": Hex.encode(digest)]
        if !linked.isEmpty { attributes["target"] = linked[0].packet.hex }
        if needsCountersignature { attributes["countersigners"] = deliveries.filter(\.countersigner).map(\.member.rawValue).joined(separator: ",") }
        if let emergencyReason {
            attributes["emergency"] = "true"
            // The reason itself stays out of the log (it may describe the child); its digest binds it to the record.
            attributes["emergency-reason-sha256"] = Hex.encode(SHA256.hash(Array(emergencyReason.utf8)))
        }
        let event = AuditEvent(kind: Lifecycle.auditEventKind(header.kind), time: now, actor: member.id.rawValue, packetID: header.id.bytes, attributes: attributes)
        let outcome = try await stored {
            try await store.insertPacket(NewPacket(record: record, bytes: bytes, deliveries: deliveries, obligations: obligations,
                                            subjectKey: header.subjectReference.map(SubjectKey.of)), event: event, linked: linked)
        }
        if case .accepted = outcome {
            RelayMetrics.packetAccepted(kind: header.kind.rawValue, state: phase.rawValue)
            // Debug, not info: every acceptance is already in the audit log and counted in /metrics, and a line per
            // packet cost about a tenth of the relay's acceptance throughput (isr-bench).
            logger.debug("packet accepted", metadata: ["packet": "\(header.id)", "kind": "\(header.kind.rawValue)", "state": "\(phase.rawValue)"])
        }
        let duplicate = outcome != .accepted(outcome.record)
        return try await receipt(for: outcome.record, duplicate: duplicate, afterOwnCommit: !duplicate)
    }

    /// What acceptance found, once every check passed.
    struct Checked {
        let deliveries: [NewPacket.Stanza]
        let needsCountersignature: Bool
        let linked: [LinkedTransition]
    }

    /// Every check a new packet must pass: not self-addressed, recipients active, stanzas exactly right (countersigners
    /// included for a held purpose), the policy on the header, and the lifecycle step it takes.
    func check(_ header: PacketHeader, sealed: SealedPacket, from member: Member, emergencyReason: String?) async throws -> Checked {
        guard member.role != .auditor else {
            throw RelayRefusal.forbidden("auditor.read-only", "auditors read the audit log; they send no packets")
        }
        if case .refused(let code, let why) = Lifecycle.checkNotSelfAddressed(kind: header.kind, sender: member.id, recipients: header.recipients) {
            throw RelayRefusal.unprocessable("lifecycle.\(code.rawValue)", why)
        }

        var deliveries: [NewPacket.Stanza] = []
        var agencyKinds: [MemberID: String] = [:]
        for address in header.recipients {
            let (reached, kind) = try await resolve(address, excluding: member.id)
            agencyKinds[address] = kind
            for target in reached where !deliveries.contains(where: { $0.member == target }) {
                deliveries.append(NewPacket.Stanza(member: target, via: address))
            }
        }
        let purpose = policy.purposes[header.purpose]
        let needsCountersignature = purpose?.countersign == true && header.kind.disclosesInformation
            && Lifecycle.isOriginal(header.kind, answering: header.inReplyTo)
        if needsCountersignature {
            let countersigners = try await countersigners(for: member).filter { id in !deliveries.contains { $0.member == id } }
            guard !countersigners.isEmpty else {
                throw RelayRefusal.unprocessable("countersign.nobody", "`\(header.purpose)` needs a dsl or manager of \(member.agency) to countersign, and it has none enrolled; ask your admin")
            }
            deliveries += countersigners.map { NewPacket.Stanza(member: $0, via: $0, countersigner: true) }
        }
        let expected = Set(deliveries.map(\.member))
        let sealedTo = Set(sealed.stanzas.map(\.recipient))
        guard expected == sealedTo else {
            let missing = expected.subtracting(sealedTo).map(\.rawValue).sorted()
            let extra = sealedTo.subtracting(expected).map(\.rawValue).sorted()
            throw RelayRefusal.unprocessable("packet.stanzas-mismatch", "the packet must be sealed to exactly the current members its recipients reach\(needsCountersignature ? ", and your agency's dsl/managers who countersign it" : "") (missing: \(missing.joined(separator: ", ")); not expected: \(extra.joined(separator: ", "))); refresh the directory and resend")
        }
        // One stanza per active device of each member (a device added since the sender's directory was read would miss it).
        for target in expected.sorted() {
            let devices = try await stored { try await store.member(target) }?.activeKeys.count ?? 0
            let stanzas = sealed.stanzas.lazy.filter { $0.recipient == target }.count
            guard stanzas == devices else {
                throw RelayRefusal.unprocessable("packet.stanzas-mismatch", "\(target) has \(devices) active device\(devices == 1 ? "" : "s") and the packet is sealed to \(stanzas); refresh the directory and resend")
            }
        }

        let senderKind = try await stored { try await store.agency(member.agency) }?.kind
        let violations = policy.checkHeader(header, recipientAgencyKinds: agencyKinds, senderAgencyKind: senderKind)
        guard violations.isEmpty else { throw RelayRefusal.policy(violations) }
        if emergencyReason != nil, !needsCountersignature {
            throw RelayRefusal.unprocessable("countersign.not-needed", "an emergency release is for purposes that need a countersignature; `\(header.purpose)` is released at once anyway — send it without --emergency")
        }
        return Checked(deliveries: deliveries, needsCountersignature: needsCountersignature, linked: try await lifecycleLinks(for: header, from: member))
    }

    /// `afterOwnCommit`: this instance just committed the packet, so the head of its own last commit covers it.
    func receipt(for record: PacketRecord, duplicate: Bool, afterOwnCommit: Bool = false) async throws -> AcceptReceipt {
        let checkpoint = try await signedCheckpoint(afterOwnCommit: afterOwnCommit)
        return AcceptReceipt(id: record.id.hex, state: record.phase.rawValue, leafIndex: record.leafIndex, deadline: record.deadline,
                             checkpoint: Data(checkpoint.encoded()).base64EncodedString(), duplicate: duplicate)
    }

    /// When a read-back is due (Unix milliseconds) for `purpose` and `urgency`, counting from `now` (Unix milliseconds).
    func readBackDeadline(purpose: String, urgency: Urgency, from now: Int64) -> Int64? {
        policy.acknowledgementDeadline(purpose: purpose, urgency: urgency, sentAt: date(now), calendar: calendar).map(millis)
    }

    func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
    func millis(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }

    /// A member's registered Ed25519 key (32 bytes by the store's schema).
    func registeredKey(of member: Member) throws -> SigningPublicKey {
        guard let key = try? SigningPublicKey(bytes: member.signingKey) else {
            throw RelayRefusal(.serviceUnavailable, code: "store.corrupt", title: "Store unavailable", detail: "\(member.id)'s registered key cannot be read")
        }
        return key
    }

    /// The active dsl/managers of `sender`'s agency other than the sender: who reads and countersigns a held packet.
    func countersigners(for sender: Member) async throws -> [MemberID] {
        try await stored { try await store.members() }
            .filter { $0.agency == sender.agency && $0.role.isSeniorSafeguarding && $0.status == .active && $0.id != sender.id }
            .map(\.id).sorted()
    }

    /// The active members an address reaches (never `sender`, who may belong to a role they write to), and the kind of
    /// its agency. Refuses unknown, revoked, suspended or empty addresses.
    func resolve(_ address: MemberID, excluding sender: MemberID) async throws -> ([MemberID], String) {
        let agency = try await stored { try await store.agency(address.agency) }
        guard let agency else {
            throw RelayRefusal.unprocessable("recipient.unknown", "recipient \(address): agency \(address.agency) is not registered; check the address with `isr directory`")
        }
        guard agency.status == .active else {
            throw RelayRefusal.unprocessable("recipient.suspended", "recipient \(address): agency \(address.agency) is suspended and cannot receive packets")
        }
        if let member = try await stored({ try await store.member(address) }) {
            guard member.status == .active else {
                throw RelayRefusal.unprocessable("recipient.revoked", "recipient \(address) has been revoked and cannot receive packets; choose another recipient")
            }
            guard member.role != .auditor else {
                throw RelayRefusal.unprocessable("recipient.auditor", "recipient \(address) is an auditor, who reads the audit log and receives no packets; choose a practitioner")
            }
            return ([address], agency.kind)
        }
        guard let role = try await stored({ try await store.roleAddress(address) }) else {
            throw RelayRefusal.unprocessable("recipient.unknown", "recipient \(address) is neither an enrolled member nor a role address; check it with `isr directory`")
        }
        var active: [MemberID] = []
        for id in role where id != sender {
            if try await stored({ try await store.member(id) })?.status == .active { active.append(id) }
        }
        guard !active.isEmpty else {
            throw RelayRefusal.unprocessable("recipient.empty-role", "role address \(address) has no active member other than you; tell its agency's admin")
        }
        return (active, agency.kind)
    }

    /// The obligations a packet moves in the one it answers, after the lifecycle agrees the sender may take that step.
    func lifecycleLinks(for header: PacketHeader, from member: Member) async throws -> [LinkedTransition] {
        guard let targetID = header.inReplyTo ?? header.relatesTo else {
            if header.kind == .decision, !header.recipients.allSatisfy({ $0.agency == member.agency }) {
                throw RelayRefusal.unprocessable("lifecycle.\(RefusalCode.wrongRecipients.rawValue)", "a decision is a record for your own agency: address it to yourself or your agency's dsl")
            }
            return []
        }
        // An unknown packet and someone else's get one answer, so a reply cannot probe which packet ids exist.
        let notYours = RelayRefusal.unprocessable("lifecycle.\(RefusalCode.notAParty.rawValue)",
                                                  "you can only answer or refer to packets you sent or received, and \(targetID) is not one of yours")
        guard let view = try await stored({ try await store.packetView(targetID, bytes: false, history: false) }) else { throw notYours }
        let target = view.record
        let mine = view.deliveries.first { $0.member == member.id }
        let party: Party = target.sender == member.id ? .sender : mine.map { $0.countersigner ? .countersigner : .recipient } ?? .outsider
        guard party != .outsider else { throw notYours }
        func refuse(_ verdict: Verdict) throws {
            if case .refused(let code, let why) = verdict { throw RelayRefusal.unprocessable("lifecycle.\(code.rawValue)", why) }
        }
        // A share without in-reply-to only refers to another packet; it answers nothing.
        let rule = header.kind == .share && header.inReplyTo == nil ? nil : Lifecycle.replyRule(for: header.kind)
        guard let rule else {
            try refuse(Lifecycle.referenceVerdict(by: party))
            return []
        }
        let readersBack = Set(view.obligations.filter { $0.state == .acknowledged }.compactMap(\.answeredBy))
        let parties = Lifecycle.Parties(sender: target.sender, recipients: target.recipients,
                                        holders: Set(view.deliveries.filter { !$0.countersigner }.map(\.member)), readersBack: readersBack)
        guard rule.transition != nil else {
            try refuse(Lifecycle.verdict(header.kind, answering: target.kind, by: party, obligation: nil))
            try refuse(Lifecycle.checkAddressing(rule.addressing, kind: header.kind, recipients: header.recipients, replier: member.id, target: parties))
            return []
        }
        if party == .recipient, let mine {
            // Read-back, decline, or a share answering a request: for the address that reached this member.
            guard let obligation = view.obligations.first(where: { $0.address == mine.via }) else {
                throw RelayRefusal.unprocessable("lifecycle.no-obligation", "packet \(targetID) owes no answer to \(mine.via)")
            }
            // A role address is one obligation: the first member to answer answers for the role (and any clarification is theirs).
            if let other = obligation.answeredBy, other != member.id {
                throw RelayRefusal.unprocessable("lifecycle.\(RefusalCode.alreadyAnswered.rawValue)", "\(mine.via) already answered packet \(targetID): \(obligation.state.rawValue) by \(other)")
            }
            if rule.needsFetch, mine.deliveredAt == nil {
                throw RelayRefusal.unprocessable("lifecycle.\(RefusalCode.notFetched.rawValue)", "fetch and read packet \(targetID) before you answer it (`isr read \(targetID)`)")
            }
            let verdict = Lifecycle.verdict(header.kind, answering: target.kind, by: party, obligation: obligation.state)
            try refuse(verdict)
            try refuse(Lifecycle.checkAddressing(rule.addressing, kind: header.kind, recipients: header.recipients, replier: member.id, target: parties))
            guard case .allowed(let transition?) = verdict else { return [] }
            return [LinkedTransition(packet: targetID, address: mine.via, transition: transition, answeredBy: member.id)]
        }
        // A confirmation or clarification from the sender: one obligation per member it goes to, each read back by them.
        try refuse(Lifecycle.verdict(header.kind, answering: target.kind, by: party, obligation: party == .sender ? .acknowledged : nil))
        try refuse(Lifecycle.checkAddressing(rule.addressing, kind: header.kind, recipients: header.recipients, replier: member.id, target: parties))
        return try header.recipients.map { reader in
            guard let obligation = view.obligations.first(where: { $0.answeredBy == reader && $0.state == .acknowledged }),
                  case .allowed(let transition?) = Lifecycle.verdict(header.kind, answering: target.kind, by: party, obligation: obligation.state) else {
                throw RelayRefusal.unprocessable("lifecycle.\(RefusalCode.noObligation.rawValue)", "\(reader) has no read-back of packet \(targetID) waiting for you")
            }
            let newDeadline = transition.restartsDeadline ? readBackDeadline(purpose: target.purpose, urgency: target.urgency, from: clock()) : nil
            return LinkedTransition(packet: targetID, address: obligation.address, transition: transition, expectAnsweredBy: reader, newDeadline: newDeadline)
        }
    }

    /// A relay-signed checkpoint over the whole log as of the last commit (which includes every leaf already answered);
    /// `afterOwnCommit`, as of this instance's last commit (`RelayStore.committedHead`), which needs no read.
    public func signedCheckpoint(afterOwnCommit: Bool = false) async throws -> SignedCheckpoint {
        let head = try await stored { afterOwnCommit ? try await store.committedHead() : try await store.treeHead() }
        let now = clock()
        if let cached = checkpoints.reusable(size: head.size, now: now) { return cached }
        do {
            let checkpoint = Checkpoint(origin: origin, size: head.size, root: head.root, time: now)
            let signed = try SignedCheckpoint(signing: checkpoint, with: relayKey)
            checkpoints.remember(checkpoint, signed)
            return signed
        } catch {
            throw RelayRefusal(.internalServerError, code: error.code.rawValue, title: "Checkpoint", detail: "the relay could not sign its checkpoint")
        }
    }
}
