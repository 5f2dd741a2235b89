import Foundation
import ISRAudit
import ISRLifecycle
import ISRPacket
import ISRRelayAPI
import ISRStore

/// Live events for a member, read from the audit log: every event is a leaf, so the leaf index is the event id and a
/// client that reconnects with `Last-Event-ID` misses nothing still in the log. Only what concerns the member is sent,
/// and only ids, kinds, purposes and deadlines.
extension RelayService {
    /// How many leaves one catch-up reads at most; a client further behind is told to refresh (`kind: resync`).
    static let eventCatchUpLimit: UInt64 = 1000

    /// The member's events among leaves `start..<end` (at most `eventCatchUpLimit` of them).
    public func events(for member: Member, from start: UInt64, to end: UInt64) async throws -> [RelayEventBody] {
        guard start < end else { return [] }
        let first = max(start, end > Self.eventCatchUpLimit ? end - Self.eventCatchUpLimit : 0)
        var result: [RelayEventBody] = []
        if first > start {
            result.append(RelayEventBody(id: first - 1, kind: "resync", packet: nil, packetKind: nil, purpose: nil, deadline: nil, time: clock()))
        }
        let leaves = try await stored { try await store.auditLeaves(start: first, end: end) }
        for (offset, leaf) in leaves.enumerated() {
            guard let event = try? AuditEvent(derEncoded: leaf) else { continue }
            if let body = try await memberEvent(event, index: first + UInt64(offset), for: member.id) { result.append(body) }
        }
        return result
    }

    /// What `event` means for `member` (a member, or a role address for alerts), if anything.
    func memberEvent(_ event: AuditEvent, index: UInt64, for member: MemberID) async throws -> RelayEventBody? {
        let attributes = Dictionary(event.attributes.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard let bytes = event.packetID, let id = try? PacketID(bytes: bytes) else { return nil }
        func body(_ kind: String, deadline: Int64? = nil, packetKind: String? = attributes["kind"], purpose: String? = attributes["purpose"]) -> RelayEventBody {
            // A reply points at the packet it answers: that is what its receiver opens and acts on.
            let answers = ["read-back-received", "confirmed", "clarification-requested"].contains(kind) ? attributes["target"] : nil
            return RelayEventBody(id: index, kind: kind, packet: answers ?? id.hex, reply: answers.map { _ in id.hex }, packetKind: packetKind, purpose: purpose,
                                  deadline: deadline, time: event.time)
        }
        func list(_ key: String) -> [String] { attributes[key]?.split(separator: ",").map(String.init) ?? [] }
        switch event.kind {
        case "packet.overdue", "packet.countersign-overdue":
            guard list("notified").contains(member.rawValue) else { return nil }
            let record = try await stored { try await store.packet(id) }
            return body("escalation", deadline: attributes["deadline"].flatMap { Int64($0) }, packetKind: record?.kind.rawValue, purpose: record?.purpose)
        case "packet.countersigned":
            guard let record = try await stored({ try await store.packet(id) }), try await reaches(record.recipients, member) else { return nil }
            return body("new-packet", deadline: record.deadline, packetKind: record.kind.rawValue, purpose: record.purpose)
        case "packet.returned":
            guard let record = try await stored({ try await store.packet(id) }), record.sender == member else { return nil }
            return body("returned", packetKind: record.kind.rawValue, purpose: record.purpose)
        case "packet.accepted", "packet.readback", "packet.confirmed", "packet.clarified", "packet.declined", "packet.corrected":
            guard event.actor != member.rawValue else { return nil }
            if attributes["state"] == PacketPhase.held.rawValue {
                return list("countersigners").contains(member.rawValue) ? body("held-for-countersignature") : nil
            }
            guard try await reaches(list("recipients").compactMap { try? MemberID($0) }, member) else { return nil }
            let kinds = ["packet.readback": "read-back-received", "packet.confirmed": "confirmed", "packet.clarified": "clarification-requested"]
            let deadline = event.kind == "packet.accepted" || event.kind == "packet.corrected" ? try await stored({ try await store.packet(id) })?.deadline : nil
            return body(kinds[event.kind] ?? "new-packet", deadline: deadline)
        default:
            return nil
        }
    }

    /// Every address an event may concern (recipients, countersigners, notified members, the sender of a returned
    /// packet): where an agency's alerts look; `memberEvent` decides for each.
    func addressees(of event: AuditEvent) async throws -> [MemberID] {
        var candidates: [MemberID] = []
        for key in ["recipients", "countersigners", "notified"] {
            candidates += event.attributes.first(where: { $0.key == key })?.value.split(separator: ",").compactMap { try? MemberID(String($0)) } ?? []
        }
        if ["packet.countersigned", "packet.returned"].contains(event.kind), let bytes = event.packetID, let id = try? PacketID(bytes: bytes),
           let record = try await stored({ try await store.packet(id) }) {
            candidates += event.kind == "packet.returned" ? [record.sender] : record.recipients
        }
        var seen = Set<MemberID>()
        return candidates.filter { seen.insert($0).inserted }
    }

    /// True if `member` is one of `addresses` or a current member of one of them (a role address).
    func reaches(_ addresses: [MemberID], _ member: MemberID) async throws -> Bool {
        if addresses.contains(member) { return true }
        for address in addresses where address.agency == member.agency {
            if try await stored({ try await store.roleAddress(address) })?.contains(member) == true { return true }
        }
        return false
    }

    /// The audit log's size now: where a new event stream starts.
    public func eventPosition() async throws -> UInt64 {
        try await stored { try await store.auditSize() }
    }
}
