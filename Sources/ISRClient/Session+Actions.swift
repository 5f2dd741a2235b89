import Foundation
import ISRCrypto
import ISRLifecycle
import ISRPacket
import ISRRelayAPI

/// What a practitioner does to a packet, in one place for the CLI and the web app: read it (with the signed receipt),
/// read back, decline, confirm or ask for clarification, countersign or return a held one. Every reply is addressed
/// from the verified original, never from the relay's status answer.
extension Session {
    /// A packet as its reader sees it: verified and opened, where their copy stands, and anything that breaks the policy.
    public struct ReadPacket: Sendable {
        public let opened: OpenedPacket
        /// Your copy's state (`read`, `acknowledged`…, or `awaiting-countersignature` for a countersigner).
        public let state: String
        /// You hold this packet to countersign it.
        public let countersigner: Bool
        public let warnings: [String]
    }

    /// Fetches, verifies and opens `id`; a recipient's client then posts the signed delivery receipt.
    public func read(_ id: PacketID) async throws(ClientError) -> ReadPacket {
        let opened = try await open(id)
        // A body that does not match its header, or breaks the policy, is shown but flagged.
        let warnings = (try? await policy()).map { $0.checkBody(opened.body, header: opened.header).map(\.message) } ?? []
        guard opened.header.sender != me else { return ReadPacket(opened: opened, state: "read", countersigner: false, warnings: warnings) }
        let signature = DeliveryReceipt.sign(packet: opened.sealed.bytes, id: id, recipient: me, key: keys.signing)
        let status: PacketStatus
        do {
            status = try await client.post("/v1/packets/\(id.hex)/receipt", json: SignatureBody(signature: Data(signature).base64EncodedString()))
                .decode(PacketStatus.self)
        } catch where error.code == .refused && error.message.contains("already posted a receipt") {
            status = try await self.status(id)
        }
        // Where *your* copy stands: your address's state, or, holding it to countersign, that it waits for you.
        let mine = status.deliveries.first { $0.member == me.rawValue }
        let countersigner = mine?.countersigner == true
        // A countersigner's copy waits for them only until someone countersigned or returned it.
        let state = countersigner ? (status.countersignedAt == nil ? Lifecycle.awaitingCountersignature : status.state)
            : status.recipients.first { $0.member == mine?.via }?.state ?? status.state
        return ReadPacket(opened: opened, state: state, countersigner: countersigner, warnings: warnings)
    }

    /// Sends a packet of `kind` answering `original` under its purpose, to `recipients`.
    public func reply(to original: PacketID, kind: PacketKind, recipients: [MemberID], purpose: String, body: PacketBody) async throws(ClientError) -> AcceptReceipt {
        let draft = Draft(kind: kind, to: recipients, purpose: purpose, basis: nil, consent: .notApplicable, body: body, inReplyTo: original)
        return try await send(try await prepare(draft))
    }

    /// A reply that goes back to the original's sender: a read-back (what you understood and your concern) or a decline.
    public func replyToSender(_ original: PacketID, kind: PacketKind, body: PacketBody) async throws(ClientError) -> AcceptReceipt {
        let header = try await verifiedHeader(of: original)
        guard header.sender != me else { throw ClientError(.refused, "you sent packet \(original); a `\(kind.rawValue)` comes from its recipients") }
        return try await reply(to: original, kind: kind, recipients: [header.sender], purpose: header.purpose, body: body)
    }

    /// A read-back waiting for the sender: opened and verified, beside what was sent.
    public struct WaitingReadBack: Sendable {
        public let address: String
        public let reader: MemberID
        public let readBack: OpenedPacket
    }

    /// The read-backs of `original` waiting for you (optionally only `recipient`'s), each fetched, verified and decrypted:
    /// the reader's own signed words, checked to answer `original`. Refused if none is waiting.
    public func waitingReadBacks(of original: PacketID, recipient: MemberID? = nil) async throws(ClientError) -> (PacketHeader, [WaitingReadBack]) {
        let header = try await verifiedHeader(of: original)
        guard header.sender == me else { throw ClientError(.refused, "only the sender of \(original) confirms its read-backs or asks for clarification") }
        let status = try await self.status(original)
        var waiting: [WaitingReadBack] = []
        for entry in status.recipients where entry.state == RecipientState.acknowledged.rawValue {
            guard let answer = entry.answer, let readerText = entry.answeredBy, let reader = try? MemberID(readerText) else { continue }
            if let recipient, recipient != reader { continue }
            let answerID: PacketID
            do { answerID = try PacketID(hex: answer) } catch { throw ClientError(.verification, "the relay named an invalid read-back id") }
            let readBack = try await open(answerID)
            guard readBack.header.kind == .readback, readBack.header.inReplyTo == original, readBack.header.sender == reader else {
                throw ClientError(.verification, "the relay pointed at packet \(answer) as \(reader)'s read-back of \(original), but it is not: do not confirm, and tell your admin")
            }
            waiting.append(WaitingReadBack(address: entry.member, reader: reader, readBack: readBack))
        }
        guard !waiting.isEmpty else {
            let states = status.recipients.map { "\($0.member): \($0.state)" }.joined(separator: ", ")
            throw ClientError(.refused, recipient.map { "no read-back from \($0) is waiting for you on \(original) (\(states))" }
                              ?? "no read-back is waiting for you on \(original) (\(states))")
        }
        return (header, waiting)
    }

    /// Confirms `reader`'s waiting read-back of `original` (the sender has seen it beside what they sent).
    public func confirm(_ original: PacketID, reader: MemberID, note: String = "") async throws(ClientError) -> AcceptReceipt {
        let (header, waiting) = try await waitingReadBacks(of: original, recipient: reader)
        return try await reply(to: original, kind: .confirm, recipients: waiting.map(\.reader), purpose: header.purpose, body: PacketBody(statement: note))
    }

    /// Asks `reader` (needed when several read-backs wait) to clarify their read-back of `original`; a new one becomes due.
    public func clarify(_ original: PacketID, reader: MemberID?, note: String) async throws(ClientError) -> AcceptReceipt {
        let (header, waiting) = try await waitingReadBacks(of: original, recipient: reader)
        guard waiting.count == 1, let entry = waiting.first else {
            throw ClientError(.usage, "several read-backs are waiting (\(waiting.map(\.reader.rawValue).joined(separator: ", "))): name one")
        }
        return try await reply(to: original, kind: .clarify, recipients: [entry.reader], purpose: header.purpose, body: PacketBody(statement: note))
    }

    /// A held packet, opened for the dsl/manager who must read it before countersigning or returning it.
    public func openHeld(_ id: PacketID) async throws(ClientError) -> OpenedPacket {
        let header = try await verifiedHeader(of: id)
        guard header.sender != me else {
            throw ClientError(.refused, "a countersignature must come from a second person: a dsl or manager of \(me.agency), not the sender")
        }
        // Open it first: a countersignature backs content the countersigner has read (and the relay checks the fetch).
        return try await open(id)
    }

    /// Releases a held packet the countersigner has opened.
    public func countersign(_ opened: OpenedPacket) async throws(ClientError) -> PacketStatus {
        let signature = Countersignature.sign(packet: opened.sealed.bytes, id: opened.header.id, countersigner: me, key: keys.signing)
        return try await client.post("/v1/packets/\(opened.header.id.hex)/countersign", json: SignatureBody(signature: Data(signature).base64EncodedString()))
            .decode(PacketStatus.self)
    }

    /// Returns a held packet the countersigner has opened to its sender, with signed reasons.
    public func returnToSender(_ opened: OpenedPacket, reason: String) async throws(ClientError) -> PacketStatus {
        let signature = Countersignature.signReturn(packet: opened.sealed.bytes, id: opened.header.id, countersigner: me, reason: reason, key: keys.signing)
        return try await client.post("/v1/packets/\(opened.header.id.hex)/return", json: ReturnBody(signature: Data(signature).base64EncodedString(), reason: reason))
            .decode(PacketStatus.self)
    }
}
