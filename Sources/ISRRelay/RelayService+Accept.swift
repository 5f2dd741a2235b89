import Foundation
import ISRAudit
import ISRCrypto
import ISRPacket
import ISRRelayAPI
import ISRPolicy
import ISRStore

extension RelayService {
    /// Accepts a packet from the authenticated `member`: verify the signature with their registered key, then
    /// parse; check recipients, stanzas, policy and lifecycle; store durably with its audit leaf; then answer.
    public func accept(_ bytes: [UInt8], from member: Member) async throws -> AcceptReceipt {
        let sealed: SealedPacket
        let header: PacketHeader
        do {
            sealed = try SealedPacket(encoded: bytes, limits: limits)
        } catch {
            throw Problem.packet(error)
        }
        let senderKey = try registeredKey(of: member)
        do {
            header = try sealed.verifiedHeader(signedBy: senderKey, expectedSender: member.id, limits: limits)
        } catch where error.code == .badSignature {
            // The unverified header is read only to word the refusal, never acted on.
            if let claimed = try? PacketHeader(derEncoded: sealed.headerBytes, limits: limits), claimed.sender != member.id {
                throw Problem.forbidden("packet.sender-mismatch", "the packet names \(claimed.sender) as its sender, but you are \(member.id): send only packets you signed")
            }
            throw Problem.packet(error)
        } catch {
            throw Problem.packet(error)
        }

        var deliveries: [(member: MemberID, via: MemberID)] = []
        var agencyKinds: [MemberID: String] = [:]
        for address in header.recipients {
            let (reached, kind) = try await resolve(address)
            agencyKinds[address] = kind
            for target in reached where !deliveries.contains(where: { $0.member == target }) {
                deliveries.append((target, address))
            }
        }
        let expected = Set(deliveries.map(\.member))
        let sealedTo = Set(sealed.stanzas.map(\.recipient))
        guard expected == sealedTo else {
            let missing = expected.subtracting(sealedTo).map(\.rawValue).sorted()
            let extra = sealedTo.subtracting(expected).map(\.rawValue).sorted()
            throw Problem.unprocessable("packet.stanzas-mismatch", "the packet must be sealed to exactly the current members its recipients reach (missing: \(missing.joined(separator: ", ")); not a current member: \(extra.joined(separator: ", "))); refresh the directory and resend")
        }

        let violations = policy.checkHeader(header, recipientAgencyKinds: agencyKinds)
        guard violations.isEmpty else { throw Problem.policy(violations) }
        let linked = try await lifecycleLink(for: header, from: member)

        let now = clock()
        let purpose = policy.purposes[header.purpose]
        let state: PacketState = (purpose?.countersign == true && header.kind.disclosesInformation) ? .held : .accepted
        var deadline: Int64?
        if header.kind.expectsAnswer {
            deadline = readBackDeadline(purpose: header.purpose, urgency: header.urgency, from: now)
        }
        let digest = SHA256.hash(bytes)
        let record = PacketRecord(id: header.id, sender: member.id, kind: header.kind, purpose: header.purpose, recipients: header.recipients,
                                  state: state, acceptedAt: now, deadline: deadline, leafIndex: 0, digest: digest,
                                  inReplyTo: header.inReplyTo, relatesTo: header.relatesTo, retentionDays: header.retentionDays)
        var attributes = ["kind": header.kind.rawValue, "purpose": header.purpose, "recipients": header.recipients.map(\.rawValue).joined(separator: ","),
                          "state": state.rawValue, "digest": Hex.encode(digest)]
        if let linked { attributes["target"] = linked.packet.hex }
        let event = AuditEvent(kind: header.kind.auditEventKind, time: now, actor: member.id.rawValue, packetID: header.id.bytes, attributes: attributes)
        let outcome = try await stored { try await store.insertPacket(NewPacket(record: record, bytes: bytes, deliveries: deliveries), event: event, linked: linked) }
        let checkpoint = try await signedCheckpoint()
        if case .accepted = outcome {
            RelayMetrics.packetAccepted(kind: header.kind.rawValue, state: state.rawValue)
            // Debug, not info: every acceptance is already in the audit log and counted in /metrics, and a line per
            // packet cost about a tenth of the relay's acceptance throughput (isr-bench).
            logger.debug("packet accepted", metadata: ["packet": "\(header.id)", "kind": "\(header.kind.rawValue)", "state": "\(state.rawValue)"])
        }
        let stored = outcome.record
        return AcceptReceipt(id: stored.id.hex, state: stored.state.rawValue, leafIndex: stored.leafIndex, deadline: stored.deadline,
                             checkpoint: Data(checkpoint.encoded()).base64EncodedString(), duplicate: outcome != .accepted(stored))
    }

    /// When a read-back is due (Unix milliseconds) for `purpose` and `urgency`, counting from `now` (Unix milliseconds).
    func readBackDeadline(purpose: String, urgency: Urgency, from now: Int64) -> Int64? {
        policy.acknowledgementDeadline(purpose: purpose, urgency: urgency, sentAt: Date(timeIntervalSince1970: Double(now) / 1000), calendar: calendar)
            .map { Int64($0.timeIntervalSince1970 * 1000) }
    }

    /// A member's registered Ed25519 key (32 bytes by the store's schema).
    func registeredKey(of member: Member) throws -> SigningPublicKey {
        guard let key = try? SigningPublicKey(bytes: member.signingKey) else {
            throw Problem(.serviceUnavailable, code: "store.corrupt", title: "Store unavailable", detail: "\(member.id)'s registered key cannot be read")
        }
        return key
    }

    /// The active members an address reaches, and the kind of its agency. Refuses unknown, revoked, suspended or empty addresses.
    func resolve(_ address: MemberID) async throws -> ([MemberID], String) {
        let agency = try await stored { try await store.agency(address.agency) }
        guard let agency else {
            throw Problem.unprocessable("recipient.unknown", "recipient \(address): agency \(address.agency) is not registered; check the address with `isr directory`")
        }
        guard agency.status == .active else {
            throw Problem.unprocessable("recipient.suspended", "recipient \(address): agency \(address.agency) is suspended and cannot receive packets")
        }
        if let member = try await stored({ try await store.member(address) }) {
            guard member.status == .active else {
                throw Problem.unprocessable("recipient.revoked", "recipient \(address) has been revoked and cannot receive packets; choose another recipient")
            }
            return ([address], agency.kind)
        }
        guard let role = try await stored({ try await store.roleAddress(address) }) else {
            throw Problem.unprocessable("recipient.unknown", "recipient \(address) is neither an enrolled member nor a role address; check it with `isr directory`")
        }
        var active: [MemberID] = []
        for id in role where try await stored({ try await store.member(id) })?.status == .active { active.append(id) }
        guard !active.isEmpty else {
            throw Problem.unprocessable("recipient.empty-role", "role address \(address) has no active member; tell its agency's admin")
        }
        return (active, agency.kind)
    }

    /// The state change a packet causes in the one it answers, after checking the sender may take that step.
    func lifecycleLink(for header: PacketHeader, from member: Member) async throws -> LinkedTransition? {
        let targetID = header.inReplyTo ?? header.relatesTo
        guard let targetID else { return nil }
        guard let view = try await stored({ try await store.packetView(targetID, bytes: false, history: false) }) else {
            throw Problem.unprocessable("lifecycle.unknown-packet", "packet \(targetID), which this one answers, is not known to this relay")
        }
        let target = view.record
        let holders = Set(view.deliveries.map(\.member))
        let isRecipient = holders.contains(member.id)
        let isSender = target.sender == member.id
        func refuse(_ why: String) -> Problem { Problem.unprocessable("lifecycle.not-allowed", why) }
        switch header.kind {
        case .readback:
            guard isRecipient, [.share, .consultation, .correction].contains(target.kind) else {
                throw refuse("only a recipient of a share, consultation or correction can send a read-back for it")
            }
            guard header.recipients == [target.sender] else { throw refuse("a read-back goes to the sender, \(target.sender), only") }
            return LinkedTransition(packet: targetID, to: .acknowledged, allowedFrom: [.accepted, .delivered, .read, .clarificationRequested])
        case .confirm, .clarify:
            guard isSender else { throw refuse("only the sender of packet \(targetID) can confirm a read-back or ask for clarification") }
            guard Set(header.recipients).isSubset(of: holders.union(target.recipients)) else { throw refuse("send it to the recipients of packet \(targetID)") }
            if header.kind == .confirm {
                return LinkedTransition(packet: targetID, to: .confirmed, allowedFrom: [.acknowledged])
            }
            // A clarification asks for a new read-back, due by the purpose's rule from now.
            return LinkedTransition(packet: targetID, to: .clarificationRequested, allowedFrom: [.acknowledged],
                                    newDeadline: readBackDeadline(purpose: target.purpose, urgency: .routine, from: clock()))
        case .decline:
            guard isRecipient, target.kind == .request else { throw refuse("only a recipient of a request can decline it") }
            guard header.recipients == [target.sender] else { throw refuse("a decline goes to the requester, \(target.sender), so they are told") }
            return LinkedTransition(packet: targetID, to: .declined, allowedFrom: [.accepted, .delivered, .read])
        case .share where header.inReplyTo == nil:
            guard isSender || isRecipient else { throw refuse("you can only refer to packets you sent or received") }
            return nil
        case .share:
            guard isRecipient, target.kind == .request else { throw refuse("a share can only answer a request you received") }
            return LinkedTransition(packet: targetID, to: .answered, allowedFrom: [.accepted, .delivered, .read])
        case .correction:
            guard isSender else { throw refuse("only the sender of packet \(targetID) can correct it") }
            let missing = Set(target.recipients).subtracting(header.recipients).map(\.rawValue).sorted()
            guard missing.isEmpty else { throw refuse("a correction goes to everyone who received the original; add \(missing.joined(separator: ", "))") }
            return nil
        case .outcome, .decision, .request, .consultation:
            guard isSender || isRecipient else { throw refuse("you can only refer to packets you sent or received") }
            return nil
        }
    }

    /// A relay-signed checkpoint over the whole log as of the last commit (which includes every leaf already answered).
    public func signedCheckpoint() async throws -> SignedCheckpoint {
        let head = try await stored { try await store.treeHead() }
        let now = clock()
        if let cached = checkpoints.reusable(size: head.size, now: now) { return cached }
        do {
            let checkpoint = Checkpoint(origin: origin, size: head.size, root: head.root, time: now)
            let signed = try SignedCheckpoint(signing: checkpoint, with: relayKey)
            checkpoints.remember(checkpoint, signed)
            return signed
        } catch {
            throw Problem(.internalServerError, code: error.code.rawValue, title: "Checkpoint", detail: "the relay could not sign its checkpoint")
        }
    }
}

extension PacketKind {
    /// The audit event that records a packet of this kind being accepted: each step of the lifecycle is its own event.
    var auditEventKind: String {
        switch self {
        case .share, .request, .consultation, .outcome: "packet.accepted"
        case .readback: "packet.readback"
        case .confirm: "packet.confirmed"
        case .clarify: "packet.clarified"
        case .decline: "packet.declined"
        case .decision: "packet.decision-not-to-share"
        case .correction: "packet.corrected"
        }
    }

    /// Kinds that start a deadline: a read-back (or, for a request, an answer) is expected.
    var expectsAnswer: Bool {
        switch self {
        case .share, .consultation, .correction, .request: true
        case .decline, .decision, .readback, .confirm, .clarify, .outcome: false
        }
    }
}
