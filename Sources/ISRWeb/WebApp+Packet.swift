import Foundation
import Hummingbird
import ISRClient
import ISRLifecycle
import ISRPKI
import ISRPacket
import ISRRelayAPI

/// One packet: the verified sender, purpose and basis, consent and informed statements, subject fields, every item
/// labelled fact, opinion or reported, and the per-recipient timeline; opening it sends the signed receipt. The forms
/// are those this member may use now: read back or decline, confirm or ask for clarification, countersign or return.
extension WebApp {
    func packet(_ id: PacketID, note: String?) async throws -> Response {
        // Your own packet is read from your record (you hold no stanza for it); anyone else's is fetched once and opened,
        // which sends the receipt.
        let read: Session.ReadPacket?
        let header: PacketHeader, body: PacketBody
        if let sent = session.sentBody(of: id) {
            (read, header, body) = (nil, try await session.verifiedHeader(of: id), sent)
        } else {
            do {
                let opened = try await session.read(id)
                (read, header, body) = (opened, opened.opened.header, opened.opened.body)
            } catch {
                // Sent from another of your devices: this machine has neither the content nor a stanza to open it with.
                if try await session.verifiedHeader(of: id).sender == session.me {
                    throw ClientError(.local, "this machine's record does not hold what you sent in \(id); see it on the device you sent it from")
                }
                throw error
            }
        }
        let warnings = read?.warnings ?? []
        let state = read?.state ?? "sent by you"
        let countersigner = read?.countersigner ?? false
        let status = try await session.status(id)
        let directory = try await VerifiedDirectory.load(session.client, trust: session.trust)
        let sender = directory.members[header.sender]
        var values: [String: Any] = [
            "id": id.hex, "kind": header.kind.rawValue, "purpose": header.purpose, "purposeTitle": (try? await session.policy())?.purposes[header.purpose]?.title ?? header.purpose,
            "basis": header.lawfulBasis as Any, "condition": header.condition as Any, "consent": header.consent.rawValue, "urgency": header.urgency.rawValue,
            "sender": header.sender.rawValue, "senderName": sender?.displayName ?? "not in your verified directory",
            "senderAgency": sender.map { "\($0.agencyName) (\($0.agencyKind))" } ?? "-", "senderRole": sender?.role ?? "-",
            "senderFingerprint": sender.map { MemberFingerprint(member: $0.id, signingKey: $0.signingKey, encryptionKey: $0.encryptionKey).description } ?? "-",
            "verified": sender != nil || header.sender == session.me, "statement": body.statement,
            "items": body.items.map { ["tag": $0.tag.rawValue, "TAG": $0.tag.rawValue.uppercased(), "text": $0.text, "source": $0.source, "date": $0.refersTo] },
            "fields": body.fields.map { ["name": $0.name, "value": $0.value] }, "hasFields": !body.fields.isEmpty,
            "consentDetail": body.consentDetail as Any, "informed": body.subjectInformed.map { $0 ? "yes" : "no" } as Any,
            "informedReason": body.informedReason as Any, "ask": body.ask as Any, "concern": body.concern?.rawValue as Any,
            "warnings": warnings, "hasWarnings": !warnings.isEmpty, "state": state, "subjectRef": header.subjectReference as Any,
            "recipients": status.recipients.map { ["member": $0.member, "state": $0.state, "due": timeText($0.deadline), "overdue": $0.overdue,
                                                   "answeredBy": $0.answeredBy as Any] },
            "history": status.history.map { ["at": timeText($0.at), "state": $0.state, "actor": $0.actor] },
        ]
        let mine = header.sender == session.me
        values["canReadBack"] = !mine && !countersigner && Lifecycle.expectsAnswer(header.kind) && header.kind != .request
            && ["delivered", "read", "clarification-requested", "pending"].contains(state)
        values["canDecline"] = !mine && !countersigner && header.kind == .request && ["delivered", "read", "pending"].contains(state)
        values["canCountersign"] = countersigner && state == Lifecycle.awaitingCountersignature
        if mine, let (_, waiting) = try? await session.waitingReadBacks(of: id) {
            values["readBacks"] = waiting.map { entry in
                ["reader": entry.reader.rawValue, "address": entry.address, "understood": entry.readBack.body.statement,
                 "concern": entry.readBack.body.concern?.rawValue ?? "not stated"]
            }
        }
        return renderer.page("packet", title: "\(header.kind.rawValue.capitalized) \(id.hex.prefix(8))", values, note: note.flatMap { Self.notes[$0] })
    }

    /// A form on the packet page; each goes through the same ISRClient call as its CLI command.
    func act(_ id: PacketID, action: String, form: WebForm) async throws -> Response {
        func required(_ name: String, _ what: String) throws(ClientError) -> String {
            guard let value = form.value(name) else { throw ClientError(.usage, "\(what) is needed") }
            return value
        }
        let note: String
        switch action {
        case "readback":
            guard let concern = form.value("concern").flatMap(ConcernLevel.init(rawValue:)) else {
                throw ClientError(.usage, "choose the level of concern you understood: low, medium, high or immediate")
            }
            _ = try await session.replyToSender(id, kind: .readback, body: PacketBody(statement: try required("understood", "What you understood"), concern: concern))
            note = "readback"
        case "decline":
            _ = try await session.replyToSender(id, kind: .decline, body: PacketBody(statement: try required("reason", "A reason for declining")))
            note = "declined"
        case "confirm":
            _ = try await session.confirm(id, reader: try reader(form), note: form.value("note") ?? "")
            note = "confirmed"
        case "clarify":
            _ = try await session.clarify(id, reader: try reader(form), note: try required("note", "What needs clarifying"))
            note = "clarify"
        case "countersign":
            _ = try await session.countersign(try await session.openHeld(id))
            note = "released"
        case "return":
            _ = try await session.returnToSender(try await session.openHeld(id), reason: try required("reason", "What the sender should change, and why,"))
            note = "returned"
        default:
            return Response(status: .notFound)
        }
        // Once released or returned, the countersigner's part is done (the relay no longer serves them the packet).
        let page = note == "released" || note == "returned" ? "/countersign" : "/packets/\(id.hex)"
        return Response.redirect(to: "\(page)?note=\(note)", type: .normal)
    }

    func reader(_ form: WebForm) throws(ClientError) -> MemberID {
        guard let text = form.value("reader"), let reader = try? MemberID(text) else { throw ClientError(.usage, "choose whose read-back this is") }
        return reader
    }
}
