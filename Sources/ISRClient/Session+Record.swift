import Foundation
import ISRCrypto
import ISRPacket
import ISRRecord
import ISRRelayAPI

/// A packet of the record with what this member holds of it: the relay's status, and where held the exact bytes,
/// the verified header, the opened body and its content key.
public struct HeldPacket: Sendable {
    public var record: RecordPacket
    public var bytes: [UInt8]?
    /// Secret until written into a bundle: it opens the body.
    var contentKey: [UInt8]?
}

extension Session {
    /// Your packets about a subject reference, oldest first: the relay answers which packets you are a party to (and
    /// their history); their content comes from your own local record, or is fetched and opened when you already
    /// fetched it on another device. `since` (Unix ms) and `purpose` narrow it.
    public func record(subjectReference: String, since: Int64? = nil, purpose: String? = nil) async throws(ClientError) -> [HeldPacket] {
        guard SubjectReference.isValid(subjectReference) else {
            throw ClientError(.usage, "a subject reference is 1–64 of A–Z a–z 0–9 . _ : - (the case reference on your packets)")
        }
        let statuses = try await client.post("/v1/record", json: RecordQuery(subjectReference: subjectReference)).decode(ListBody<PacketStatus>.self).items
        let wanted = statuses.filter { status in (since.map { status.acceptedAt >= $0 } ?? true) && (purpose.map { status.purpose == $0 } ?? true) }
        return try await held(wanted)
    }

    /// The packets `ids` and every packet that answers or relates to them that you are a party to, oldest first.
    public func record(packets ids: [PacketID]) async throws(ClientError) -> [HeldPacket] {
        var statuses: [String: PacketStatus] = [:]
        var queue = ids
        let local = LocalRecord(home: home).entries(keys: keys)
        while let id = queue.popLast(), statuses.count < 500 {
            guard statuses[id.hex] == nil else { continue }
            let status: PacketStatus
            do {
                status = try await self.status(id)
            } catch {
                // An answer you are not a party to (another recipient's read-back) is not yours to export.
                if ids.contains(id) { throw error }
                continue
            }
            statuses[id.hex] = status
            // Answers the relay names, and replies in your own record.
            queue += status.recipients.compactMap { $0.answer.flatMap { try? PacketID(hex: $0) } }
            for entry in local {
                guard let data = Data(base64Encoded: entry.packet), let sealed = try? SealedPacket(encoded: Array(data)),
                      let header = try? PacketHeader(derEncoded: sealed.headerBytes), header.inReplyTo == id || header.relatesTo == id else { continue }
                queue.append(header.id)
            }
        }
        return try await held(statuses.values.sorted { ($0.acceptedAt, $0.id) < ($1.acceptedAt, $1.id) })
    }

    func held(_ statuses: [PacketStatus]) async throws(ClientError) -> [HeldPacket] {
        let directory = try await VerifiedDirectory.load(client, trust: trust)
        var result: [HeldPacket] = []
        for status in statuses {
            guard let id = try? PacketID(hex: status.id) else { continue }
            var entry = record.entry(id, direction: "sent", keys: keys) ?? record.entry(id, direction: "received", keys: keys)
            let mine = status.deliveries.first { $0.member == me.rawValue }
            if entry == nil, status.ciphertextHeld, mine?.deliveredAt != nil {
                // Fetched before (on this or another device): open it again here, which also keeps it in this record.
                _ = try? await open(id)
                entry = record.entry(id, direction: "received", keys: keys)
            }
            var bytes = entry.flatMap { Data(base64Encoded: $0.packet) }.map(Array.init)
            if bytes == nil, status.ciphertextHeld, status.sender == me.rawValue {
                bytes = try? await client.get("/v1/packets/\(id.hex)").body
            }
            var header: PacketHeader?
            if let bytes, let sealed = try? SealedPacket(encoded: bytes), let claimed = try? PacketHeader(derEncoded: sealed.headerBytes) {
                let senderKeys = (claimed.sender == me ? [keys.signing.publicKey] : []) + (directory.members[claimed.sender]?.signingKeys ?? [])
                header = try? sealed.verifiedHeader(signedByAnyOf: senderKeys, expectedSender: claimed.sender)
            }
            guard header == nil || header?.id == id else {
                throw ClientError(.verification, "the packet held as \(id) is packet \(header.map { "\($0.id)" } ?? "?"): your record or the relay is inconsistent")
            }
            let body = header == nil ? nil : entry.flatMap { Data(base64Encoded: $0.body) }.flatMap { try? PacketBody(derEncoded: Array($0)) }
            result.append(HeldPacket(record: RecordPacket(status: status, header: header, body: body), bytes: header == nil ? nil : bytes,
                                     contentKey: body == nil ? nil : entry?.contentKey.flatMap { Data(base64Encoded: $0) }.map(Array.init)))
        }
        return result
    }
}
