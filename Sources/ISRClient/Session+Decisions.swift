import Foundation
import ISRPacket
import ISRRelayAPI

/// Decisions about sharing, recorded with their reasons: a decision not to share (the guidance asks that it is
/// recorded, and a requester told), or a share made outside ISR. Sealed to the practitioner themself, so the reasons
/// are in their own record and the decision is a leaf of the relay's audit log. Shared by `isr decide` and the web app.
extension Session {
    /// How information was shared outside ISR.
    public enum OutsideMethod: String, Sendable, CaseIterable {
        case phone, meeting, letter, email
    }

    /// Records the decision; `outside` (how, and with whom) makes it a share outside ISR rather than a decision not to share.
    public func recordDecision(purpose: String, reason: String, subjectReference: String?, request: PacketID?,
                               outside: (method: OutsideMethod, with: String)? = nil) async throws(ClientError) -> AcceptReceipt {
        var items: [BodyItem] = []
        if let outside {
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd"
            items.append(BodyItem(tag: .fact, text: "Shared outside ISR by \(outside.method.rawValue) with \(outside.with).",
                                  source: "the practitioner recording it", refersTo: formatter.string(from: Date())))
        }
        let body = PacketBody(statement: reason, items: items)
        do { try body.validate() } catch { throw ClientError(.usage, error.message) }
        let draft = Draft(kind: .decision, to: [me], purpose: purpose, basis: nil, consent: .notApplicable, body: body,
                          subjectReference: subjectReference, relatesTo: request)
        return try await send(try await prepare(draft))
    }
}
