import Foundation
import ISRLifecycle
import ISRPacket
import ISRRelayAPI

/// Packets sealed only to keys a recipient has lost: every key set they held when it was accepted has since been revoked
/// (a reset, a lost device), and they have not answered it, so they cannot read it. Keys replaced by a re-key are kept by
/// the member, so those packets stay readable. The sender resends it to their current keys.
extension Session {
    /// A packet you sent that some recipients can no longer open.
    public struct ResendNeed: Sendable, Encodable {
        public let packet: String
        public let kind: String
        public let purpose: String
        public let sentAt: Int64
        /// Member addresses re-enrolled since it was sent, whose copy is still unanswered.
        public let members: [String]
    }

    /// Your live originals (shares, requests, consultations) with a member recipient who no longer holds any key the packet
    /// was sealed to and whose obligation is still open. Role addresses are left out: another member of the role can still
    /// answer.
    public func resendNeeded() async throws(ClientError) -> [ResendNeed] {
        let directory = try await VerifiedDirectory.load(client, trust: trust)
        let (sent, _) = try await allPages("/v1/sent", as: PacketStatus.self, limit: 200)
        let open: Set<RecipientState> = [.pending, .delivered, .read, .clarificationRequested]
        // Members a packet was already resent to (a later packet of yours relating to it and addressed to them).
        let resent = Set(sent.flatMap { later in later.relatesTo.map { original in later.recipients.map { "\(original) \($0.member)" } } ?? [] })
        return sent.compactMap { status -> ResendNeed? in
            guard status.phase == PacketPhase.accepted.rawValue || status.phase == PacketPhase.held.rawValue,
                  let kind = PacketKind(rawValue: status.kind), Lifecycle.isOriginal(kind, answering: status.inReplyTo.flatMap { try? PacketID(hex: $0) }) else { return nil }
            let members = status.recipients.filter { recipient in
                guard let state = RecipientState(rawValue: recipient.state), open.contains(state), let id = try? MemberID(recipient.member),
                      let member = directory.members[id] else { return false }
                return !member.canOpen(packetAcceptedAt: status.acceptedAt) && !resent.contains("\(status.id) \(recipient.member)")
            }.map(\.member)
            guard !members.isEmpty else { return nil }
            return ResendNeed(packet: status.id, kind: status.kind, purpose: status.purpose, sentAt: status.acceptedAt, members: members)
        }
    }

    /// A packet you sent, again, with the same content, for `members` (prepare seals it to their current keys), referring
    /// to the original. Needs the original in this home's local record.
    public func resendDraft(_ original: PacketID, to members: [MemberID]) async throws(ClientError) -> Draft {
        let header = try await verifiedHeader(of: original)
        guard header.sender == me else { throw ClientError(.refused, "only the sender of \(original) can resend it") }
        guard let body = sentBody(of: original) else {
            throw ClientError(.local, "this home's record does not hold what \(original) said, so it cannot be resent from here; send it again with `isr send`")
        }
        return Draft(kind: header.kind, to: members, purpose: header.purpose, basis: header.lawfulBasis, condition: header.condition, consent: header.consent,
                     urgency: header.urgency, body: body, subjectReference: header.subjectReference, relatesTo: original)
    }
}
