import Foundation
import Hummingbird
import ISRClient
import ISRPKI
import ISRPacket
import ISRPolicy
import ISRRelayAPI

/// The guided send, in the guidance's order: purpose (its guidance shown) → lawful basis → consent and reasons → whether
/// the family was told and why not → recipients from the verified directory → only the fields the purpose allows →
/// items tagged fact, opinion or reported → a summary of exactly what will be sealed for whom → send. Every check is
/// ISRClient's `prepare` (the policy, the verified directory), the same as `isr send`.
extension WebApp {
    static let itemRows = 6

    func sendForm(purpose code: String?, replyTo: String? = nil) async throws -> Response {
        let policy = try await session.policy()
        guard let code, let purpose = policy.purposes[code] else {
            return renderer.page("send-purpose", title: "Send: purpose", ["purposes": policy.purposeCodes.compactMap { policy.purposes[$0] }.map {
                ["code": $0.code, "title": $0.title, "guidance": $0.guidance, "countersign": $0.countersign, "anonymous": !$0.identifyingAllowed] as [String: Any]
            }])
        }
        // Answering a request: the reply goes to its (verified) sender, under the request's purpose.
        var reply: (PacketID, MemberID)?
        if let replyTo {
            let id: PacketID
            do { id = try PacketID(hex: replyTo) } catch { throw ClientError(.usage, "that is not a packet id") }
            let request = try await session.verifiedHeader(of: id)
            guard request.kind == .request else { throw ClientError(.refused, "only a request is answered with a share") }
            reply = (id, request.sender)
        }
        return try await formPage(purpose, policy: policy, form: nil, problems: [], reply: reply)
    }

    func send(_ form: WebForm) async throws -> Response {
        let policy = try await session.policy()
        guard let code = form.value("purpose"), let purpose = policy.purposes[code] else { throw ClientError(.usage, "choose a purpose first") }
        if form.value("confirm") == "edit" { return try await formPage(purpose, policy: policy, form: form, problems: []) }
        let answers = Self.answers(form, purpose: purpose)
        let anonymous = !purpose.identifyingAllowed
        let labels: [ShareAnswers.Question: String] = [
            .consent: "Is there consent, or a reason to share without it?", .consentReason: "Why is it right to share without consent?",
            .statement: "Why does the recipient need this?", .items: "What are you sharing (at least one item)?", .source: "Who saw, judged or reported the items?",
        ]
        var problems = answers.missing(consentOptional: anonymous).compactMap { labels[$0] }
        var recipients: [MemberID] = []
        for text in form.values("to") {
            if let id = try? MemberID(text) { recipients.append(id) }
        }
        if recipients.isEmpty { problems.insert("Choose at least one recipient.", at: 0) }
        if !anonymous, form.value("informed") == nil { problems.append("Has the child or family been told?") }
        if form.value("informed") == "no", form.value("informed_reason") == nil { problems.append("Why has the family not been told?") }
        var inReplyTo: PacketID?
        if let text = form.value("reply") {
            do { inReplyTo = try PacketID(hex: text) } catch { throw ClientError(.usage, "the request this answers is not a packet id") }
        }
        guard problems.isEmpty else { return try await formPage(purpose, policy: policy, form: form, problems: problems) }
        let prepared: Session.Prepared
        do {
            let (body, consent, urgency) = try answers.body(consentOptional: anonymous)
            let draft = Session.Draft(kind: anonymous ? .consultation : .share, to: recipients.sorted(), purpose: code, basis: anonymous ? nil : answers.basis,
                                      condition: anonymous ? nil : answers.condition, consent: consent, urgency: urgency, body: body,
                                      subjectReference: anonymous ? nil : answers.subjectRef, inReplyTo: inReplyTo)
            prepared = try await session.prepare(draft)
        } catch {
            // A refusal by the policy (an identifier in an anonymous consultation, a field the purpose does not allow…).
            return try await formPage(purpose, policy: policy, form: form, problems: error.message.split(separator: "\n").map(String.init))
        }
        guard form.value("confirm") == "send" else { return summary(prepared, purpose: purpose, form: form) }
        let receipt = try await session.send(prepared)
        return Response.redirect(to: "/packets/\(receipt.id)?note=\(receipt.state == "held" ? "held" : "sent")", type: .normal)
    }

    /// The answers a posted form gives.
    static func answers(_ form: WebForm, purpose: Purpose) -> ShareAnswers {
        var answers = ShareAnswers()
        answers.basis = form.value("basis")
        answers.condition = form.value("condition")
        answers.consent = form.value("consent")
        answers.consentReason = form.value("consent_reason")
        answers.informed = form.value("informed")
        answers.informedReason = form.value("informed_reason")
        answers.statement = form.value("statement")
        for row in 0..<itemRows {
            guard let text = form.value("item_text_\(row)") else { continue }
            switch form.value("item_tag_\(row)") {
            case "fact": answers.facts.append(text)
            case "opinion": answers.opinions.append(text)
            default: answers.reported.append(text)
            }
        }
        answers.source = form.value("source")
        answers.date = form.value("date")
        answers.fields = purpose.allowedFields.compactMap { name in form.value("field_\(name)").map { SubjectField(name: name, value: $0) } }
        answers.subjectRef = form.value("subject_ref")
        answers.urgency = form.value("urgency") ?? "routine"
        answers.ask = form.value("ask")
        return answers
    }

    /// The purpose's form, filled with what was already answered and the problems to fix.
    func formPage(_ purpose: Purpose, policy: Policy, form: WebForm?, problems: [String], reply: (PacketID, MemberID)? = nil) async throws -> Response {
        let directory = try await VerifiedDirectory.load(session.client, trust: session.trust)
        let roles = (try? await session.client.get("/v1/roles").decode(ListBody<RoleAddressBody>.self).items) ?? []
        let chosen = Set(form?.values("to") ?? reply.map { [$0.1.rawValue] } ?? [])
        func value(_ name: String) -> String { form?.value(name) ?? "" }
        func options(_ codes: [String], titles: [String: String], selected: String) -> [[String: Any]] {
            codes.map { ["code": $0, "title": titles[$0] ?? $0, "selected": $0 == selected] }
        }
        let kinds = Set(purpose.recipientAgencyKinds)
        let people = directory.members.values.filter { $0.id != session.me && (kinds.isEmpty || kinds.contains($0.agencyKind)) }
            .sorted { $0.id < $1.id }
            .map { member -> [String: Any] in
                ["id": member.id.rawValue, "name": member.displayName, "role": member.role, "agency": "\(member.agencyName) (\(member.agencyKind))",
                 "devices": member.encryptionKeys.count,
                 "fingerprint": MemberFingerprint(member: member.id, signingKey: member.signingKey, encryptionKey: member.encryptionKey).description,
                 "checked": chosen.contains(member.id.rawValue)]
            }
        let addresses = roles.filter { role in (try? MemberID(role.address)).map { address in directory.members.values.contains { $0.agency == address.agency.rawValue && (kinds.isEmpty || kinds.contains($0.agencyKind)) } } ?? false }
            .map { ["id": $0.address, "members": $0.members.joined(separator: ", "), "checked": chosen.contains($0.address)] as [String: Any] }
        let fields = purpose.allowedFields.map { name -> [String: Any] in
            ["name": name, "label": policy.fields[name]?.label ?? name, "required": purpose.requiredFields.contains(name), "value": value("field_\(name)")]
        }
        let items = (0..<Self.itemRows).map { row -> [String: Any] in
            let tag = form?.value("item_tag_\(row)") ?? "fact"
            return ["row": row, "number": row + 1, "text": value("item_text_\(row)"), "fact": tag == "fact", "opinion": tag == "opinion", "reported": tag == "reported"]
        }
        return renderer.page("send-form", title: "Send: \(purpose.title)", [
            "purpose": purpose.code, "purposeTitle": purpose.title, "guidance": purpose.guidance, "anonymous": !purpose.identifyingAllowed,
            "countersign": purpose.countersign, "problems": problems, "hasProblems": !problems.isEmpty,
            "bases": options(purpose.lawfulBases, titles: policy.lawfulBases.mapValues(\.title), selected: value("basis")),
            "special": purpose.specialCategory, "conditions": options(purpose.conditions, titles: policy.conditions.mapValues(\.title), selected: value("condition")),
            "consentGiven": value("consent") == "given", "consentRefused": value("consent") == "refused", "consentNotSought": value("consent") == "not-sought",
            "consentReason": value("consent_reason"), "informedYes": value("informed") == "yes", "informedNo": value("informed") == "no",
            "informedReason": value("informed_reason"), "people": people, "roles": addresses, "hasRoles": !addresses.isEmpty, "fields": fields,
            "hasFields": !fields.isEmpty, "subjectRef": value("subject_ref"), "statement": value("statement"), "items": items, "source": value("source"),
            "date": value("date"), "ask": value("ask"), "routine": value("urgency") != "priority" && value("urgency") != "urgent",
            "priority": value("urgency") == "priority", "urgent": value("urgency") == "urgent",
            "reply": (form?.value("reply") ?? reply?.0.hex) as Any,
        ], status: problems.isEmpty ? .ok : .unprocessableContent)
    }

    /// Exactly what will be sealed, for whom (verified, with fingerprints), before it is sent.
    func summary(_ prepared: Session.Prepared, purpose: Purpose, form: WebForm) -> Response {
        let recipients = prepared.recipients.values.flatMap { $0 }.sorted { $0.id < $1.id }.map { member -> [String: Any] in
            ["id": member.id.rawValue, "name": member.displayName, "role": member.role, "agency": "\(member.agencyName) (\(member.agencyKind))",
             "fingerprint": MemberFingerprint(member: member.id, signingKey: member.signingKey, encryptionKey: member.encryptionKey).description]
        }
        return renderer.page("send-summary", title: "Send: check and send", [
            "purposeTitle": purpose.title, "kind": prepared.header.kind.rawValue, "recipients": recipients,
            "countersigners": prepared.countersigners.map { ["id": $0.id.rawValue, "name": $0.displayName, "role": $0.role] },
            "held": !prepared.countersigners.isEmpty, "statement": prepared.body.statement,
            "items": prepared.body.items.map { ["TAG": $0.tag.rawValue.uppercased(), "tag": $0.tag.rawValue, "text": $0.text, "source": $0.source, "date": $0.refersTo] },
            "fields": prepared.body.fields.map { ["name": $0.name, "value": $0.value] },
            "hidden": form.pairs.filter { $0.name != "csrf" && $0.name != "confirm" }.map { ["name": $0.name, "value": $0.value] },
        ])
    }
}
