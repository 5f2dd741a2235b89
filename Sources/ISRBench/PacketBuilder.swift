import Foundation
import ISRCrypto
import ISRPacket
import ISRPolicy

/// Real packets for the workload, built before the timed phases: a child-in-need share of about `bodyBytes` of
/// encoded body, the recipient's read-back and the sender's confirmation, each sealed and signed as the CLI would.
public struct PacketBuilder: Sendable {
    public let policy: Policy
    public let bodyBytes: Int
    static let purpose = "child-in-need"

    public init(policy: Policy, bodyBytes: Int) {
        self.policy = policy
        self.bodyBytes = bodyBytes
    }

    /// One share, padded with factual items so its encoded body is `bodyBytes` long (or its minimum, if larger).
    public func share(from sender: BenchMember, to recipient: BenchMember) throws -> (id: PacketID, bytes: [UInt8]) {
        let body = try paddedBody()
        let header = header(.share, from: sender, to: recipient, body: body, consent: .refused)
        let violations = policy.check(header: header, body: body)
        guard violations.isEmpty else {
            throw BenchError("the benchmark's share breaks the policy (\(violations.map(\.message).joined(separator: "; "))); check --policy")
        }
        return (header.id, try seal(header, body, from: sender, to: recipient))
    }

    /// The recipient's read-back of share `id`.
    public func readback(of id: PacketID, from recipient: BenchMember, to sender: BenchMember) throws -> [UInt8] {
        let body = PacketBody(statement: "Attendance is 62% this term (fact); the class teacher thinks the child is withdrawn (opinion).", concern: .medium)
        return try seal(header(.readback, from: recipient, to: sender, body: body, inReplyTo: id), body, from: recipient, to: sender)
    }

    /// The sender's confirmation that the read-back of share `id` matches what they meant.
    public func confirmation(of id: PacketID, from sender: BenchMember, to recipient: BenchMember) throws -> [UInt8] {
        let body = PacketBody(statement: "Confirmed: the read-back matches what was shared.")
        return try seal(header(.confirm, from: sender, to: recipient, body: body, inReplyTo: id), body, from: sender, to: recipient)
    }

    func header(_ kind: PacketKind, from sender: BenchMember, to recipient: BenchMember, body: PacketBody, consent: ConsentStatus = .notApplicable,
                inReplyTo: PacketID? = nil) -> PacketHeader {
        PacketHeader(kind: kind, sender: sender.id, recipients: [recipient.id], purpose: Self.purpose,
                     lawfulBasis: kind.needsLawfulBasis ? "public-task" : nil, condition: kind.needsLawfulBasis ? "safeguarding" : nil, consent: consent, createdAt: Int64(Date().timeIntervalSince1970),
                     fieldNames: body.fieldNames, subjectReference: "BENCH-CASE-1", inReplyTo: inReplyTo,
                     retentionDays: policy.purposes[Self.purpose]?.retentionDays ?? 90)
    }

    func seal(_ header: PacketHeader, _ body: PacketBody, from sender: BenchMember, to recipient: BenchMember) throws -> [UInt8] {
        try PacketSealer.seal(header: header, body: body, keys: [recipient.id: [recipient.id: recipient.keys.encryption.publicKey]],
                              signer: sender.keys.signing).bytes
    }

    func paddedBody() throws -> PacketBody {
        func body(padding: Int) -> PacketBody {
            var items = [BodyItem(tag: .fact, text: "Attendance 62% this term.", source: "school register", refersTo: "2026-11-13"),
                         BodyItem(tag: .opinion, text: "Increasingly withdrawn.", source: "class teacher", refersTo: "2026-11-16")]
            var remaining = padding
            while remaining > 0 {
                let count = min(remaining, 8 * 1024)
                items.append(BodyItem(tag: .fact, text: String(repeating: "Late on arrival. ", count: count / 17 + 1).prefix(count).description,
                                      source: "attendance log", refersTo: "2026-11-17"))
                remaining -= count
            }
            return PacketBody(statement: "Attendance and presentation concerns for a child in need assessment.", items: items,
                              fields: [SubjectField(name: "name", value: "Sam Example"), SubjectField(name: "date_of_birth", value: "2015-03-12")],
                              consentDetail: "Mother refused; risk of significant harm justifies sharing; agreed with the DSL.",
                              subjectInformed: false, informedReason: "Telling the family could increase the risk.")
        }
        let minimum = try body(padding: 0).derEncoded().count
        guard bodyBytes > minimum + 64 else { return body(padding: 0) }
        // Each padding item costs a few bytes of DER framing besides its text; one correction pass lands on target.
        let first = body(padding: bodyBytes - minimum - 48)
        let overshoot = try first.derEncoded().count - bodyBytes
        return body(padding: max(1, bodyBytes - minimum - 48 - overshoot))
    }
}
