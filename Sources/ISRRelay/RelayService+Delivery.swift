import Foundation
import ISRAudit
import ISRCrypto
import ISRPacket
import ISRRelayAPI
import ISRStore

extension RelayService {
    /// The exact packet bytes for its sender or one of its stanza holders; a recipient's first fetch is recorded.
    /// Anyone else gets "not found", so packet ids reveal nothing.
    public func fetch(_ id: PacketID, as member: Member) async throws -> [UInt8] {
        guard let view = try await stored({ try await store.packetView(id, bytes: true, history: false) }) else { throw Problem.notFound("no packet \(id) for you") }
        let record = view.record
        let isSender = record.sender == member.id
        guard isSender || view.deliveries.contains(where: { $0.member == member.id }) else { throw Problem.notFound("no packet \(id) for you") }
        guard isSender || record.state.isDeliverable else { throw Problem.notFound("packet \(id) is not available (it is \(record.state.rawValue))") }
        guard let bytes = view.bytes else {
            throw Problem(.gone, code: "packet.purged", title: "Purged", detail: "packet \(id)'s content was purged at the end of its retention; its record remains")
        }
        if !isSender {
            _ = try await stored { try await store.recordDelivery(id, member: member.id, event: event("packet.delivered", by: member.id.rawValue, packet: id)) }
        }
        return bytes
    }

    /// Records a recipient's signed delivery receipt after checking it signs exactly this packet.
    public func receipt(_ id: PacketID, signature: [UInt8], from member: Member) async throws -> PacketStatus {
        guard let record = try await stored({ try await store.packetView(id, bytes: false, history: false) })
            .flatMap({ view in view.deliveries.contains(where: { $0.member == member.id }) ? view.record : nil }) else {
            throw Problem.notFound("no packet \(id) for you")
        }
        let data = DeliveryReceipt.signedData(packetID: id, packetDigest: record.digest, recipient: member.id)
        guard try registeredKey(of: member).isValidSignature(signature, for: data, context: .receipt) else {
            throw Problem.unprocessable("receipt.bad-signature", "the receipt is not your signature over packet \(id) as the relay holds it; fetch the packet again and re-sign")
        }
        _ = try await stored {
            try await store.recordReceipt(id, member: member.id, receipt: signature,
                                          event: event("packet.read", by: member.id.rawValue, packet: id, ["receipt": Hex.encode(signature)]))
        }
        return try await status(id, for: member)
    }

    /// Releases a held packet: a dsl/manager of the sender's agency, not the sender, signs the exact packet.
    public func countersign(_ id: PacketID, signature: [UInt8], from member: Member) async throws -> PacketStatus {
        guard let record = try await stored({ try await store.packet(id) }), record.sender.agency == member.agency else {
            throw Problem.notFound("no packet \(id) in your agency")
        }
        guard member.role.isSeniorSafeguarding else {
            throw Problem.forbidden("countersign.role", "only a dsl or manager of \(member.agency) can countersign; you are \(member.role.rawValue)")
        }
        guard record.sender != member.id else {
            throw Problem.forbidden("countersign.same-person", "a countersignature must come from a second person, not the sender")
        }
        let data = Countersignature.signedData(packetID: id, packetDigest: record.digest, countersigner: member.id)
        guard try registeredKey(of: member).isValidSignature(signature, for: data, context: .countersign) else {
            throw Problem.unprocessable("countersign.bad-signature", "the countersignature is not your signature over packet \(id)")
        }
        _ = try await stored {
            try await store.transition(id, to: .accepted, allowedFrom: [.held],
                                       event: event("packet.countersigned", by: member.id.rawValue, packet: id, ["signature": Hex.encode(signature)]))
        }
        return try await status(id, for: member)
    }

    /// The sender withdraws a packet nobody has fetched yet.
    public func withdraw(_ id: PacketID, by member: Member) async throws -> PacketStatus {
        guard let record = try await stored({ try await store.packet(id) }), record.sender == member.id else {
            throw Problem.notFound("you sent no packet \(id)")
        }
        _ = try await stored {
            try await store.transition(id, to: .withdrawn, allowedFrom: [.held, .accepted], event: event("packet.withdrawn", by: member.id.rawValue, packet: id))
        }
        return try await status(id, for: member)
    }

    /// A packet's states with times, for its sender, its recipients, and the sender's dsl/managers.
    public func status(_ id: PacketID, for member: Member) async throws -> PacketStatus {
        guard let view = try await stored({ try await store.packetView(id, bytes: false, history: true) }) else { throw Problem.notFound("no packet \(id) for you") }
        let (record, deliveries, history) = (view.record, view.deliveries, view.history)
        let allowed = record.sender == member.id || deliveries.contains { $0.member == member.id }
            || (member.role.isSeniorSafeguarding && member.agency == record.sender.agency)
        guard allowed else { throw Problem.notFound("no packet \(id) for you") }
        let now = clock()
        let waiting: Set<PacketState> = [.held, .accepted, .delivered, .read, .clarificationRequested]
        return PacketStatus(
            id: record.id.hex, kind: record.kind.rawValue, sender: record.sender.rawValue, purpose: record.purpose,
            recipients: record.recipients.map(\.rawValue), state: record.state.rawValue, acceptedAt: record.acceptedAt, deadline: record.deadline,
            overdue: record.overdueAt != nil || (record.deadline.map { $0 < now } ?? false) && waiting.contains(record.state),
            overdueAt: record.overdueAt, ciphertextHeld: record.hasCiphertext, digest: Hex.encode(record.digest),
            history: history.map { PacketStatus.Step(state: $0.state, at: $0.at, actor: $0.actor, leafIndex: $0.leafIndex) },
            deliveries: deliveries.map { PacketStatus.Recipient(member: $0.member.rawValue, via: $0.via.rawValue, deliveredAt: $0.deliveredAt, readAt: $0.readAt) })
    }

    public func inbox(for member: Member) async throws -> [InboxItem] {
        try await stored { try await store.inbox(member.id) }.map { entry in
            let p = entry.packet
            return InboxItem(id: p.id.hex, kind: p.kind.rawValue, sender: p.sender.rawValue, purpose: p.purpose, state: p.state.rawValue,
                             via: entry.via.rawValue, acceptedAt: p.acceptedAt, deadline: p.deadline, deliveredAt: entry.deliveredAt,
                             readAt: entry.readAt, inReplyTo: p.inReplyTo?.hex, relatesTo: p.relatesTo?.hex)
        }
    }

    public func sent(by member: Member) async throws -> [PacketStatus] {
        var result: [PacketStatus] = []
        for record in try await stored({ try await store.sent(by: member.id) }).prefix(200) {
            result.append(try await status(record.id, for: member))
        }
        return result
    }
}
