import Foundation
import ISRAudit
import ISRCrypto
import ISRLifecycle
import ISRPacket
import ISRRelayAPI
import ISRStore

extension RelayService {
    /// The exact packet bytes for its sender or one of its stanza holders; a holder's first fetch is recorded in the same
    /// transaction that checks the packet is still available (so a fetch and a withdrawal cannot both succeed).
    /// Anyone else gets "not found", so packet ids reveal nothing.
    public func fetch(_ id: PacketID, as member: Member) async throws -> [UInt8] {
        guard let view = try await stored({ try await store.packetView(id, bytes: true, history: false) }) else { throw RelayRefusal.notFound("no packet \(id) for you") }
        let isSender = view.record.sender == member.id
        guard isSender || view.deliveries.contains(where: { $0.member == member.id }) else { throw RelayRefusal.notFound("no packet \(id) for you") }
        guard let bytes = view.bytes else {
            throw RelayRefusal(.gone, code: "packet.purged", title: "Purged", detail: "packet \(id)'s content was purged at the end of its retention; its record remains")
        }
        if !isSender, let mine = view.deliveries.first(where: { $0.member == member.id }) {
            if mine.deliveredAt == nil {
                _ = try await stored { try await store.recordDelivery(id, member: member.id, event: event("packet.delivered", by: member.id.rawValue, packet: id)) }
            } else if !mine.mayFetch(view.record) {
                // A fetch again records nothing, so it need not wait for the log: it is checked against what was just read.
                throw RelayRefusal.store(Delivery.unavailable(view.record))
            }
        }
        return bytes
    }

    /// Records a holder's signed delivery receipt after checking it signs exactly this packet; refused unless they fetched it.
    public func receipt(_ id: PacketID, signature: [UInt8], from member: Member) async throws -> PacketStatus {
        guard let record = try await stored({ try await store.packetView(id, bytes: false, history: false) })
            .flatMap({ view in view.deliveries.contains(where: { $0.member == member.id }) ? view.record : nil }) else {
            throw RelayRefusal.notFound("no packet \(id) for you")
        }
        let data = DeliveryReceipt.signedData(packetID: id, packetDigest: record.digest, recipient: member.id)
        guard try registeredKey(of: member).isValidSignature(signature, for: data, context: .receipt) else {
            throw RelayRefusal.unprocessable("receipt.bad-signature", "the receipt is not your signature over packet \(id) as the relay holds it; fetch the packet again and re-sign")
        }
        _ = try await stored {
            try await store.recordReceipt(id, member: member.id, receipt: signature,
                                          event: event("packet.read", by: member.id.rawValue, packet: id, ["receipt": Hex.encode(signature)]))
        }
        return try await status(id, for: member)
    }

    /// Releases a held packet (or countersigns an emergency release afterwards): a dsl/manager of the sender's agency,
    /// not the sender, who has fetched and so could read it, signs the exact packet. The acknowledgement deadline starts now.
    public func countersign(_ id: PacketID, signature: [UInt8], from member: Member) async throws -> PacketStatus {
        let record = try await countersignable(id, by: member)
        let data = Countersignature.signedData(packetID: id, packetDigest: record.digest, countersigner: member.id)
        guard try registeredKey(of: member).isValidSignature(signature, for: data, context: .countersign) else {
            throw RelayRefusal.unprocessable("countersign.bad-signature", "the countersignature is not your signature over packet \(id)")
        }
        let deadline = Lifecycle.expectsAnswer(record.kind) ? readBackDeadline(purpose: record.purpose, urgency: record.urgency, from: clock()) : nil
        let change = PhaseChange(rule: Lifecycle.phaseRule(.countersign), countersignature: true, releaseDeadline: deadline)
        _ = try await stored {
            try await store.changePhase(id, change, event: event("packet.countersigned", by: member.id.rawValue, packet: id, ["signature": Hex.encode(signature)]))
        }
        return try await status(id, for: member)
    }

    /// The countersigner sends a held packet back to its sender with reasons (signed); it never reaches the recipients.
    public func returnToSender(_ id: PacketID, signature: [UInt8], reason: String, from member: Member) async throws -> PacketStatus {
        // Checked, not trimmed: the countersigner signed these exact characters.
        guard APIText.validated(reason, maximum: 2000, singleLine: false) != nil else {
            throw RelayRefusal.badRequest("invalid-reason", "the reason is 1–2000 characters of plain text: tell the sender what to change")
        }
        let record = try await countersignable(id, by: member)
        let data = Countersignature.returnData(packetID: id, packetDigest: record.digest, countersigner: member.id, reason: reason)
        guard try registeredKey(of: member).isValidSignature(signature, for: data, context: .countersignReturn) else {
            throw RelayRefusal.unprocessable("countersign.bad-signature", "the return is not your signature over packet \(id) and your reasons")
        }
        let change = PhaseChange(rule: Lifecycle.phaseRule(.returnToSender), countersignature: true, returnReason: reason)
        _ = try await stored {
            try await store.changePhase(id, change, event: event("packet.returned", by: member.id.rawValue, packet: id, [
                "signature": Hex.encode(signature), "reason-sha256": Hex.encode(SHA256.hash(Array(reason.utf8))),
            ]))
        }
        return try await status(id, for: member)
    }

    /// A packet `member` may countersign or return: of their agency, not their own, awaiting a countersignature, and
    /// fetched by them (they read what they approve).
    func countersignable(_ id: PacketID, by member: Member) async throws -> PacketRecord {
        guard let view = try await stored({ try await store.packetView(id, bytes: false, history: false) }), view.record.sender.agency == member.agency else {
            throw RelayRefusal.notFound("no packet \(id) in your agency")
        }
        guard member.role.isSeniorSafeguarding else {
            throw RelayRefusal.forbidden("countersign.role", "only a dsl or manager of \(member.agency) can countersign; you are \(member.role.rawValue)")
        }
        guard view.record.sender != member.id else {
            throw RelayRefusal.forbidden("countersign.same-person", "a countersignature must come from a second person, not the sender")
        }
        guard view.record.awaitsCountersignature else {
            throw RelayRefusal.conflict("countersign.not-awaited", "packet \(id) is \(view.record.phase.rawValue) and not waiting for a countersignature")
        }
        guard let mine = view.deliveries.first(where: { $0.member == member.id && $0.countersigner }) else {
            throw RelayRefusal.forbidden("countersign.not-sealed", "packet \(id) was not sealed to you, so you cannot read it; only a dsl/manager it was sealed to can countersign")
        }
        guard mine.deliveredAt != nil else {
            throw RelayRefusal.unprocessable("countersign.unread", "read packet \(id) before you countersign it (`isr read \(id)`): a countersignature backs what you have seen")
        }
        return view.record
    }

    /// The sender withdraws a packet no recipient has fetched yet. A reply that moved another packet (a read-back, a
    /// confirmation, a decline…) cannot be withdrawn: withdrawing it would not undo what it did.
    public func withdraw(_ id: PacketID, by member: Member) async throws -> PacketStatus {
        guard let record = try await stored({ try await store.packet(id) }), record.sender == member.id else {
            throw RelayRefusal.notFound("you sent no packet \(id)")
        }
        let movedAnother = Lifecycle.replyRule(for: record.kind)?.transition != nil && !(record.kind == .share && record.inReplyTo == nil)
        guard !movedAnother else {
            throw RelayRefusal.conflict("lifecycle.wrong-state", "a `\(record.kind.rawValue)` is part of another packet's record and cannot be withdrawn; send a correction or a new reply instead")
        }
        _ = try await stored {
            try await store.changePhase(id, PhaseChange(rule: Lifecycle.phaseRule(.withdraw), onlyIfUnfetched: true),
                                        event: event("packet.withdrawn", by: member.id.rawValue, packet: id))
        }
        return try await status(id, for: member)
    }

    /// A packet's per-recipient states and history, for its sender, its holders, and the sender's dsl/managers.
    public func status(_ id: PacketID, for member: Member) async throws -> PacketStatus {
        guard let view = try await stored({ try await store.packetView(id, bytes: false, history: true) }) else { throw RelayRefusal.notFound("no packet \(id) for you") }
        let record = view.record
        let senderSide = record.sender == member.id || (member.role.isSeniorSafeguarding && member.agency == record.sender.agency)
        guard senderSide || view.deliveries.contains(where: { $0.member == member.id }) else { throw RelayRefusal.notFound("no packet \(id) for you") }
        let now = clock()
        let recipients = view.obligations.map { o in
            PacketStatus.Recipient(member: o.address.rawValue, state: o.state.rawValue, deadline: o.deadline,
                                   overdue: o.overdueAt != nil || (RecipientState.awaitingAnswer.contains(o.state) && record.phase == .accepted && (o.deadline.map { $0 < now } ?? false)),
                                   overdueAt: o.overdueAt, answeredBy: o.answeredBy?.rawValue, answer: o.answer?.hex)
        }
        let countersignLate = record.awaitsCountersignature && (record.countersignOverdueAt != nil || (record.countersignDue.map { $0 < now } ?? false))
        return PacketStatus(
            id: record.id.hex, kind: record.kind.rawValue, sender: record.sender.rawValue, purpose: record.purpose, urgency: record.urgency.rawValue,
            recipients: recipients, state: Lifecycle.summary(phase: record.phase, recipients: view.obligations.map(\.state)), phase: record.phase.rawValue,
            acceptedAt: record.acceptedAt, deadline: record.deadline, overdue: recipients.contains(where: \.overdue) || countersignLate,
            countersignDue: record.countersignDue, countersignedAt: record.countersignedAt, emergency: record.emergency,
            emergencyReason: senderSide ? record.emergencyReason : nil, returnReason: senderSide ? record.returnReason : nil,
            ciphertextHeld: record.hasCiphertext, digest: Hex.encode(record.digest), inReplyTo: record.inReplyTo?.hex, relatesTo: record.relatesTo?.hex,
            history: view.history.map { PacketStatus.Step(state: $0.event.rawValue, at: $0.at, actor: $0.actor, leafIndex: $0.leafIndex) },
            deliveries: view.deliveries.map { PacketStatus.Delivery(member: $0.member.rawValue, via: $0.via.rawValue, countersigner: $0.countersigner,
                                                                    deliveredAt: $0.deliveredAt, readAt: $0.readAt) })
    }

    /// One page of a member's inbox (newest first) and the cursor for the next.
    public func inbox(for member: Member, before: Int64?, limit: Int) async throws -> ListBody<InboxItem> {
        let page = try await stored { try await store.inbox(member.id, before: before, limit: limit) }
        return ListBody(items: page.items.map { entry in
            let p = entry.packet
            return InboxItem(id: p.id.hex, kind: p.kind.rawValue, sender: p.sender.rawValue, purpose: p.purpose,
                             state: entry.countersigner ? Lifecycle.awaitingCountersignature : (entry.state?.rawValue ?? RecipientState.pending.rawValue),
                             via: entry.via.rawValue, countersign: entry.countersigner, answeredBy: entry.answeredBy?.rawValue, emergency: p.emergency,
                             acceptedAt: p.acceptedAt, deadline: entry.countersigner ? p.countersignDue : entry.deadline, deliveredAt: entry.deliveredAt,
                             readAt: entry.readAt, inReplyTo: p.inReplyTo?.hex, relatesTo: p.relatesTo?.hex)
        }, next: page.next.map(String.init))
    }

    /// One page of what a member sent (newest first), each with its per-recipient status.
    public func sent(by member: Member, before: Int64?, limit: Int) async throws -> ListBody<PacketStatus> {
        let page = try await stored { try await store.sent(by: member.id, before: before, limit: limit) }
        var result: [PacketStatus] = []
        for record in page.items { result.append(try await status(record.id, for: member)) }
        return ListBody(items: result, next: page.next.map(String.init))
    }
}
